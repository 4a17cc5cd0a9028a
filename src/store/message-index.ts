import { statSync } from 'node:fs';
import type Database from 'better-sqlite3';
import { rotatedName, type RawPacket } from '../capture/index.js';
import { COAP_TYPES, type MessageRole } from '../coap/index.js';
import type { AnalyzedMessage } from '../pipeline/index.js';
import { BoundedMap } from '../util/bounded-map.js';
import { MAX_INTERNED_STRINGS } from './index-strings.js';

/** The small-integer codes of the message_index columns (schema migration 8), by value. */
export const TRANSPORTS = ['udp', 'tcp', 'dtls'] as const;
export const ROLES: readonly MessageRole[] = ['request', 'response', 'notification', 'ack', 'reset', 'ping', 'signal'];
export { COAP_TYPES as TYPES };

const TRANSPORT_CODE = new Map<string, number>(TRANSPORTS.map((t, i) => [t, i]));
const ROLE_CODE = new Map<string, number>(ROLES.map((r, i) => [r, i]));
const TYPE_CODE = new Map<string, number>(COAP_TYPES.map((t, i) => [t, i]));


/**
 * A string column: its id when the string was interned already (the usual case: addresses and
 * names repeat), else the string itself, interned when the batch is written (inside its
 * transaction). Rows then hold numbers, not the per-message strings the decoder made.
 */
type Interned = number | string;

/** One message's row, kept until the batch is written. */
interface IndexRow {
  frame: number;
  n: number;
  ts: number;
  src: Interned;
  dst: Interned;
  transport: number;
  type: number | null;
  code: number;
  role: number;
  operation: Interned | null;
  endpoint: Interned | null;
  path: Interned | null;
  contentFormat: number | null;
  size: number;
  responseTo: number | null;
  responseIn: number | null;
  retransmissionOf: number | null;
  error: Interned | null;
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
 * Writes the compact message index of one run: a row of numbers and interned strings per
 * message, with where its frame lies in its capture file, so that any message can be listed,
 * found from an event and dissected again from the source bytes (see src/evidence/). Rows are
 * gathered per batch and written in the run writer's transaction.
 */
export class MessageIndexWriter {
  private rows: IndexRow[] = [];
  /** Requests of this batch by frame: their first response sets response_in before they are written. */
  private readonly pendingRequests = new Map<number, IndexRow>();
  /** Requests of earlier batches answered in this one: request frame → response frame. */
  private readonly lateAnswers: Array<[number, number]> = [];
  private readonly eventFrames: FramePlace[] = [];
  private readonly strings: BoundedMap<string, number>;
  private readonly place: FramePlace = { frame: 0, ts: 0, file: -1, offset: -1, linkType: 0 };
  private lastFrame = -1;
  private sameFrame = 0;
  /** Capture files (by rotation number) holding frames since the last commit: their size and time are recorded at it. */
  private readonly touchedFiles = new Set<number>();
  /** Null: the rows are taken (see take()) by a store that interns their strings itself (PostgreSQL). */
  private readonly statements;
  private readonly taken: TakenIndex = { rows: [], answered: [], eventFrames: [], files: [] };

  constructor(db: Database.Database | null, private readonly runId: number, private readonly recordFile: string | null) {
    // A cache of the database's own table: a miss costs a lookup, never output, so it is not reported as overflow.
    this.strings = new BoundedMap('store.index-strings', MAX_INTERNED_STRINGS);
    this.statements = db === null ? null : {
      row: db.prepare(`INSERT INTO message_index (${INDEX_COLUMNS}) VALUES (${INDEX_COLUMNS.split(',').map(() => '?').join(', ')})`),
      nextN: db.prepare('SELECT COALESCE(MAX(n), -1) + 1 FROM message_index WHERE run_id = ? AND frame = ?').pluck(),
      answered: db.prepare('UPDATE message_index SET response_in = ? WHERE run_id = ? AND frame = ? AND response_in IS NULL'),
      stringId: db.prepare('SELECT id FROM index_strings WHERE text = ?').pluck(),
      newString: db.prepare('INSERT INTO index_strings (text) VALUES (?)'),
      file: db.prepare('INSERT OR REPLACE INTO capture_files (run_id, file, path, size, mtime) VALUES (?, ?, ?, ?, ?)'),
      eventFrame: db.prepare('INSERT OR IGNORE INTO event_frames (run_id, frame, ts, file, offset, link_type) VALUES (?, ?, ?, ?, ?, ?)'),
    };
  }

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
      frame: e.frame, n: late ? LATE : this.sameFrame, ts: e.ts, src: this.known(e.src), dst: this.known(e.dst),
      transport: TRANSPORT_CODE.get(e.transport)!, type: msg.type === null ? null : TYPE_CODE.get(msg.type)!, code: msg.code,
      role: ROLE_CODE.get(match.role)!, operation: this.knownOrNull(l?.operation ?? null), endpoint: this.knownOrNull(l?.endpoint ?? null),
      path: this.knownOrNull(l?.path ?? msg.uriPath ?? (request !== null ? request.uriPath : null)),
      contentFormat: msg.contentFormat, size: e.size, responseTo: request === null ? null : request.frame, responseIn: null,
      retransmissionOf: match.retransmissionOf, error: this.knownOrNull(msg.error),
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

