import { expect } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readCapture, type CaptureInfo, type PacketQueue, type RawPacket } from '../../../src/capture/index.js';

export function fixture(name: string): string {
  return fileURLToPath(new URL(`../../fixtures/capture/${name}`, import.meta.url));
}

const scratch = mkdtempSync(join(tmpdir(), 'coapwatch-capture-'));

/** A path in this run's scratch directory. */
export function tempPath(name: string): string {
  return join(scratch, name);
}

/** Writes bytes to a fresh temporary file and returns its path. */
export function tempFile(name: string, bytes: Buffer | string): string {
  const path = tempPath(name);
  writeFileSync(path, bytes);
  return path;
}

/** Reads a capture keeping a copy of every packet (the reader's RawPacket is reused). */
export async function collect(path: string): Promise<{ info: CaptureInfo; packets: RawPacket[] }> {
  const packets: RawPacket[] = [];
  const info = await readCapture(path, (p) => packets.push({ ...p, data: Buffer.from(p.data) }));
  return { info, packets };
}

/** tshark -T fields -e frame.number -e frame.time_epoch -e frame.len -e frame.cap_len, as [ts, len, cap_len] by frame. */
/**
 * A little-endian µs pcap of `count` copies of `body`, one second apart from 1,700,000,000:
 * with 1000-byte bodies, 9 * 1024 of them span more than one of the readers' 8 MiB chunks.
 */
export function repeatedPcap(globalHeader: Buffer, count: number, body: Buffer): Buffer {
  const parts = [globalHeader];
  for (let i = 0; i < count; i++) {
    const header = Buffer.alloc(16);
    header.writeUInt32LE(1_700_000_000 + i, 0);
    header.writeUInt32LE(body.length, 8);
    header.writeUInt32LE(body.length, 12);
    parts.push(header, body);
  }
  return Buffer.concat(parts);
}

export type TsharkRow = [number, number, number];

/** wakaama-observe.pcap (µs, Ethernet) as tshark 4.0 reads it. */
export const WAKAAMA_OBSERVE: TsharkRow[] = [
  [1795415436.284535, 232, 232],
  [1795415436.285194, 55, 55],
  [1795415438.782932, 59, 59],
  [1795415438.783166, 79, 79],
  [1795415439.783035, 62, 62],
  [1795415439.783317, 128, 128],
  [1795415440.783325, 79, 79],
  [1795415441.983523, 79, 79],
  [1795415443.183813, 79, 79],
  [1795415444.384309, 79, 79],
  [1795415445.584651, 129, 129],
  [1795415446.785042, 58, 58],
  [1795415446.785146, 54, 54],
  [1795415448.985533, 61, 61],
  [1795415448.986304, 127, 127],
  [1795415449.985999, 82, 82],
  [1795415449.986142, 46, 46],
  [1795415451.186333, 120, 120],
  [1795415451.186699, 46, 46],
  [1795415452.386761, 55, 55],
  [1795415452.386854, 50, 50],
];

/** The nanosecond fixtures: the same packets shifted by 123 ns (editcap -t 0.000000123). */
export const WAKAAMA_OBSERVE_NS: TsharkRow[] = [
  [1795415436.284535123, 232, 232],
  [1795415436.285194123, 55, 55],
  [1795415438.782932123, 59, 59],
  [1795415438.783166123, 79, 79],
  [1795415439.783035123, 62, 62],
  [1795415439.783317123, 128, 128],
  [1795415440.783325123, 79, 79],
  [1795415441.983523123, 79, 79],
  [1795415443.183813123, 79, 79],
  [1795415444.384309123, 79, 79],
  [1795415445.584651123, 129, 129],
  [1795415446.785042123, 58, 58],
  [1795415446.785146123, 54, 54],
  [1795415448.985533123, 61, 61],
  [1795415448.986304123, 127, 127],
  [1795415449.985999123, 82, 82],
  [1795415449.986142123, 46, 46],
  [1795415451.186333123, 120, 120],
  [1795415451.186699123, 46, 46],
  [1795415452.386761123, 55, 55],
  [1795415452.386854123, 50, 50],
];

/**
 * A double holds about 0.24 µs at today's epoch, so compare timestamps to within half a µs
 * (toBeCloseTo with 6 digits).
 */
export const TS_DIGITS = 6;

/** Checks packets against tshark's rows: frame numbers from 1, times, lengths, link type. */
export function expectPackets(packets: RawPacket[], rows: TsharkRow[], linkType: number): void {
  expect(packets.map((p) => p.frame)).toEqual(rows.map((_, i) => i + 1));
  rows.forEach(([ts, len, capLen], i) => {
    const packet = packets[i];
    expect(packet.ts).toBeCloseTo(ts, TS_DIGITS);
    expect([packet.origLength, packet.data.length, packet.linkType]).toEqual([len, capLen, linkType]);
  });
}

/** What the capture thread does with one frame: reserve room in the queue, copy `length` bytes of `src` there, commit; false when there was no room. */
export function pushFrame(q: PacketQueue, src: Buffer, length: number, origLength: number, ts: number): boolean {
  const at = q.reserve(length);
  if (at < 0) return false;
  src.copy(q.ring, at, 0, length);
  q.commit(at, length, origLength, ts);
  return true;
}
