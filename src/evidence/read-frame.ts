import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { pcapFlavour } from '../capture/pcap.js';

/** A frame read back from its capture file. */
export interface FrameBytes {
  /** Capture time from the record; null where the record has none we can read alone (pcapng: it needs its interface's resolution). */
  ts: number | null;
  /** LINKTYPE_ from the file header; null for pcapng (it is per interface: the index's is used). */
  linkType: number | null;
  data: Buffer;
  origLength: number;
}

/** A frame that cannot be read where the index says it lies; the message is one line. */
export class FrameReadError extends Error {
  override name = 'FrameReadError';
}

const PCAP_HEADER = 24;
const PCAP_RECORD_HEADER = 16;
/** The largest captured length either reader accepts (libpcap's MAXIMUM_SNAPLEN), and pcapng's largest block. */
const MAX_CAPLEN = 262_144;
const MAX_BLOCK = 16 << 20;
const PCAPNG_MAGIC = 0x0a0d0d0a;
const OBSOLETE_PACKET_BLOCK = 2;
const SIMPLE_PACKET_BLOCK = 3;
const ENHANCED_PACKET_BLOCK = 6;

/**
 * Reads the one record at byte `offset` of a pcap or pcapng file (the offset the readers put on
 * each frame as recordOffset), without reading the file from its start: the way a message's
 * bytes are found again from the message index. Every length is checked against the file, so
 * a wrong offset or a changed file is a one-line error, never a crash or a huge allocation.
 */
export function readFrameAt(path: string, offset: number): FrameBytes {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (err) {
    throw new FrameReadError(`${path}: cannot open (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  try {
    const size = fstatSync(fd).size;
    const read = (at: number, length: number): Buffer => {
      if (at < 0 || at + length > size) throw new FrameReadError(`${path}: no record at byte ${offset} (the file has ${size} bytes)`);
      const buf = Buffer.alloc(length);
      let done = 0;
      while (done < length) {
        const n = readSync(fd, buf, done, length - done, at + done);
        if (n === 0) throw new FrameReadError(`${path}: shorter than it was (${at + done} bytes)`);
        done += n;
      }
      return buf;
    };
    const head = read(0, 4);
    const flavour = pcapFlavour(head.readUInt32BE(0));
    if (flavour !== undefined) {
      const header = read(0, PCAP_HEADER);
      const le = !flavour.bigEndian;
      const u32 = (b: Buffer, at: number) => (le ? b.readUInt32LE(at) : b.readUInt32BE(at));
      if (offset < PCAP_HEADER) throw new FrameReadError(`${path}: no record at byte ${offset} (inside the file header)`);
      const record = read(offset, PCAP_RECORD_HEADER);
      const captured = u32(record, 8);
      if (captured > MAX_CAPLEN) throw new FrameReadError(`${path}: no record at byte ${offset} (captured length ${captured} is impossible)`);
      const seconds = u32(record, 0);
      const fraction = u32(record, 4);
      const ts = flavour.nanoseconds ? seconds + fraction / 1e9 : (seconds * 1e6 + fraction) / 1e6;
      return { ts, linkType: u32(header, 20) & 0xffff, data: read(offset + PCAP_RECORD_HEADER, captured), origLength: u32(record, 12) };
    }
    if (head.readUInt32BE(0) !== PCAPNG_MAGIC) throw new FrameReadError(`${path}: not a pcap or pcapng file any more`);
    const block = read(offset, 12);
    const typeLe = block.readUInt32LE(0);
    const le = [OBSOLETE_PACKET_BLOCK, SIMPLE_PACKET_BLOCK, ENHANCED_PACKET_BLOCK].includes(typeLe);
    const type = le ? typeLe : block.readUInt32BE(0);
    if (![OBSOLETE_PACKET_BLOCK, SIMPLE_PACKET_BLOCK, ENHANCED_PACKET_BLOCK].includes(type)) {
      throw new FrameReadError(`${path}: no packet block at byte ${offset}`);
    }
    const u32 = (b: Buffer, at: number) => (le ? b.readUInt32LE(at) : b.readUInt32BE(at));
    const length = u32(block, 4);
    if (length < 16 || length % 4 !== 0 || length > MAX_BLOCK) throw new FrameReadError(`${path}: no packet block at byte ${offset} (length ${length})`);
    const whole = read(offset, length);
    if (u32(whole, length - 4) !== length) throw new FrameReadError(`${path}: no packet block at byte ${offset} (its two lengths differ)`);
    if (type === SIMPLE_PACKET_BLOCK) {
      const origLength = u32(whole, 8);
      const captured = Math.min(origLength, length - 16);
      return { ts: null, linkType: null, data: whole.subarray(12, 12 + captured), origLength };
    }
    if (length < 32) throw new FrameReadError(`${path}: no packet block at byte ${offset} (length ${length})`);
    const captured = u32(whole, 20);
    if (captured > length - 32) throw new FrameReadError(`${path}: no packet block at byte ${offset} (captured length ${captured} in ${length} bytes)`);
    return { ts: null, linkType: null, data: whole.subarray(28, 28 + captured), origLength: u32(whole, 24) };
  } finally {
    closeSync(fd);
  }
}
