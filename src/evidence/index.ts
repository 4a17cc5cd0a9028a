/**
 * Evidence: a run's frames read back from its capture files, where the message index says they
 * lie, as termshark reads them again with tshark. The index keeps what lists and finds messages;
 * the bytes and their full dissection come from the source on demand. Public surface:
 *
 * - `RunSource.open(db, dbPath, run, { source })`: checks the run's capture files are where,
 *   and as, the run left them (size and modification time), else fails with one line that names
 *   the file and offers --source PATH.
 * - `source.frame(place)`: the frame's bytes (after checking its record is the one indexed).
 * - `source.dissect(message)`: the frame decoded again by the normal pipeline: its messages as
 *   NDJSON records (with its request fed first, so a response carries its request's path and
 *   link, and with the endpoint name the run knew from the registration), plus the raw bytes.
 * - `writeFramesPcap(frames, out)`: frames to a classic pcap with their original time stamps.
 */
import type Database from 'better-sqlite3';
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { RotatingPcapWriter, rotatedName, type RawPacket } from '../capture/index.js';
import { messageLine } from '../cli/format/ndjson.js';
import { AnalysisPipeline, type AnalyzedMessage } from '../pipeline/index.js';
import { captureFiles, messagesOfFrame, runInfo, type CaptureFileRow, type FramePlace, type IndexedMessage } from '../store/index.js';
import { FrameReadError, readFrameAt } from './read-frame.js';

export { FrameReadError } from './read-frame.js';

/** The evidence cannot be read (source moved or changed, frame not recorded); the message is one line for the user. */
export class EvidenceError extends Error {
  override name = 'EvidenceError';
}

/** A frame as read back: where it lies and its bytes. */
export interface Frame extends FramePlace {
  path: string;
  data: Buffer;
  origLength: number;
}

/** One frame decoded again: the NDJSON records of its messages and its bytes. */
export interface Dissection {
  frame: Frame;
  /** Each CoAP message of the frame as `analyze --format ndjson` prints it (parsed). */
  records: Record<string, unknown>[];
  /** Why the records may be fewer or poorer than the run's, in one line; null when there is nothing to say. */
  note: string | null;
}

/** Steps of request and response links followed back from a message to feed its exchange first. */
const CONTEXT_DEPTH = 4;
/** Seconds two time stamps of the same record may differ by (the index keeps doubles; pcapng's come from it). */
const SAME_TIME = 1e-6;
/** A file's modification time as recorded and as stat reads it again may differ by rounding. */
const SAME_MTIME = 0.002;

export class RunSource {
  private constructor(
    private readonly db: Database.Database,
    private readonly dbPath: string,
    readonly run: number,
    private readonly files: Map<number, CaptureFileRow>,
    private readonly override: string | null,
    private readonly finished: boolean,
  ) {}

  /**
   * The capture files of run `run`, checked. `source`: where the capture is now, when it moved
   * (monitor's rotations are found next to it by name).
   */
  static open(db: Database.Database, dbPath: string, run: number, opts: { source?: string } = {}): RunSource {
    const info = runInfo(db, dbPath, run);
    if (info === null) throw new EvidenceError(`database ${dbPath} has no run ${run}`);
    const files = new Map(captureFiles(db, dbPath, run).map((f) => [f.file, f]));
    if (files.size === 0) {
      throw new EvidenceError(`run ${run} (${info.source}) kept no capture file to read frames from${info.source.startsWith('iface:') ? ' (monitor without --write)' : ''}`);
    }
    return new RunSource(db, dbPath, run, files, opts.source === undefined ? null : resolve(opts.source), info.finished);
  }

  /** Where file `file` of the run is read from, after checking it is the run's. */
  pathOf(file: number): string {
    const row = this.files.get(file);
    if (row === undefined) throw new EvidenceError(`run ${this.run} recorded no capture file number ${file}`);
    const path = this.override === null ? row.path : rotatedName(this.override, file);
    let stat;
    try {
      stat = statSync(path);
    } catch {
      throw new EvidenceError(this.override === null
        ? `capture ${row.path} of run ${this.run} is not there any more (moved or deleted); give its new place with --source PATH`
        : `--source ${path}: no such file`);
    }
    // A run still being written (monitor) grows its last file: only a shrunken one is wrong.
    const sizeWrong = row.size !== null && (this.finished ? stat.size !== row.size : stat.size < row.size);
    if (this.override !== null) {
      if (sizeWrong) throw new EvidenceError(`--source ${path} is not the capture of run ${this.run} (${stat.size} bytes; the run read ${row.size})`);
    } else if (sizeWrong || (this.finished && row.mtime !== null && Math.abs(stat.mtimeMs / 1000 - row.mtime) > SAME_MTIME)) {
      const what = sizeWrong ? `${row.size} bytes then, ${stat.size} now` : 'modified since';
      throw new EvidenceError(`capture ${row.path} of run ${this.run} changed since the run (${what}); give the original with --source PATH`);
    }
    return path;
  }

  /** The bytes of the frame at `place`, checked against the index (the record's time stamp). */
  frame(place: FramePlace): Frame {
    const path = this.pathOf(place.file);
    let bytes;
    try {
      bytes = readFrameAt(path, place.offset);
    } catch (err) {
      if (err instanceof FrameReadError) throw new EvidenceError(`frame ${place.frame}: ${err.message}`);
      throw err;
    }
    if (bytes.ts !== null && Math.abs(bytes.ts - place.ts) > SAME_TIME) {
      throw new EvidenceError(`frame ${place.frame}: the record at byte ${place.offset} of ${path} is not the one run ${this.run} indexed (time ${bytes.ts}, not ${place.ts}); give the original capture with --source PATH`);
    }
    return { ...place, ts: bytes.ts ?? place.ts, linkType: bytes.linkType ?? place.linkType, path, data: bytes.data, origLength: bytes.origLength };
  }

