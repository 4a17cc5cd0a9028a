import { createReadStream } from 'node:fs';
import { createRequire } from 'node:module';
import { Transform, type Readable } from 'node:stream';
import type { EventEmitter } from 'node:events';
import { CaptureError, type CaptureInfo, type PacketSink, type RawPacket, type ReadOptions } from './types.js';

/** The parts of pcap-parser 0.2 we use. It ships no type declarations and is CommonJS. */
interface PcapParserModule {
  parse(input: Readable): EventEmitter;
}
interface PcapGlobalHeader {
  snapshotLength: number;
  linkLayerType: number;
}
interface PcapRecordHeader {
  timestampSeconds: number;
  /** Microseconds, or nanoseconds once the magic was patched (see withMicrosecondMagic). */
  timestampMicroseconds: number;
  capturedLength: number;
  originalLength: number;
}
interface PcapRecord {
  header: PcapRecordHeader;
  data: Buffer;
}

const pcapParser = createRequire(import.meta.url)('pcap-parser') as PcapParserModule;

const GLOBAL_HEADER_LENGTH = 24;
const RECORD_HEADER_LENGTH = 16;
/** pcap-parser copies its leftover and each chunk into a new buffer: 1 MiB chunks mean few allocations. */
const READ_CHUNK = 1 << 20;
const PROGRESS_STEP = 1 << 20;
/** The link-type field's upper bits may carry FCS information (pcap spec, LinkType and additional information). */
const LINK_TYPE_MASK = 0xffff;

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

/**
 * pcap-parser handles both byte orders but knows only the microsecond magic: it rejects a
 * nanosecond file outright ("unknown magic number"). The record layout is the same, so we feed it
 * the microsecond magic in the file's byte order and read its "microseconds" field as nanoseconds.
 */
function withMicrosecondMagic(bigEndian: boolean): Transform {
  let patched = false;
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      // The first chunk holds the whole global header, as the caller checked the file size; were
      // the file cut meanwhile, pcap-parser reports the unpatched magic as unknown.
      if (!patched && chunk.length >= 4) chunk.writeUInt32BE(bigEndian ? 0xa1b2c3d4 : 0xd4c3b2a1, 0);
      patched = true;
      done(null, chunk);
    },
  });
}

/** Reads a classic pcap file of `fileSize` bytes with pcap-parser, delivering each record to `sink`. */
export async function readPcap(
  path: string,
  fileSize: number,
  flavour: PcapFlavour,
  sink: PacketSink,
  opts: ReadOptions = {},
): Promise<CaptureInfo> {
  if (fileSize < GLOBAL_HEADER_LENGTH) {
    throw new CaptureError(`${path}: truncated pcap file header (${fileSize} of ${GLOBAL_HEADER_LENGTH} bytes)`);
  }
  const fractionsPerSecond = flavour.nanoseconds ? 1e9 : 1e6;

  return new Promise((resolve, reject) => {
    const file = createReadStream(path, { highWaterMark: READ_CHUNK });
    const parser = pcapParser.parse(flavour.nanoseconds ? file.pipe(withMicrosecondMagic(flavour.bigEndian)) : file);
    const packet: RawPacket = { frame: 0, ts: 0, linkType: 0, data: Buffer.alloc(0), origLength: 0 };
    let snaplen = 0;
    let consumed = GLOBAL_HEADER_LENGTH;
    let nextProgress = PROGRESS_STEP;
    let settled = false;

    const settle = (warning?: string): void => {
      if (settled) return;
      settled = true;
      file.destroy();
      opts.onProgress?.(consumed, fileSize);
      resolve({
        format: 'pcap',
        packets: packet.frame,
        bytesRead: consumed,
        linkTypes: [packet.linkType],
        warnings: warning === undefined ? [] : [warning],
      });
    };
    const fail = (error: unknown): void => {
      if (settled) return;
      settled = true;
      file.destroy();
      reject(error);
    };

    parser.on('globalHeader', (header: PcapGlobalHeader) => {
      packet.linkType = header.linkLayerType & LINK_TYPE_MASK;
      snaplen = header.snapshotLength;
    });

    // pcap has no framing check, so a record header is all we have to tell a damaged file from a
    // good one. Judge it before pcap-parser waits for its body: given a huge captured length it
    // would buffer (and, chunk by chunk, re-copy) the rest of the file.
    parser.on('packetHeader', (header: PcapRecordHeader) => {
      if (settled) return;
      const frame = packet.frame + 1;
      const left = fileSize - consumed - RECORD_HEADER_LENGTH;
      if (header.capturedLength > left) {
        settle(`${path}: truncated record at byte ${consumed} (frame ${frame} needs ${header.capturedLength} bytes, ${left} left); stopped there`);
      } else if (snaplen > 0 && header.capturedLength > snaplen) {
        settle(`${path}: corrupt record at byte ${consumed} (frame ${frame} captured length ${header.capturedLength} exceeds snaplen ${snaplen}); stopped there`);
      }
    });

    parser.on('packet', (record: PcapRecord) => {
      if (settled) return; // pcap-parser finishes the chunk in hand after we stopped
      const { header } = record;
      consumed += RECORD_HEADER_LENGTH + header.capturedLength;
      packet.frame++;
      // µs: seconds·1e6 + µs is an exact integer, so one division rounds once (as pcapng.ts does).
      packet.ts = flavour.nanoseconds
        ? header.timestampSeconds + header.timestampMicroseconds / fractionsPerSecond
        : (header.timestampSeconds * fractionsPerSecond + header.timestampMicroseconds) / fractionsPerSecond;
      packet.data = record.data;
      packet.origLength = header.originalLength;
      try {
        sink(packet);
      } catch (error) {
        fail(error);
        return;
      }
      if (consumed >= nextProgress) {
        nextProgress = consumed + PROGRESS_STEP;
        opts.onProgress?.(consumed, fileSize);
      }
    });

    parser.on('end', () => {
      const left = fileSize - consumed;
      settle(left > 0 && left < RECORD_HEADER_LENGTH
        ? `${path}: truncated record header at byte ${consumed} (${left} of ${RECORD_HEADER_LENGTH} bytes); stopped there`
        : undefined);
    });

    // Raised before any packet only for a version pcap-parser refuses: the file is unreadable.
    parser.on('error', (error: Error) => {
      if (packet.frame === 0) fail(new CaptureError(`${path}: ${error.message}`));
      else settle(`${path}: ${error.message}; stopped at byte ${consumed}`);
    });
    file.on('error', (error: NodeJS.ErrnoException) => {
      settle(`${path}: read error at byte ${consumed} (${error.code ?? error.message}); stopped there`);
    });
  });
}
