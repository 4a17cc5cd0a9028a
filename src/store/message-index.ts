import { statSync } from 'node:fs';
import { rotatedName, type RawPacket } from '../capture/index.js';
import { COAP_TYPES, type MessageRole } from '../coap/index.js';
import type { AnalyzedMessage } from '../pipeline/index.js';

/** The small-integer codes of the message_index columns (schema migration 8), by value. */
export const TRANSPORTS = ['udp', 'tcp', 'dtls'] as const;
export const ROLES: readonly MessageRole[] = ['request', 'response', 'notification', 'ack', 'reset', 'ping', 'signal'];
export { COAP_TYPES as TYPES };

const TRANSPORT_CODE = new Map<string, number>(TRANSPORTS.map((t, i) => [t, i]));
const ROLE_CODE = new Map<string, number>(ROLES.map((r, i) => [r, i]));
const TYPE_CODE = new Map<string, number>(COAP_TYPES.map((t, i) => [t, i]));


/** One message's row, kept until the batch is taken; string columns stay strings, interned by the store's thread. */
interface IndexRow {
  frame: number;
  n: number;
  ts: number;
  src: string;
  dst: string;
  transport: number;
  type: number | null;
  code: number;
  role: number;
  operation: string | null;
  endpoint: string | null;
  path: string | null;
  contentFormat: number | null;
  size: number;
  responseTo: number | null;
  responseIn: number | null;
  retransmissionOf: number | null;
  error: string | null;
  file: number | null;
  offset: number | null;
  linkType: number | null;
}

/** Where the frame being decoded lies: copied from the RawPacket, which its reader reuses. */
interface FramePlace {
  frame: number;
  ts: number;
  file: number;
  offset: number;
  linkType: number;
}

/**
 * Gathers the compact message index of one run: a row of numbers and strings per message, with
 * where its frame lies in its capture file, so that any message can be listed, found from an
 * event and dissected again from the source bytes (see src/evidence/). Rows are gathered per
 * batch and taken by the run writer into the batch its store's thread writes (interning their
 * strings into index_strings there: see writeIndex in sqlite/worker.ts, and pg/worker.ts).
 */
export class MessageIndexWriter {
  private rows: IndexRow[] = [];
  /** Requests of this batch by frame: their first response sets response_in before they are written. */
  private readonly pendingRequests = new Map<number, IndexRow>();
  /** Requests of earlier batches answered in this one: request frame → response frame. */
  private readonly lateAnswers: Array<[number, number]> = [];
  private readonly eventFrames: FramePlace[] = [];
  private readonly place: FramePlace = { frame: 0, ts: 0, file: -1, offset: -1, linkType: 0 };
  private lastFrame = -1;
  private sameFrame = 0;
  /** Capture files (by rotation number) holding frames since the last commit: their size and time are recorded at it. */
  private readonly touchedFiles = new Set<number>();

  constructor(private readonly runId: number, private readonly recordFile: string | null) {}

  /** The frame about to be decoded: the messages it yields lie where it does. */
  frame(p: RawPacket): void {
    const place = this.place;
    place.frame = p.frame;
    place.ts = p.ts;
    place.file = this.recordFile === null ? -1 : p.recordFile;
    place.offset = p.recordOffset;
    place.linkType = p.linkType;
    if (place.file >= 0) this.touchedFiles.add(place.file);
  }