  /** Where an indexed message's frame lies; an error when the index recorded no place for it. */
  placeOf(m: IndexedMessage): FramePlace {
    if (m.file === null || m.offset === null || m.linkType === null) {
      throw new EvidenceError(`frame ${m.frame} of run ${this.run} has no recorded place in a capture file (a live run without --write, or completed only by the end of the capture)`);
    }
    return { run: m.run, frame: m.frame, ts: m.ts, file: m.file, offset: m.offset, linkType: m.linkType };
  }

  /**
   * The frame of `m` decoded again by the normal pipeline. The exchange it belongs to goes
   * first, as far as the index links it (the request it answers, that request's first response,
   * and so on up to CONTEXT_DEPTH steps: an ACK of a notification needs the notification, which
   * needs its Observe request and the first response), so that it is matched (its role, path and
   * responseTo) as in the run. A frame of that chain that cannot be read is left out: the
   * message is then dissected all the same, less matched.
   */
  dissect(m: IndexedMessage): Dissection {
    const target = this.frame(this.placeOf(m));
    const before = new Map<number, IndexedMessage>();
    let current: IndexedMessage | undefined = m;
    for (let depth = 0; depth < CONTEXT_DEPTH && current?.responseTo != null && current.responseTo < current.frame; depth++) {
      const request: IndexedMessage | undefined = messagesOfFrame(this.db, this.dbPath, this.run, current.responseTo)[0];
      if (request === undefined) break;
      before.set(request.frame, request);
      if (request.responseIn !== null && request.responseIn < m.frame) {
        const first = messagesOfFrame(this.db, this.dbPath, this.run, request.responseIn)[0];
        if (first !== undefined) before.set(first.frame, first);
      }
      current = request;
    }
    const feed: Frame[] = [];
    for (const earlier of [...before.values()].sort((a, b) => a.frame - b.frame)) {
      try {
        feed.push(this.frame(this.placeOf(earlier)));
      } catch {
        // Left out: see above.
      }
    }
    feed.push(target);
    const ports = [...new Set([m.src, m.dst].map(portOf).filter((p): p is number => p !== null))];
    const messages: AnalyzedMessage[] = [];
    const records: Record<string, unknown>[] = [];
    const pipeline = new AnalysisPipeline((a) => {
      messages.push(a);
      // Formatted at once: the message's views into the frame are valid only now.
      if (a.coap.frame === target.frame) records.push(JSON.parse(messageLine(a)) as Record<string, unknown>);
    }, { ports, heuristic: true });
    for (const f of feed) pipeline.push(toPacket(f));
    pipeline.finish();
    // The endpoint's name comes from its registration, which the frame alone does not carry: the run's, from the index.
    for (const r of records) {
      const lwm2m = r.lwm2m as { endpoint?: string | null } | null;
      if (lwm2m && lwm2m.endpoint === null && m.endpoint !== null && records.length === 1) lwm2m.endpoint = m.endpoint;
    }
    let note: string | null = null;
    if (m.transport === 'dtls') note = `frame ${m.frame} is DTLS: its CoAP was decrypted with the run's session keys, which are not stored; the index row is what the run saw`;
    else if (records.length === 0) note = `frame ${m.frame} alone decodes into no CoAP message: it completed a reassembly (IP fragments, a TCP stream) the run followed; the index row is what the run saw`;
    return { frame: target, records, note };
  }
}

function toPacket(f: Frame): RawPacket {
  return { frame: f.frame, ts: f.ts, linkType: f.linkType, data: f.data, origLength: f.origLength, recordOffset: f.offset, recordFile: f.file };
}

/** The port of "a.b.c.d:port" or "[v6]:port". */
function portOf(address: string): number | null {
  const port = Number(address.slice(address.lastIndexOf(':') + 1));
  return Number.isInteger(port) && port > 0 && port < 65536 ? port : null;
}

/**
 * Writes frames to a classic pcap (µs, the link type of the frames) at `out`, in the order
 * given, with their original time stamps: tshark and Wireshark open it as they open the source.
 */
/**
 * Whether writing `out` would overwrite a file the frames are read from (a link or another
 * spelling of it): writing a pcap starts by emptying the file.
 */
export function overwritesSource(frames: readonly Frame[], out: string): boolean {
  let target;
  try {
    target = statSync(out);
  } catch {
    return false;
  }
  return frames.some((f) => {
    try {
      const source = statSync(f.path);
      return source.dev === target.dev && source.ino === target.ino;
    } catch {
      return false;
    }
  });
}

export function writeFramesPcap(frames: readonly Frame[], out: string): void {
  const linkTypes = [...new Set(frames.map((f) => f.linkType))];
  if (linkTypes.length > 1) throw new EvidenceError(`the frames have different link types (${linkTypes.join(', ')}): a pcap file holds one`);
  const writer = new RotatingPcapWriter({ path: out, linkType: linkTypes[0] ?? 1, snaplen: 262_144, maxBytes: Number.MAX_SAFE_INTEGER });
  for (const f of frames) writer.write(f.ts, f.data, f.origLength);
  writer.close();
}
