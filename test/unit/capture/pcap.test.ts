import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readCapture } from '../../../src/capture/index.js';
import { collect, expectPackets, fixture, repeatedPcap, tempFile, WAKAAMA_OBSERVE, WAKAAMA_OBSERVE_NS } from './helpers.js';

const ETHERTYPE_IPV4 = 0x0800;

/** File offset of each record header in a little-endian pcap. */
function recordOffsets(file: Buffer): number[] {
  const offsets: number[] = [];
  for (let at = 24; at < file.length; at += 16 + file.readUInt32LE(at + 8)) offsets.push(at);
  return offsets;
}

/** The same capture as a big-endian host writes it: every header field byte-swapped. */
function toBigEndian(file: Buffer): Buffer {
  const swapped = Buffer.from(file);
  const swap32 = (at: number): void => void swapped.writeUInt32BE(file.readUInt32LE(at), at);
  const swap16 = (at: number): void => void swapped.writeUInt16BE(file.readUInt16LE(at), at);
  swap32(0);
  swap16(4);
  swap16(6);
  for (const at of [8, 12, 16, 20]) swap32(at);
  for (const at of recordOffsets(file)) for (const field of [0, 4, 8, 12]) swap32(at + field);
  return swapped;
}

const observe = readFileSync(fixture('wakaama-observe.pcap'));
const observeNs = readFileSync(fixture('wakaama-observe-ns.pcap'));
const records = recordOffsets(observe);

