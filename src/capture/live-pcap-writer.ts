import { closeSync, openSync, unlinkSync, writeSync } from 'node:fs';
import { PCAP_GLOBAL_HEADER_BYTES, writePcapGlobalHeader } from './pcap-header.js';
import { CaptureError } from './types.js';

export interface RotatingPcapOptions {
  /** First file; later ones are numbered before the extension: x.pcap, x.1.pcap, x.2.pcap, ... */
  path: string;
  linkType: number;
  snaplen: number;
  /** A file is closed and the next one started before it would pass this many bytes. */
  maxBytes: number;
  /** Keep at most this many files, deleting the oldest; 0 keeps every one. */
  maxFiles?: number;
}

const RECORD_HEADER = 16;
const CHUNK_BYTES = 1 << 20;

/** The name of file number `index` (0 is `path` itself). */
export function rotatedName(path: string, index: number): string {
  if (index === 0) return path;
  const dot = path.lastIndexOf('.');
  const slash = path.lastIndexOf('/');
  return dot > slash + 1 ? `${path.slice(0, dot)}.${index}${path.slice(dot)}` : `${path}.${index}`;
}

/**
 * Writes captured frames to classic pcap files (little-endian, µs), starting a new file when the
 * current one reaches maxBytes. Frames are gathered in a 1 MiB buffer and written in one call;
 * `flush` puts what is buffered on disk. Each file is a complete capture on its own.
 */
export class RotatingPcapWriter {
  private readonly chunk = Buffer.allocUnsafe(CHUNK_BYTES);
  private used = 0;
  private fd = -1;
  /** Bytes in the current file, written or buffered. */
  private fileBytes = 0;
  private index = 0;
  /** Every file started so far, oldest first (those deleted by maxFiles excepted). */
  readonly files: string[] = [];
  packets = 0;

  constructor(private readonly o: RotatingPcapOptions) {
    if (o.maxBytes < PCAP_GLOBAL_HEADER_BYTES + RECORD_HEADER + 1) throw new CaptureError(`--write-max-size is too small for one packet`);
    this.start();
  }

  /** Rotation number of the file being written (its name: rotatedName(path, fileIndex)). */
  get fileIndex(): number {
    return this.index;
  }

  /** Appends one frame; `ts` in seconds since the epoch. Returns the byte offset of its record in file `fileIndex`. */
  write(ts: number, data: Buffer, origLength: number): number {
    const record = RECORD_HEADER + data.length;
    if (this.fileBytes + record > this.o.maxBytes && this.fileBytes > PCAP_GLOBAL_HEADER_BYTES) this.rotate();
    const at = this.fileBytes;
    if (this.used + record > CHUNK_BYTES) this.flush();
    if (record > CHUNK_BYTES) {
      this.header(ts, data.length, origLength);
      this.flush();
      this.out(data, data.length);
    } else {
      this.header(ts, data.length, origLength);
      data.copy(this.chunk, this.used);
      this.used += data.length;
    }
    this.fileBytes += record;
    this.packets++;
    return at;
  }

  flush(): void {
    this.out(this.chunk, this.used);
    this.used = 0;
  }

  close(): void {
    if (this.fd < 0) return;
    this.flush();
    closeSync(this.fd);
    this.fd = -1;
  }

  private header(ts: number, captured: number, origLength: number): void {
    let seconds = Math.floor(ts);
    let micros = Math.round((ts - seconds) * 1e6);
    if (micros === 1e6) (seconds++, (micros = 0));
    const b = this.chunk;
    b.writeUInt32LE(seconds >>> 0, this.used);
    b.writeUInt32LE(micros, this.used + 4);
    b.writeUInt32LE(captured, this.used + 8);
    b.writeUInt32LE(Math.max(origLength, captured), this.used + 12);
    this.used += RECORD_HEADER;
  }

  private out(buffer: Buffer, length: number): void {
    let done = 0;
    try {
      while (done < length) done += writeSync(this.fd, buffer, done, length - done);
    } catch (err) {
      throw new CaptureError(`${this.files[this.files.length - 1]}: cannot write (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
    }
  }

  private start(): void {
    const name = rotatedName(this.o.path, this.index);
    try {
      this.fd = openSync(name, 'w');
    } catch (err) {
      throw new CaptureError(`${name}: cannot write (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
    }
    this.files.push(name);
    writePcapGlobalHeader(this.chunk, this.used, this.o.linkType, this.o.snaplen);
    this.used += PCAP_GLOBAL_HEADER_BYTES;
    this.fileBytes = PCAP_GLOBAL_HEADER_BYTES;
  }

  private rotate(): void {
    this.close();
    this.index++;
    this.start();
    const max = this.o.maxFiles ?? 0;
    while (max > 0 && this.files.length > max) {
      const oldest = this.files.shift()!;
      try {
        unlinkSync(oldest);
      } catch {
        // already gone: nothing to keep from growing
      }
    }
  }
}
