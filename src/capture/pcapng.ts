/**
 * pcapng reader, written by hand: no well-kept pcapng reader exists on npm (pcap-parser knows
 * only classic pcap; `pcap` binds native libpcap for live capture). Reads
 * the file in large chunks and hands packets out as views into the chunk buffer, reusing one
 * RawPacket object: at a million packets and more, per-packet copies and objects dominate.
 */
import type { FileHandle } from 'node:fs/promises';
import { EmptyRecordRuns, RepeatedWarnings } from './warnings.js';
import { CaptureError, DeliverySlices, PROGRESS_STEP_BYTES, READ_CHUNK_BYTES, type CaptureInfo, type PacketSink, type RawPacket, type ReadOptions } from './types.js';

/** Block type of the Section Header Block: a palindrome, so it reads the same in both byte orders. */
export const PCAPNG_MAGIC = 0x0a0d0d0a;

const BYTE_ORDER_MAGIC = 0x1a2b3c4d;
const BYTE_ORDER_MAGIC_SWAPPED = 0x4d3c2b1a;

const SECTION_HEADER_BLOCK = PCAPNG_MAGIC;
const INTERFACE_DESCRIPTION_BLOCK = 1;
const OBSOLETE_PACKET_BLOCK = 2;
const SIMPLE_PACKET_BLOCK = 3;
const ENHANCED_PACKET_BLOCK = 6;
/**
 * Blocks that carry no packet but that Wireshark still shows as records (systemd journal entries,
 * custom blocks, Sysdig events): each takes a frame number, so we skip one to keep ours equal to
 * tshark's frame.number.
 */
const NUMBERED_NON_PACKET_BLOCKS = new Set([0x9, 0xbad, 0x40000bad, 0x204, 0x208, 0x216, 0x217, 0x221, 0x222]);

/** Smallest legal total length of each block type (header, fixed fields, trailing length). */
const MIN_BLOCK_LENGTH = 12;
const MIN_SECTION_HEADER_LENGTH = 28;
const MIN_INTERFACE_DESCRIPTION_LENGTH = 20;
const MIN_SIMPLE_PACKET_LENGTH = 16;
/** Enhanced and obsolete Packet Blocks share this layout up to the packet data. */
const MIN_PACKET_BLOCK_LENGTH = 32;
const PACKET_DATA_OFFSET = 28;
/** Far above the largest snaplen libpcap allows for any link type: a longer block is corruption. */
const MAX_BLOCK_LENGTH = 256 << 20;

const OPT_ENDOFOPT = 0;
const OPT_IF_TSRESOL = 9;
const OPT_IF_TSOFFSET = 14;

const TWO_TO_32 = 0x1_0000_0000;
/** Timestamps below 2^53 units (high word below 2^21) convert with a single exact division. */
const EXACT_HIGH_LIMIT = 0x20_0000;
/** Up to this many units per second, the 16-bit long division in ticksToSeconds stays below 2^53. */
const LONG_DIVISION_MAX_UNITS = 1e11;
/**
 * Finer units than this cannot be right: a 64-bit timestamp would not span a day in them
 * (10^-15 s and 2^-48 s are the first past it).
 */
const MAX_UNITS_PER_SECOND = 2 ** 64 / 86_400;
/** A JavaScript Date holds ±10^8 days around the epoch; a timestamp past that cannot be shown. */
const MAX_TIMESTAMP_SECONDS = 8.64e12;

/** Header, fixed fields and trailing length: anything shorter is a broken block. */
function minimumLength(type: number): number {
  switch (type) {
    case SECTION_HEADER_BLOCK: return MIN_SECTION_HEADER_LENGTH;
    case INTERFACE_DESCRIPTION_BLOCK: return MIN_INTERFACE_DESCRIPTION_LENGTH;
    case OBSOLETE_PACKET_BLOCK:
    case ENHANCED_PACKET_BLOCK: return MIN_PACKET_BLOCK_LENGTH;
    case SIMPLE_PACKET_BLOCK: return MIN_SIMPLE_PACKET_LENGTH;
    default: return MIN_BLOCK_LENGTH;
  }
}