describe('classic pcap', () => {
  it('reads a µs little-endian capture as tshark does', async () => {
    const { info, packets } = await collect(fixture('wakaama-observe.pcap'));
    expect(info).toEqual({ format: 'pcap', packets: 21, bytesRead: 2119, linkTypes: [1], warnings: [], interrupted: false });
    expectPackets(packets, WAKAAMA_OBSERVE, 1);
    expect(packets.every((p) => p.data.readUInt16BE(12) === ETHERTYPE_IPV4)).toBe(true);
  });

  it('reads a nanosecond capture (magic 0xa1b23c4d), as tshark does', async () => {
    expect(observeNs.readUInt32LE(0)).toBe(0xa1b23c4d);
    const { info, packets } = await collect(fixture('wakaama-observe-ns.pcap'));
    expect(info.warnings).toEqual([]);
    expectPackets(packets, WAKAAMA_OBSERVE_NS, 1);
  });

  it.each([
    ['µs', observe, WAKAAMA_OBSERVE],
    ['ns', observeNs, WAKAAMA_OBSERVE_NS],
  ])('reads a big-endian %s capture', async (name, file, rows) => {
    const { info, packets } = await collect(tempFile(`be-${name}.pcap`, toBigEndian(file)));
    expect(info).toMatchObject({ format: 'pcap', packets: 21, bytesRead: 2119, linkTypes: [1], warnings: [] });
    expectPackets(packets, rows, 1);
    expect(packets[0].data).toEqual(observe.subarray(24 + 16, 24 + 16 + 232));
  });

  it('keeps the packets before a record cut in its data, with a warning', async () => {
    const path = tempFile('cut-data.pcap', observe.subarray(0, records[5] + 16 + 10));
    const { info, packets } = await collect(path);
    expectPackets(packets, WAKAAMA_OBSERVE.slice(0, 5), 1);
    expect(info.bytesRead).toBe(records[5]);
    expect(info.warnings).toEqual([
      `${path}: truncated record at byte ${records[5]} (frame 6 needs 128 bytes, 10 left); stopped there`,
    ]);
  });

  it('keeps the packets before a record cut in its header, with a warning', async () => {
    const path = tempFile('cut-header.pcap', observe.subarray(0, records[5] + 5));
    const { info, packets } = await collect(path);
    expect(packets).toHaveLength(5);
    expect(info.warnings).toEqual([`${path}: truncated record header at byte ${records[5]} (5 of 16 bytes); stopped there`]);
  });

  it('keeps records longer than the snaplen, as libpcap and Wireshark do, counting them in one warning', async () => {
    // Without the 232-byte frame 1, the longest records are frame 6 (128 bytes) and 11 (129).
    const file = Buffer.concat([observe.subarray(0, 24), observe.subarray(records[1])]);
    file.writeUInt32LE(100, 16);
    const path = tempFile('over-snaplen.pcap', file);
    const { info, packets } = await collect(path);
    expectPackets(packets, WAKAAMA_OBSERVE.slice(1), 1);
    const shift = records[1] - 24;
    const over = WAKAAMA_OBSERVE.slice(1).filter(([, , caplen]) => caplen > 100).length;
    expect(over).toBeGreaterThan(1);
    const first = WAKAAMA_OBSERVE.slice(1).findIndex(([, , caplen]) => caplen > 100);
    expect(info.warnings).toEqual([
      `${path}: frame ${first + 1} at byte ${records[first + 1] - shift} captured length ${WAKAAMA_OBSERVE[first + 1][2]} exceeds snaplen 100; kept (and ${over - 1} more like it)`,
    ]);
  });

  it('stops at a record over the snaplen and over any link type\'s largest snapshot', async () => {
    const body = Buffer.alloc(300_000, 0xab);
    const file = repeatedPcap(observe.subarray(0, 24), 3, body);
    file.writeUInt32LE(65535, 16);
    const path = tempFile('huge-record.pcap', file);
    const { info, packets } = await collect(path);
    expect(packets).toHaveLength(0);
    expect(info.warnings).toEqual([
      `${path}: corrupt record at byte 24 (frame 1 captured length 300000 exceeds snaplen 65535 and the 262144-byte maximum); stopped there`,
    ]);
  });

  it('stops at once at an absurd captured length instead of buffering the rest of the file', async () => {
    const file = Buffer.from(observe);
    file.writeUInt32LE(0x7fffffff, records[2] + 8);
    const path = tempFile('absurd-caplen.pcap', file);
    const { info, packets } = await collect(path);
    expect(packets).toHaveLength(2);
    expect(info.warnings).toHaveLength(1);
    expect(info.warnings[0]).toMatch(/truncated record at byte \d+ \(frame 3 needs 2147483647 bytes/);
  });

  it('refuses a pcap version other than 2.x with a one-line error', async () => {
    const file = Buffer.from(observe);
    file.writeUInt16LE(3, 4);
    const path = tempFile('version-3.pcap', file);
    await expect(collect(path)).rejects.toThrow(`${path}: unsupported pcap version 3.4 (only 2.x exists)`);
  });

  it('reads a capture spread over several read chunks, each packet intact', async () => {
    // 9 MiB of 1000-byte records: the 8 MiB chunk boundary falls inside a record.
    const count = 9 * 1024;
    const path = tempFile('chunks.pcap', repeatedPcap(observe.subarray(0, 24), count, Buffer.alloc(1000, 0xab)));
    const seen: number[] = [];
    let intact = true;
    const info = await readCapture(path, (p) => {
      seen.push(p.ts);
      intact &&= p.data.length === 1000 && p.data.every((b) => b === 0xab);
    });
    expect(info.warnings).toEqual([]);
    expect(info.packets).toBe(count);
    expect(seen[count - 1]).toBe(1_700_000_000 + count - 1);
    expect(intact).toBe(true);
  });

  it('reports progress at the end with the file size', async () => {
    const calls: [number, number][] = [];
    await readCapture(fixture('wakaama-observe.pcap'), () => {}, { onProgress: (read, total) => calls.push([read, total]) });
    expect(calls).toEqual([[2119, 2119]]);
  });

  it('passes an exception thrown by the sink to the caller', async () => {
    const failing = (): void => {
      throw new Error('sink failed');
    };
    await expect(readCapture(fixture('wakaama-observe-ns.pcap'), failing)).rejects.toThrow('sink failed');
  });
});
