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
  /**
   * The batch's rows, their numbers and their strings apart (see IndexRows): the numbers go to
   * the store's thread without being copied (a transferred buffer), which costs the analysis a
   * fraction of what posting a row object per message did.
   */
  private numbers: Float64Array<ArrayBuffer> = new Float64Array(FIRST_ROWS * NUMBERS_PER_ROW);
  private strings: Array<string | null> = [];
  private count = 0;
  /** Requests of this batch by frame → their row: their first response sets response_in before they are written. */
  private readonly pendingRequests = new Map<number, number>();
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
    if ((this.count + 1) * NUMBERS_PER_ROW > this.numbers.length) {
      const grown = new Float64Array(this.numbers.length * 2);
      grown.set(this.numbers);
      this.numbers = grown;
    }
    const row = this.count++;
    const v = this.numbers;
    // In INDEX_NUMBER_COLUMNS' order; null as NaN.
    let i = row * NUMBERS_PER_ROW;
    v[i++] = this.runId;
    v[i++] = e.frame;
    v[i++] = late ? LATE : this.sameFrame;
    v[i++] = e.ts;
    v[i++] = TRANSPORT_CODE.get(e.transport)!;
    v[i++] = msg.type === null ? NaN : TYPE_CODE.get(msg.type)!;
    v[i++] = msg.code;
    v[i++] = ROLE_CODE.get(match.role)!;
    v[i++] = msg.contentFormat ?? NaN;
    v[i++] = e.size;
    v[i++] = request === null ? NaN : request.frame;
    v[i++] = NaN; // response_in: set by the first response
    v[i++] = match.retransmissionOf ?? NaN;
    v[i++] = here ? this.place.file : NaN;
    v[i++] = here ? this.place.offset : NaN;
    v[i++] = here ? this.place.linkType : NaN;
    // In INDEX_STRING_COLUMNS' order.
    this.strings.push(e.src, e.dst, l?.operation ?? null, l?.endpoint ?? null, l?.path ?? msg.uriPath ?? (request !== null ? request.uriPath : null),
      msg.error);
    if (match.role === 'request' && match.retransmissionOf === null) this.pendingRequests.set(e.frame, row);
    // The first response to a request (the only one with a response time) links the request to it.
    if (request !== null && match.responseTime !== null) {
      const asked = this.pendingRequests.get(request.frame);
      if (asked === undefined) this.lateAnswers.push([request.frame, e.frame]);
      else if (Number.isNaN(v[asked * NUMBERS_PER_ROW + RESPONSE_IN])) v[asked * NUMBERS_PER_ROW + RESPONSE_IN] = e.frame;
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
   * frame's rows). Its `rows.numbers` buffer is the store's from then on (transferred).
   */
  take(): TakenIndex {
    const run = this.runId;
    const t: TakenIndex = { rows: { count: this.count, numbers: this.numbers, strings: this.strings }, answered: [], eventFrames: [], files: [] };
    for (const [request, response] of this.lateAnswers) t.answered.push([response, request]);
    for (const f of this.eventFrames) t.eventFrames.push([run, f.frame, f.ts, f.file, f.offset, f.linkType]);
    if (this.recordFile !== null) {
      for (const file of this.touchedFiles) {
        const path = rotatedName(this.recordFile, file);
        const stat = statOrNull(path);
        t.files.push([run, file, path, stat?.size ?? null, stat === null ? null : stat.mtimeMs / 1000]);
      }
    }
    // The next batch is as large as this one, most likely.
    this.numbers = new Float64Array(Math.max(FIRST_ROWS, this.count) * NUMBERS_PER_ROW);
    this.strings = [];
    this.count = 0;
    this.clear();
    return t;
  }

  private clear(): void {
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

/** A batch of the index: its rows, answers as [response, request], and the event_frames and capture_files rows. */
export interface TakenIndex {
  rows: IndexRows;
  answered: Array<[number, number]>;
  eventFrames: unknown[][];
  files: unknown[][];
}

/**
 * `count` message_index rows: NUMBERS_PER_ROW numbers each in `numbers` (in INDEX_NUMBER_COLUMNS'
 * order, null as NaN), INDEX_STRING_COLUMNS.length strings each in `strings`.
 */
export interface IndexRows {
  count: number;
  numbers: Float64Array<ArrayBuffer>;
  strings: Array<string | null>;
}

/** `n` of a row whose frame came out of order, until the write numbers it after that frame's other rows. */
export const LATE = -1;

/** The columns of a message_index row, in the order of the values of a row from indexRowValues(). */
export const INDEX_COLUMNS = `run_id, frame, n, ts, src, dst, transport, type, code, role, operation, endpoint, path, content_format, size,
  response_to, response_in, retransmission_of, error, file, offset, link_type`;
/** Positions in INDEX_COLUMNS of the columns that hold interned strings (index_strings ids). */
export const INDEX_STRING_COLUMNS = [4, 5, 10, 11, 12, 18];
/** Positions in INDEX_COLUMNS of the others, numbers. */
const INDEX_NUMBER_COLUMNS = [0, 1, 2, 3, 6, 7, 8, 9, 13, 14, 15, 16, 17, 19, 20, 21];
const NUMBERS_PER_ROW = INDEX_NUMBER_COLUMNS.length;
const STRINGS_PER_ROW = INDEX_STRING_COLUMNS.length;
/** response_in's place among a row's numbers. */
const RESPONSE_IN = INDEX_NUMBER_COLUMNS.indexOf(16);
/** Rows the first batch has room for before it grows. */
const FIRST_ROWS = 1024;

/** Row `i` of `rows` as the values of INDEX_COLUMNS (strings not yet interned), for the store's thread; into `values` when given. */
export function indexRowValues(rows: IndexRows, i: number, values = new Array<number | string | null>(NUMBERS_PER_ROW + STRINGS_PER_ROW)): Array<number | string | null> {
  const n = rows.numbers;
  const base = i * NUMBERS_PER_ROW;
  for (let c = 0; c < NUMBERS_PER_ROW; c++) {
    const v = n[base + c];
    values[INDEX_NUMBER_COLUMNS[c]] = Number.isNaN(v) ? null : v;
  }
  for (let c = 0; c < STRINGS_PER_ROW; c++) values[INDEX_STRING_COLUMNS[c]] = rows.strings[i * STRINGS_PER_ROW + c];
  return values;
}

function statOrNull(path: string): { size: number; mtimeMs: number } | null {
  try {
    return statSync(path);
  } catch {
    return null;
  }
}
