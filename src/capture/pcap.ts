/**
 * Classic pcap reader, written by hand because this loop is the hot path of every offline run.
 * The npm pcap-parser is unmaintained, knows no nanosecond files, uses the deprecated Buffer
 * constructor, and per packet makes three buffer slices, two objects and three events, several
 * times the cost of this loop. Like the pcapng reader it reads large chunks and hands out views
 * into them, reusing one RawPacket object.
 */
import type { FileHandle } from 'node:fs/promises';
import { EmptyRecordRuns, RepeatedWarnings } from './warnings.js';
import { CaptureError, DeliverySlices, PROGRESS_STEP_BYTES, READ_CHUNK_BYTES, type CaptureInfo, type PacketSink, type RawPacket, type ReadOptions } from './types.js';

const GLOBAL_HEADER_LENGTH = 24;
const RECORD_HEADER_LENGTH = 16;
/** The link-type field's upper bits may carry FCS information (pcap spec, LinkType and additional information). */
const LINK_TYPE_MASK = 0xffff;
const SUPPORTED_MAJOR_VERSION = 2;
/**
 * libpcap's largest snapshot length for any common link type (MAXIMUM_SNAPLEN): a record over
 * the file's snaplen but within this is kept, as libpcap and Wireshark keep it; one past both
 * means the record headers are no longer where we read them.
 */
const MAX_PLAUSIBLE_CAPLEN = 262_144;

export interface PcapFlavour {
  bigEndian: boolean;
  nanoseconds: boolean;
}

/** Which classic pcap variant a file is, from its first four bytes read big-endian; undefined if none. */
export function pcapFlavour(magic: number): PcapFlavour | undefined {
  switch (magic) {
    case 0xa1b2c3d4: return { bigEndian: true, nanoseconds: false };
    case 0xd4c3b2a1: return { bigEndian: false, nanoseconds: false };
    case 0xa1b23c4d: return { bigEndian: true, nanoseconds: true };
    case 0x4d3cb2a1: return { bigEndian: false, nanoseconds: true };
    default: return undefined;
  }
}

/** Reads the classic pcap file open as `handle` (`fileSize` bytes), delivering each record to `sink`. */
export async function readPcap(
  handle: FileHandle,
  path: string,
  fileSize: number,
  flavour: PcapFlavour,
  sink: PacketSink,
  opts: ReadOptions = {},
): Promise<CaptureInfo> {
  if (fileSize < GLOBAL_HEADER_LENGTH) {
    throw new CaptureError(`${path}: truncated pcap file header (${fileSize} of ${GLOBAL_HEADER_LENGTH} bytes)`);
  }
  return new PcapReader(handle, path, fileSize, flavour, sink, opts).read();
}

class PcapReader {
  /** A fresh buffer per chunk, never reused: views handed out stay valid for whoever keeps them. */
  private buf = Buffer.alloc(0);
  /** File offset of buf[0]; next unparsed byte and end of valid data in buf. */
  private bufStart = 0;
  private pos = 0;
  private end = 0;
  private readonly littleEndian: boolean;
  private readonly fractionsPerSecond: number;
  private snaplen = 0;
  private readonly packet: RawPacket = { frame: 0, ts: 0, linkType: 0, data: Buffer.alloc(0), origLength: 0, recordOffset: -1, recordFile: 0 };
  private stopWarning: string | undefined;
  private readonly repeated = new RepeatedWarnings();
  private readonly emptyRuns = new EmptyRecordRuns();
  private nextProgress = PROGRESS_STEP_BYTES;
  private readonly slices: DeliverySlices;
  private interrupted = false;

  constructor(
    private readonly handle: FileHandle,
    private readonly path: string,
    private fileSize: number,
    flavour: PcapFlavour,
    private readonly sink: PacketSink,
    private readonly opts: ReadOptions,
  ) {
    this.littleEndian = !flavour.bigEndian;
    this.fractionsPerSecond = flavour.nanoseconds ? 1e9 : 1e6;
    this.slices = new DeliverySlices(opts.signal);
  }

  async read(): Promise<CaptureInfo> {
    await this.refill(GLOBAL_HEADER_LENGTH);
    if (this.end < GLOBAL_HEADER_LENGTH) throw new CaptureError(`${this.path}: cannot read the pcap file header`);
    this.readGlobalHeader();
    while (this.stopWarning === undefined) {
      const sliceUsed = this.parseWholeRecords();
      if (this.stopWarning !== undefined) break;
      if (sliceUsed || this.slices.aborted()) {
        if (await this.slices.pause()) {
          this.interrupted = true;
          break;
        }
        if (sliceUsed) continue;
      }
      const left = this.fileSize - this.offset();
      if (left === 0) break;
      if (left < RECORD_HEADER_LENGTH && this.end - this.pos === left) {
        this.stopWarning = `${this.path}: truncated record header at byte ${this.offset()} (${left} of ${RECORD_HEADER_LENGTH} bytes); stopped there`;
        break;
      }
      await this.refill(this.pendingLength());
    }
    const bytesRead = this.offset();
    this.opts.onProgress?.(bytesRead, this.fileSize);
    return {
      format: 'pcap',
      packets: this.packet.frame,
      bytesRead,
      linkTypes: [this.packet.linkType],
      warnings: [...this.repeated.lines(), ...this.emptyRuns.lines(this.path), ...(this.stopWarning === undefined ? [] : [this.stopWarning])],
      interrupted: this.interrupted,
    };
  }

