import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LiveFrameReader } from '../../../src/capture/live.js';
import { PacketQueue } from '../../../src/capture/live-queue.js';
import { RotatingPcapWriter, rotatedName } from '../../../src/capture/live-pcap-writer.js';
import { FrameReadError, readFrameAt } from '../../../src/evidence/read-frame.js';
import { collect, pushFrame, repeatedPcap } from '../capture/helpers.js';
import { readPcap } from '../decode/build.js';

/* Each frame's record offset, as the readers and monitor --write give it, and reading a frame back from it alone. */
const fixtures = join(import.meta.dirname, '../../fixtures/capture');
const dir = mkdtempSync(join(tmpdir(), 'coapwatch-read-frame-'));

describe('record offsets and readFrameAt', () => {
  it('pcap: the reader puts each record header\'s offset on its frame (as walking the file finds them)', async () => {
    const path = join(fixtures, 'wakaama-observe.pcap');
    const { packets } = await collect(path);
    expect(packets.map((p) => [p.recordOffset, p.recordFile])).toEqual(readPcap(path).map((p) => [p.recordOffset, 0]));
  });

  it('pcap across the readers\' 8 MiB chunks: the offsets stay right', async () => {
    const header = readFileSync(join(fixtures, 'wakaama-observe.pcap')).subarray(0, 24);
    const path = join(dir, 'big.pcap');
    writeFileSync(path, repeatedPcap(header, 9 * 1024, Buffer.alloc(1000, 0x5a)));
    const { packets } = await collect(path);
    expect(packets.every((p, i) => p.recordOffset === 24 + i * 1016)).toBe(true);
  });

  it.each(['wakaama-observe.pcap', 'wakaama-observe-ns.pcap', 'wakaama-observe.pcapng', 'wakaama-observe-ns.pcapng', 'two-interfaces.pcapng'])(
    '%s: every frame read back alone at its offset has its bytes (and, in pcap, its time)',
    async (name) => {
      const path = join(fixtures, name);
      const { packets } = await collect(path);
      expect(packets.length).toBeGreaterThan(0);
      for (const p of packets) {
        const f = readFrameAt(path, p.recordOffset);
        expect(f.data.equals(p.data)).toBe(true);
        expect(f.origLength).toBe(p.origLength);
        if (name.endsWith('.pcap')) {
          expect(f.ts).toBe(p.ts);
          expect(f.linkType).toBe(p.linkType);
        } else expect(f.ts).toBeNull();
      }
    },
  );

  it.each(['wakaama-observe.pcap', 'wakaama-observe.pcapng'])('%s: any other offset is a one-line FrameReadError or a record, never a crash', async (name) => {
    const path = join(fixtures, name);
    const size = readFileSync(path).length;
    const offsets = [-1, 0, 3, size - 1, size, size + 100, 2 ** 40, ...Array.from({ length: 600 }, (_, i) => i)];
    for (const at of offsets) {
      try {
        const f = readFrameAt(path, at);
        expect(f.data.length).toBeLessThanOrEqual(262_144);
      } catch (err) {
        expect(err).toBeInstanceOf(FrameReadError);
        expect((err as Error).message).not.toContain('\n');
      }
    }
  });

  it('a file that is not a capture, or not there', () => {
    const junk = join(dir, 'junk.bin');
    writeFileSync(junk, Buffer.alloc(100, 1));
    expect(() => readFrameAt(junk, 24)).toThrow(/not a pcap or pcapng file any more/);
    expect(() => readFrameAt(join(dir, 'none.pcap'), 24)).toThrow(/cannot open \(ENOENT\)/);
  });
});

describe('monitor --write: frames carry where they were written', () => {
  it('the writer returns each record\'s offset and file; the frame reads back from it, across rotations', () => {
    const path = join(dir, 'live.pcap');
    const writer = new RotatingPcapWriter({ path, linkType: 113, snaplen: 2000, maxBytes: 3_000 });
    const q = PacketQueue.create(1 << 16, 64);
    const seen: Array<{ file: number; offset: number; data: Buffer; ts: number }> = [];
    const reader = new LiveFrameReader(q, 113, (p) => seen.push({ file: p.recordFile, offset: p.recordOffset, data: Buffer.from(p.data), ts: p.ts }), writer);
    for (let i = 0; i < 6; i++) pushFrame(q, Buffer.alloc(984, i + 1), 984, 984, 1_700_000_000 + i);
    reader.drainAll();
    writer.close();
    expect(seen.map((s) => [s.file, s.offset])).toEqual([[0, 24], [0, 1024], [1, 24], [1, 1024], [2, 24], [2, 1024]]);
    for (const s of seen) {
      const f = readFrameAt(rotatedName(path, s.file), s.offset);
      expect(f.data.equals(s.data)).toBe(true);
      expect(f.ts).toBe(s.ts);
    }
  });

  it('without --write a live frame lies in no file', () => {
    const q = PacketQueue.create(1 << 16, 64);
    const seen: number[][] = [];
    const reader = new LiveFrameReader(q, 1, (p) => seen.push([p.recordFile, p.recordOffset]));
    pushFrame(q, Buffer.from('x'), 1, 1, 5);
    reader.drainAll();
    expect(seen).toEqual([[-1, -1]]);
  });
});