  /** Writes the batch; called inside the run writer's transaction. */
  write(): void {
    const s = this.statements;
    if (s === null) {
      this.takeBatch();
      return;
    }
    const run = this.runId;
    const values: Array<number | string | null> = [];
    for (const r of this.rows) {
      if (r.n === LATE) r.n = s.nextN.get(this.runId, r.frame) as number;
      values.length = 0;
      this.values(r, values);
      s.row.run(values);
    }
    for (const [request, response] of this.lateAnswers) s.answered.run(response, run, request);
    for (const f of this.eventFrames) s.eventFrame.run(run, f.frame, f.ts, f.file, f.offset, f.linkType);
    if (this.recordFile !== null) {
      for (const file of this.touchedFiles) {
        const path = rotatedName(this.recordFile, file);
        const stat = statOrNull(path);
        s.file.run(run, file, path, stat?.size ?? null, stat === null ? null : stat.mtimeMs / 1000);
      }
    }
    this.clear();
  }

  /**
   * The rows written since the last take(), for a store without statements here: strings not
   * yet interned stay strings, and a frame that came out of order keeps n = -1 (the store
   * numbers it after that frame's rows).
   */
  take(): TakenIndex {
    const t = { ...this.taken };
    this.taken.rows = [];
    this.taken.answered = [];
    this.taken.eventFrames = [];
    this.taken.files = [];
    return t;
  }

  private takeBatch(): void {
    const run = this.runId;
    const t = this.taken;
    for (const r of this.rows) {
      const values: Array<number | string | null> = [];
      this.values(r, values);
      t.rows.push(values);
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

  /** Appends a row's values, in INDEX_COLUMNS' order. */
  private values(r: IndexRow, out: Array<number | string | null>): void {
    out.push(this.runId, r.frame, r.n, r.ts, this.id(r.src), this.id(r.dst), r.transport, r.type, r.code, r.role, this.idOrNull(r.operation),
      this.idOrNull(r.endpoint), this.idOrNull(r.path), r.contentFormat, r.size, r.responseTo, r.responseIn, r.retransmissionOf,
      this.idOrNull(r.error), r.file, r.offset, r.linkType);
  }

  /** Registers the capture file before any frame is read (a capture without messages is still its run's source). */
  start(): void {
    if (this.recordFile !== null && this.place.file < 0) this.touchedFiles.add(0);
  }

  /** The string's id if it is interned already, else the string (interned at the write). */
  private known(text: string): Interned {
    return this.strings.get(text) ?? text;
  }

  private knownOrNull(text: string | null): Interned | null {
    return text === null ? null : this.known(text);
  }

  private idOrNull(text: Interned | null): Interned | null {
    return text === null ? null : this.id(text);
  }

  /** The string's id; without statements, the string itself (the store interns it). */
  private id(text: Interned): Interned {
    if (typeof text === 'number' || this.statements === null) return text;
    let id = this.strings.get(text);
    if (id === undefined) {
      id = (this.statements.stringId.get(text) as number | undefined) ?? Number(this.statements.newString.run(text).lastInsertRowid);
      this.strings.set(text, id);
    }
    return id;
  }
}

/** A batch of the index for a store that writes it itself: rows in INDEX_COLUMNS' order, answers as [response, request]. */
export interface TakenIndex {
  rows: Array<Array<number | string | null>>;
  answered: Array<[number, number]>;
  eventFrames: unknown[][];
  files: unknown[][];
}

/** `n` of a row whose frame came out of order, until the write numbers it after that frame's other rows. */
const LATE = -1;

const INDEX_COLUMNS = `run_id, frame, n, ts, src, dst, transport, type, code, role, operation, endpoint, path, content_format, size,
  response_to, response_in, retransmission_of, error, file, offset, link_type`;
function statOrNull(path: string): { size: number; mtimeMs: number } | null {
  try {
    return statSync(path);
  } catch {
    return null;
  }
}