function blockName(type: number): string {
  switch (type) {
    case SECTION_HEADER_BLOCK: return 'section header';
    case INTERFACE_DESCRIPTION_BLOCK: return 'interface description';
    case OBSOLETE_PACKET_BLOCK: return 'packet block';
    case SIMPLE_PACKET_BLOCK: return 'simple packet block';
    case ENHANCED_PACKET_BLOCK: return 'enhanced packet block';
    default: return `block type 0x${type.toString(16).padStart(8, '0')}`;
  }
}

interface Interface {
  linkType: number;
  snaplen: number;
  /** Timestamp units per second, from if_tsresol (default microseconds). */
  unitsPerSecond: number;
  /** if_tsresol gave a power of two: dividing by it is exact. */
  binaryUnits: boolean;
  /** if_tsoffset: seconds to add to every timestamp. */
  offsetSeconds: number;
}

/** Reads the pcapng file open as `handle` (`fileSize` bytes), delivering each packet to `sink`. */
export async function readPcapng(
  handle: FileHandle,
  path: string,
  fileSize: number,
  sink: PacketSink,
  opts: ReadOptions = {},
): Promise<CaptureInfo> {
  return new PcapngReader(handle, path, fileSize, sink, opts).read();
}

class PcapngReader {
  private buf = Buffer.allocUnsafeSlow(READ_CHUNK_BYTES);
  private view = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.length);
  /** File offset of buf[0]. */
  private bufStart = 0;
  /** Next unparsed byte and end of valid data in buf. */
  private pos = 0;
  private end = 0;
  /** Total length of the block at pos when it does not fit in buf yet. */
  private pendingLength = 0;
  private littleEndian = true;
  /** Interfaces of the current section, by interface id. */
  private interfaces: Interface[] = [];
  private readonly linkTypes = new Set<number>();
  private readonly packet: RawPacket = { frame: 0, ts: 0, linkType: 0, data: Buffer.alloc(0), origLength: 0, recordOffset: -1, recordFile: 0 };
  private readonly repeated = new RepeatedWarnings();
  private readonly emptyRuns = new EmptyRecordRuns();
  private delivered = 0;
  private stopWarning: string | undefined;
  private nextProgress = PROGRESS_STEP_BYTES;
  private readonly slices: DeliverySlices;
  /** The time slice ran out at the last packet delivered: parseWholeBlocks returns to read(). */
  private sliceUsed = false;
  private interrupted = false;

  constructor(
    private readonly handle: FileHandle,
    private readonly path: string,
    private fileSize: number,
    private readonly sink: PacketSink,
    private readonly opts: ReadOptions,
  ) {
    this.slices = new DeliverySlices(opts.signal);
  }

  async read(): Promise<CaptureInfo> {
    while (this.stopWarning === undefined) {
      this.parseWholeBlocks();
      if (this.stopWarning !== undefined) break;
      const sliceUsed = this.sliceUsed;
      if (sliceUsed || this.slices.aborted()) {
        this.sliceUsed = false;
        if (await this.slices.pause()) {
          this.interrupted = true;
          break;
        }
        if (sliceUsed) continue;
      }
      if (this.bufStart + this.end >= this.fileSize) {
        if (this.pos < this.end) {
          this.stop(`truncated block header at byte ${this.offset()} (${this.end - this.pos} of ${MIN_BLOCK_LENGTH} bytes)`);
        }
        break;
      }
      await this.refill();
    }
    const bytesRead = this.offset();
    this.opts.onProgress?.(bytesRead, this.fileSize);
    const warnings = [...this.repeated.lines(), ...this.emptyRuns.lines(this.path)];
    if (this.stopWarning !== undefined) warnings.push(this.stopWarning);
    return { format: 'pcapng', packets: this.delivered, bytesRead, linkTypes: [...this.linkTypes], warnings, interrupted: this.interrupted };
  }

  /** File offset of the next unparsed byte. */
  private offset(): number {
    return this.bufStart + this.pos;
  }

  /**
   * A damaged first Section Header means this is no readable pcapng file at all; anywhere later we
   * keep what was delivered and stop with a warning.
   */
  private stop(reason: string): void {
    const line = `${this.path}: ${reason}`;
    if (this.offset() === 0) throw new CaptureError(line);
    this.stopWarning = `${line}; stopped there`;
  }

  /** Handles every block that lies whole in the buffer; stops at the first that does not. */
  private parseWholeBlocks(): void {
    const view = this.view;
    while (this.end - this.pos >= MIN_BLOCK_LENGTH) {
      const pos = this.pos;
      const type = view.getUint32(pos, this.littleEndian);
      if (type === SECTION_HEADER_BLOCK && !this.readByteOrder(pos)) return;
      const length = view.getUint32(pos + 4, this.littleEndian);
      if (length < MIN_BLOCK_LENGTH || length % 4 !== 0 || length > MAX_BLOCK_LENGTH) {
        return this.stop(`corrupt block at byte ${this.offset()} (${blockName(type)}, impossible length ${length})`);
      }
      const left = this.fileSize - this.offset();
      if (length > left) {
        return this.stop(`truncated block at byte ${this.offset()} (${blockName(type)} needs ${length} bytes, ${left} left)`);
      }
      if (length > this.end - pos) {
        this.pendingLength = length;
        return;
      }
      // Blocks repeat their length at the end: a mismatch means we lost the framing.
      const trailingLength = view.getUint32(pos + length - 4, this.littleEndian);
      if (trailingLength !== length) {
        return this.stop(`corrupt block at byte ${this.offset()} (${blockName(type)}, length ${length} but trailing length ${trailingLength})`);
      }
      if (length < minimumLength(type)) {
        return this.stop(`corrupt block at byte ${this.offset()} (${blockName(type)} of ${length} bytes, shorter than its fixed fields)`);
      }
      switch (type) {
        case SECTION_HEADER_BLOCK: this.readSectionHeader(pos); break;
        case INTERFACE_DESCRIPTION_BLOCK: this.readInterfaceDescription(pos, length); break;
        case ENHANCED_PACKET_BLOCK: this.readPacketBlock(pos, length, view.getUint32(pos + 8, this.littleEndian), type); break;
        case OBSOLETE_PACKET_BLOCK: this.readPacketBlock(pos, length, view.getUint16(pos + 8, this.littleEndian), type); break;
        case SIMPLE_PACKET_BLOCK: this.readSimplePacket(pos, length); break;
        default: // name resolution, statistics, secrets, ...: nothing we need
          if (NUMBERED_NON_PACKET_BLOCKS.has(type)) this.packet.frame++;
      }
      if (this.stopWarning !== undefined) return;
      this.pos = pos + length;
      if (this.offset() >= this.nextProgress) {
        this.nextProgress = this.offset() + PROGRESS_STEP_BYTES;
        this.opts.onProgress?.(this.offset(), this.fileSize);
      }
      if (this.sliceUsed) return;
    }
  }

  /** A Section Header sets the byte order of everything up to the next one. */
  private readByteOrder(pos: number): boolean {
    const magic = this.view.getUint32(pos + 8, true);
    if (magic === BYTE_ORDER_MAGIC) this.littleEndian = true;
    else if (magic === BYTE_ORDER_MAGIC_SWAPPED) this.littleEndian = false;
    else {
      this.stop(`corrupt section header at byte ${this.offset()} (byte-order magic 0x${magic.toString(16).padStart(8, '0')})`);
      return false;
    }
    return true;
  }

  private readSectionHeader(pos: number): void {
    const major = this.view.getUint16(pos + 12, this.littleEndian);
    if (major !== 1) {
      return this.stop(`unsupported pcapng version ${major}.${this.view.getUint16(pos + 14, this.littleEndian)} at byte ${this.offset()}`);
    }
    this.interfaces = []; // interface ids are numbered per section
  }

  private readInterfaceDescription(pos: number, length: number): void {
    const view = this.view;
    const le = this.littleEndian;
    const iface: Interface = {
      linkType: view.getUint16(pos + 8, le),
      snaplen: view.getUint32(pos + 12, le),
      unitsPerSecond: 1e6,
      binaryUnits: false,
      offsetSeconds: 0,
    };
    const optionsEnd = pos + length - 4;
    for (let p = pos + 16; p + 4 <= optionsEnd;) {
      const code = view.getUint16(p, le);
      const valueLength = view.getUint16(p + 2, le);
      if (code === OPT_ENDOFOPT || p + 4 + valueLength > optionsEnd) break;
      if (code === OPT_IF_TSRESOL && valueLength >= 1) {
        // Top bit set: the rest is a negative power of 2; clear: a negative power of 10.
        const resolution = this.buf[p + 4];
        iface.binaryUnits = (resolution & 0x80) !== 0;
        iface.unitsPerSecond = iface.binaryUnits ? 2 ** (resolution & 0x7f) : 10 ** resolution;
        if (iface.unitsPerSecond > MAX_UNITS_PER_SECOND) {
          const units = iface.binaryUnits ? `2^-${resolution & 0x7f}` : `10^-${resolution}`;
          this.repeated.add('tsresol', () => `${this.path}: interface ${this.interfaces.length} at byte ${this.offset()} has if_tsresol ${units} s, which cannot be right (a 64-bit timestamp would not span a day); its timestamps are read as given`);
        }
      } else if (code === OPT_IF_TSOFFSET && valueLength === 8) {
        iface.offsetSeconds = Number(view.getBigInt64(p + 4, le));
      }
      p += 4 + ((valueLength + 3) & ~3);
    }
    this.interfaces.push(iface);
    this.linkTypes.add(iface.linkType);
  }

  /** Enhanced Packet Block, or the obsolete Packet Block (16-bit interface id, then the same fields). */
  private readPacketBlock(pos: number, length: number, interfaceId: number, type: number): void {
    const iface = this.interfaceFor(interfaceId, type);
    if (iface === undefined) return;
    const view = this.view;
    const le = this.littleEndian;
    const capturedLength = view.getUint32(pos + 20, le);
    if (capturedLength > length - MIN_PACKET_BLOCK_LENGTH) {
      this.repeated.add('caplen-block', () => `${this.path}: packet block at byte ${this.offset()} claims ${capturedLength} captured bytes in a ${length}-byte block; skipped`);
      return;
    }
    let ts = ticksToSeconds(view.getUint32(pos + 12, le), view.getUint32(pos + 16, le), iface);
    if (!(Math.abs(ts) <= MAX_TIMESTAMP_SECONDS)) {
      // A coarse if_tsresol or a huge if_tsoffset: no date can show it, so it counts as missing (as in a Simple Packet Block).
      this.repeated.add('ts-range', () => `${this.path}: frame ${this.packet.frame + 1} at byte ${this.offset()} has a timestamp of ${ts} s, past any date (if_tsresol or if_tsoffset wrong?); taken as 0`);
      ts = 0;
    }
    this.deliver(iface, ts, pos + PACKET_DATA_OFFSET, capturedLength, view.getUint32(pos + 24, le));
  }

  /** Simple Packet Block: first interface, no timestamp, captured length implied by the block. */
  private readSimplePacket(pos: number, length: number): void {
    const iface = this.interfaceFor(0, SIMPLE_PACKET_BLOCK);
    if (iface === undefined) return;
    const originalLength = this.view.getUint32(pos + 8, this.littleEndian);
    let capturedLength = Math.min(originalLength, length - MIN_SIMPLE_PACKET_LENGTH);
    if (iface.snaplen > 0) capturedLength = Math.min(capturedLength, iface.snaplen);
    // The block has no timestamp (tshark shows none): 0.
    this.deliver(iface, 0, pos + 12, capturedLength, originalLength);
  }

  private interfaceFor(interfaceId: number, blockType: number): Interface | undefined {
    const iface = this.interfaces[interfaceId];
    if (iface === undefined) {
      this.repeated.add('no-interface', () => `${this.path}: ${blockName(blockType)} at byte ${this.offset()} names undefined interface ${interfaceId}; skipped`);
    }
    return iface;
  }

  private deliver(iface: Interface, ts: number, dataStart: number, capturedLength: number, originalLength: number): void {
    const packet = this.packet;
    packet.frame++;
    if (iface.snaplen > 0 && capturedLength > iface.snaplen) {
      // The block framing vouches for the bytes, so keep the packet; just say the file is odd.
      this.repeated.add('over-snaplen', () => `${this.path}: frame ${packet.frame} captured length ${capturedLength} exceeds its interface snaplen ${iface.snaplen}; kept`);
    }
    packet.ts = ts;
    packet.linkType = iface.linkType;
    packet.data = this.buf.subarray(dataStart, dataStart + capturedLength);
    packet.origLength = originalLength;
    packet.recordOffset = this.offset();
    this.delivered++;
    this.emptyRuns.record(capturedLength === 0, packet.frame, this.offset());
    this.sink(packet);
    if (this.slices.due()) this.sliceUsed = true;
  }

  /** Moves the unparsed tail to the front of the buffer (growing it for a huge block) and reads on. */
  private async refill(): Promise<void> {
    const tail = this.end - this.pos;
    if (this.pendingLength > this.buf.length) {
      const bigger = Buffer.allocUnsafeSlow(this.pendingLength);
      this.buf.copy(bigger, 0, this.pos, this.end);
      this.buf = bigger;
      this.view = new DataView(bigger.buffer, bigger.byteOffset, bigger.length);
    } else {
      this.buf.copyWithin(0, this.pos, this.end);
    }
    this.pendingLength = 0;
    this.bufStart += this.pos;
    this.pos = 0;
    this.end = tail;
    // Never read past the size seen at the start: the rest of the code trusts fileSize.
    const wanted = Math.min(this.buf.length - this.end, this.fileSize - this.bufStart - this.end);
    try {
      const { bytesRead } = await this.handle.read(this.buf, this.end, wanted, this.bufStart + this.end);
      this.end += bytesRead;
      if (bytesRead === 0) this.fileSize = this.bufStart + this.end; // shrank while we read
    } catch (error) {
      this.stop(`read error at byte ${this.bufStart + this.end} (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
    }
  }
}

/**
 * Seconds since the epoch from a 64-bit timestamp given as two 32-bit words in the interface's
 * units. Rounds at most twice, so µs (and ns, to the ~0.2 µs a double holds today) survive.
 */
function ticksToSeconds(high: number, low: number, iface: Interface): number {
  const units = iface.unitsPerSecond;
  if (high < EXACT_HIGH_LIMIT) return iface.offsetSeconds + (high * TWO_TO_32 + low) / units;
  // Scaling by a power of two is exact; past 1e11 units per second a double cannot keep them anyway.
  if (iface.binaryUnits || units > LONG_DIVISION_MAX_UNITS) return iface.offsetSeconds + high * (TWO_TO_32 / units) + low / units;
  // Above 2^53 ticks (every ns timestamp) the tick count is no exact double: divide by 16-bit
  // digits instead, each partial remainder staying an exact integer.
  const highSeconds = Math.floor(high / units);
  let rest = (high - highSeconds * units) * 0x10000 + (low >>> 16);
  const midSeconds = Math.floor(rest / units);
  rest = (rest - midSeconds * units) * 0x10000 + (low & 0xffff);
  const lowSeconds = Math.floor(rest / units);
  rest -= lowSeconds * units;
  return iface.offsetSeconds + (highSeconds * TWO_TO_32 + midSeconds * 0x10000 + lowSeconds) + rest / units;
}