  private offset(): number {
    return this.bufStart + this.pos;
  }

  private u32(at: number): number {
    return this.littleEndian ? this.buf.readUInt32LE(at) : this.buf.readUInt32BE(at);
  }

  private readGlobalHeader(): void {
    const major = this.littleEndian ? this.buf.readUInt16LE(4) : this.buf.readUInt16BE(4);
    if (major !== SUPPORTED_MAJOR_VERSION) {
      const minor = this.littleEndian ? this.buf.readUInt16LE(6) : this.buf.readUInt16BE(6);
      throw new CaptureError(`${this.path}: unsupported pcap version ${major}.${minor} (only 2.x exists)`);
    }
    this.snaplen = this.u32(16);
    this.packet.linkType = this.u32(20) & LINK_TYPE_MASK;
    this.pos = GLOBAL_HEADER_LENGTH;
  }

  /** Bytes the record at pos needs in the buffer: its header, then header and body. */
  private pendingLength(): number {
    return this.end - this.pos < RECORD_HEADER_LENGTH ? RECORD_HEADER_LENGTH : RECORD_HEADER_LENGTH + this.u32(this.pos + 8);
  }

  /**
   * Delivers every record that lies whole in the buffer; stops at the first that does not, or
   * when the time slice is used up (then returns true).
   */
  private parseWholeRecords(): boolean {
    const buf = this.buf;
    const le = this.littleEndian;
    const packet = this.packet;
    const fractions = this.fractionsPerSecond;
    const nanoseconds = fractions === 1e9;
    let pos = this.pos;
    while (this.end - pos >= RECORD_HEADER_LENGTH) {
      const seconds = le ? buf.readUInt32LE(pos) : buf.readUInt32BE(pos);
      const fraction = le ? buf.readUInt32LE(pos + 4) : buf.readUInt32BE(pos + 4);
      const captured = le ? buf.readUInt32LE(pos + 8) : buf.readUInt32BE(pos + 8);
      // pcap has no framing check, so a record header is all we have to tell a damaged file from
      // a good one: judge it before waiting for (or allocating) its body.
      const left = this.fileSize - this.bufStart - pos - RECORD_HEADER_LENGTH;
      if (captured > left) {
        this.pos = pos;
        this.stopWarning = `${this.path}: truncated record at byte ${this.offset()} (frame ${packet.frame + 1} needs ${captured} bytes, ${left} left); stopped there`;
        return false;
      }
      const overSnaplen = this.snaplen > 0 && captured > this.snaplen;
      if (overSnaplen && captured > MAX_PLAUSIBLE_CAPLEN) {
        this.pos = pos;
        this.stopWarning = `${this.path}: corrupt record at byte ${this.offset()} (frame ${packet.frame + 1} captured length ${captured} exceeds snaplen ${this.snaplen} and the ${MAX_PLAUSIBLE_CAPLEN}-byte maximum); stopped there`;
        return false;
      }
      const bodyStart = pos + RECORD_HEADER_LENGTH;
      if (bodyStart + captured > this.end) break;
      if (overSnaplen) {
        const at = this.bufStart + pos;
        this.repeated.add('over-snaplen', () => `${this.path}: frame ${packet.frame + 1} at byte ${at} captured length ${captured} exceeds snaplen ${this.snaplen}; kept`);
      }
      packet.frame++;
      // µs: seconds·1e6 + µs is an exact integer, so one division rounds once (as pcapng.ts does).
      packet.ts = nanoseconds ? seconds + fraction / fractions : (seconds * fractions + fraction) / fractions;
      packet.origLength = le ? buf.readUInt32LE(pos + 12) : buf.readUInt32BE(pos + 12);
      packet.data = buf.subarray(bodyStart, bodyStart + captured);
      packet.recordOffset = this.bufStart + pos;
      this.emptyRuns.record(captured === 0, packet.frame, this.bufStart + pos);
      pos = bodyStart + captured;
      this.pos = pos;
      this.sink(packet);
      if (this.bufStart + pos >= this.nextProgress) {
        this.nextProgress = this.bufStart + pos + PROGRESS_STEP_BYTES;
        this.opts.onProgress?.(this.bufStart + pos, this.fileSize);
      }
      if (this.slices.due()) return true;
    }
    this.pos = pos;
    return false;
  }

  /** Moves the unparsed tail into a fresh buffer of at least `need` bytes and fills it from the file. */
  private async refill(need: number): Promise<void> {
    const tail = this.end - this.pos;
    const next = Buffer.allocUnsafeSlow(Math.max(READ_CHUNK_BYTES, need));
    this.buf.copy(next, 0, this.pos, this.end);
    this.bufStart += this.pos;
    this.buf = next;
    this.pos = 0;
    this.end = tail;
    // Never read past the size seen at the start: the rest of the code trusts fileSize.
    while (this.end < need || this.end === tail) {
      const wanted = Math.min(next.length - this.end, this.fileSize - this.bufStart - this.end);
      if (wanted <= 0) return;
      try {
        const { bytesRead } = await this.handle.read(next, this.end, wanted, this.bufStart + this.end);
        if (bytesRead === 0) {
          this.fileSize = this.bufStart + this.end; // shrank while we read
          return;
        }
        this.end += bytesRead;
      } catch (error) {
        this.stopWarning = `${this.path}: read error at byte ${this.bufStart + this.end} (${(error as NodeJS.ErrnoException).code ?? String(error)}); stopped there`;
        return;
      }
    }
  }
}
