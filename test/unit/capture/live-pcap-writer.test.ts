import { existsSync, mkdtempSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readCapture, type RawPacket } from '../../../src/capture/index.js';
import { RotatingPcapWriter, rotatedName } from '../../../src/capture/live-pcap-writer.js';

const dir = mkdtempSync(join(tmpdir(), 'coapwatch-rotating-'));

async function read(path: string): Promise<Array<{ frame: number; ts: number; linkType: number; data: Buffer; origLength: number }>> {
  const out: Array<{ frame: number; ts: number; linkType: number; data: Buffer; origLength: number }> = [];
  await readCapture(path, (p: RawPacket) => out.push({ ...p, data: Buffer.from(p.data) }));
  return out;
}

describe('RotatingPcapWriter (monitor --write)', () => {
  it('names the files before the extension', () => {
    expect(rotatedName('/x/cap.pcap', 0)).toBe('/x/cap.pcap');
    expect(rotatedName('/x/cap.pcap', 2)).toBe('/x/cap.2.pcap');
    expect(rotatedName('/x.d/cap', 1)).toBe('/x.d/cap.1');
    expect(rotatedName('.hidden', 1)).toBe('.hidden.1');
  });

  it('writes a pcap that reads back frame for frame', async () => {
    const path = join(dir, 'one.pcap');
    const w = new RotatingPcapWriter({ path, linkType: 1, snaplen: 65535, maxBytes: 1e6 });
    w.write(1_700_000_000.123456, Buffer.from('aaaa'), 4);
    w.write(1_700_000_000.9999996, Buffer.from('bbbbbb'), 60);
    w.close();
    const frames = await read(path);
    expect(frames.map((f) => [f.frame, f.ts, f.linkType, f.data.toString(), f.origLength])).toEqual([
      [1, 1_700_000_000.123456, 1, 'aaaa', 4],
      [2, 1_700_000_001, 1, 'bbbbbb', 60],
    ]);
  });

  it('starts a new file before one would pass the size, each a whole capture, none lost', async () => {
    const path = join(dir, 'rot.pcap');
    const w = new RotatingPcapWriter({ path, linkType: 113, snaplen: 2000, maxBytes: 10_000 });
    const frame = Buffer.alloc(984, 7); // 1,000 bytes with its record header
    for (let i = 0; i < 35; i++) w.write(1_000 + i, frame, frame.length);
    w.close();
    expect(w.files).toEqual([path, join(dir, 'rot.1.pcap'), join(dir, 'rot.2.pcap'), join(dir, 'rot.3.pcap')]);
    const sizes = w.files.map((f) => statSync(f).size);
    expect(sizes.every((s) => s <= 10_000)).toBe(true);
    const all = (await Promise.all(w.files.map(read))).flat();
    expect(all.length).toBe(35);
    expect(all.map((f) => f.ts)).toEqual(Array.from({ length: 35 }, (_, i) => 1_000 + i));
    expect(all.every((f) => f.linkType === 113 && f.data.length === 984)).toBe(true);
  });

  it('keeps only the newest --write-max-files', () => {
    const sub = mkdtempSync(join(dir, 'keep-'));
    const path = join(sub, 'k.pcap');
    const w = new RotatingPcapWriter({ path, linkType: 1, snaplen: 2000, maxBytes: 2_000, maxFiles: 2 });
    for (let i = 0; i < 20; i++) w.write(i, Buffer.alloc(900), 900);
    w.close();
    expect(readdirSync(sub).sort()).toEqual(['k.8.pcap', 'k.9.pcap']) // two 916-byte records a file: ten files;
    expect(existsSync(path)).toBe(false);
  });

  it('an unwritable path is a one-line error', () => {
    expect(() => new RotatingPcapWriter({ path: join(dir, 'no/such/dir/x.pcap'), linkType: 1, snaplen: 65535, maxBytes: 1e6 })).toThrow(/x\.pcap: cannot write \(ENOENT\)$/);
  });
});
