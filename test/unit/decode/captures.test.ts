import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PacketDecoder } from '../../../src/decode/index.js';
import { decodeAll, readPcap } from './build.js';

const CAPTURES = '/work/shared/captures';

/** tshark's per-message fields (see the captures' README), keyed by column name. */
function tsharkRows(name: string): Record<string, string>[] {
  const [header, ...lines] = readFileSync(join(CAPTURES, `${name}.tshark.tsv`), 'utf8').trimEnd().split('\n');
  const columns = header.split('\t');
  return lines.map((line) => Object.fromEntries(line.split('\t').map((v, i) => [columns[i], v])));
}

describe('reference captures', () => {
  it('wakaama-observe: addresses, ports, frame numbers and times agree with tshark', () => {
    const packets = readPcap(join(CAPTURES, 'wakaama-observe.pcap'));
    const decoder = new PacketDecoder();
    const out = decodeAll(packets, decoder);
    const rows = tsharkRows('wakaama-observe');
    expect(out).toHaveLength(rows.length);
    out.forEach((d, i) => {
      const row = rows[i];
      expect(d).toMatchObject({
        frame: Number(row['frame.number']),
        transport: 'udp',
        src: `${row['ip.src']}:${row['udp.srcport']}`,
        dst: `${row['ip.dst']}:${row['udp.dstport']}`,
        srcPort: Number(row['udp.srcport']),
        dstPort: Number(row['udp.dstport']),
      });
      expect(d.ts).toBeCloseTo(Number(row['frame.time_epoch']), 6);
      // Each payload is one whole CoAP message: version 1 in the first byte, nothing cut.
      expect(d.payload.charCodeAt(0) >> 6).toBe(1);
      const ipTotalLength = packets[i].data.readUInt16BE(14 + 2);
      expect(d.payload.length).toBe(ipTotalLength - 20 - 8);
    });
    expect(decoder.stats).toMatchObject({ packets: rows.length, malformed: 0, ignored: 0 });
  });

  it('wakaama-observe: the register payload is the bytes on the wire', () => {
    const [first] = decodeAll(readPcap(join(CAPTURES, 'wakaama-observe.pcap')));
    expect(first.payload).toContain('ep=meter-0002');
    expect(first.payload).toContain('</31024/12>');
  });

  for (const file of readdirSync(CAPTURES).filter((f) => f.endsWith('.pcap'))) {
    it(`${file}: one UDP datagram per frame, nothing malformed`, () => {
      const packets = readPcap(join(CAPTURES, file));
      const decoder = new PacketDecoder();
      const out = decodeAll(packets, decoder);
      expect(out.map((d) => d.frame)).toEqual(packets.map((p) => p.frame));
      expect(decoder.stats).toMatchObject({ malformed: 0, ignored: 0, fragments: 0 });
    });
  }
});