  message(m: AnalyzedMessage): void {
    const e = m.coap;
    const msg = e.msg;
    const match = e.match;
    const l = m.lwm2m;
    // A frame earlier than the last (a message the end of the capture drained from a reassembly)
    // may have messages already: its n is found at the write (LATE).
    const late = e.frame < this.lastFrame;
    this.sameFrame = e.frame === this.lastFrame ? this.sameFrame + 1 : 0;
    if (!late) this.lastFrame = e.frame;
    const request = match.request;
    // A message completed by a later frame's decoding (the end of the capture draining a
    // reassembly) does not lie where the current frame does.
    const here = this.place.frame === e.frame && this.place.file >= 0 && this.place.offset >= 0;
    const row: IndexRow = {
      frame: e.frame, n: late ? LATE : this.sameFrame, ts: e.ts, src: e.src, dst: e.dst,
      transport: TRANSPORT_CODE.get(e.transport)!, type: msg.type === null ? null : TYPE_CODE.get(msg.type)!, code: msg.code,
      role: ROLE_CODE.get(match.role)!, operation: l?.operation ?? null, endpoint: l?.endpoint ?? null,
      path: l?.path ?? msg.uriPath ?? (request !== null ? request.uriPath : null),
      contentFormat: msg.contentFormat, size: e.size, responseTo: request === null ? null : request.frame, responseIn: null,
      retransmissionOf: match.retransmissionOf, error: msg.error,
      file: here ? this.place.file : null, offset: here ? this.place.offset : null, linkType: here ? this.place.linkType : null,
    };
    this.rows.push(row);
    if (match.role === 'request' && match.retransmissionOf === null) this.pendingRequests.set(e.frame, row);
    // The first response to a request (the only one with a response time) links the request to it.
    if (request !== null && match.responseTime !== null) {
      const asked = this.pendingRequests.get(request.frame);
      if (asked) asked.responseIn ??= e.frame;
      else this.lateAnswers.push([request.frame, e.frame]);
    }
  }

  /** An event named frame `frame`: if it is the frame being decoded, where it lies is kept (a DTLS record carries no message to find it by). */
  event(frame: number | null): void {
    const p = this.place;
    if (frame === null || frame !== p.frame || p.file < 0 || p.offset < 0) return;
    this.eventFrames.push({ ...p });
  }

  /**
   * The rows gathered since the last take(): strings not interned (the store's thread interns
   * them), and a frame that came out of order with n = -1 (the store numbers it after that
   * frame's rows).
   */
  take(): TakenIndex {
    const run = this.runId;
    const t: TakenIndex = { rows: new Array(this.rows.length), answered: [], eventFrames: [], files: [] };
    for (let i = 0; i < this.rows.length; i++) {
      const r = this.rows[i];
      t.rows[i] = [run, r.frame, r.n, r.ts, r.src, r.dst, r.transport, r.type, r.code, r.role, r.operation, r.endpoint, r.path, r.contentFormat,
        r.size, r.responseTo, r.responseIn, r.retransmissionOf, r.error, r.file, r.offset, r.linkType];
    }
    for (const [request, response] of this.lateAnswers) t.answered.push([response, request]);
    for (const f of this.eventFrames) t.eventFrames.push([run, f.frame, f.ts, f.file, f.offset, f.linkType]);
    if (this.recordFile !== null) {
      for (const file of this.touchedFiles) {
        const path = rotatedName(this.recordFile, file);
        const stat = statOrNull(path);
        t.files.push([run, file, path, stat?.size ?? null, stat === null ? null : stat.mtimeMs / 1000]);
      }
    }
    this.clear();
    return t;
  }

  private clear(): void {
    this.rows = [];
    this.pendingRequests.clear();
    this.lateAnswers.length = 0;
    this.eventFrames.length = 0;
    this.touchedFiles.clear();
    // The file being written (live) grows on: recorded again at the next commit.
    if (this.place.file >= 0) this.touchedFiles.add(this.place.file);
  }

  /** Registers the capture file before any frame is read (a capture without messages is still its run's source). */
  start(): void {
    if (this.recordFile !== null && this.place.file < 0) this.touchedFiles.add(0);
  }
}

/** A batch of the index: rows in INDEX_COLUMNS' order, answers as [response, request]. */
export interface TakenIndex {
  rows: Array<Array<number | string | null>>;
  answered: Array<[number, number]>;
  eventFrames: unknown[][];
  files: unknown[][];
}

/** `n` of a row whose frame came out of order, until the write numbers it after that frame's other rows. */
export const LATE = -1;

/** The columns of a message_index row, in the order of a taken row's values. */
export const INDEX_COLUMNS = `run_id, frame, n, ts, src, dst, transport, type, code, role, operation, endpoint, path, content_format, size,
  response_to, response_in, retransmission_of, error, file, offset, link_type`;

function statOrNull(path: string): { size: number; mtimeMs: number } | null {
  try {
    return statSync(path);
  } catch {
    return null;
  }
}
