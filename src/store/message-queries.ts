import type Database from 'better-sqlite3';
import { CODE_STRINGS } from '../coap/index.js';
import { StoreError, storeCall } from './errors.js';
import { displayLocation } from './pg/url.js';
import { ROLES, TRANSPORTS, TYPES } from './message-index.js';
import { eventFromRow, type EventRow } from './queries.js';

/** The schema version that brought the message index (migration 8). */
const INDEX_VERSION = 8;

/** One row of the message index, as the `messages` listing and the dashboard show it. */
export interface IndexedMessage {
  run: number;
  frame: number;
  /** 0; 1, 2, ... for further messages of the same frame (TCP). */
  n: number;
  ts: number;
  src: string;
  dst: string;
  transport: string;
  /** CON, NON, ACK, RST; null over TCP. */
  type: string | null;
  /** "2.05". */
  code: string;
  role: string;
  operation: string | null;
  endpoint: string | null;
  path: string | null;
  contentFormat: number | null;
  size: number;
  /** Frame of the request this message answers (or the message it acknowledges). */
  responseTo: number | null;
  /** On a request: frame of its first response. */
  responseIn: number | null;
  retransmissionOf: number | null;
  error: string | null;
  /** Which of the run's capture files holds the frame (null: none), and the byte offset of its record there. */
  file: number | null;
  offset: number | null;
  linkType: number | null;
}

/** Where a frame lies: what reading it back needs. */
export interface FramePlace {
  run: number;
  frame: number;
  ts: number;
  file: number;
  offset: number;
  linkType: number;
}

/** A capture file of a run as recorded at the run's last commit. */
export interface CaptureFileRow {
  file: number;
  path: string;
  size: number | null;
  mtime: number | null;
}

export interface MessageFilters {
  run?: number;
  endpoint?: string;
  /** Frame ranges, inclusive: [[1, 10], [15, 15]]. */
  frames?: ReadonlyArray<readonly [number, number]>;
}

/** SELECT of message_index rows with their strings, for indexedMessageOf (table alias m). */
export const MESSAGE_SELECT = `SELECT m.*, s.text AS src_text, d.text AS dst_text, o.text AS operation_text, e.text AS endpoint_text,
  p.text AS path_text, x.text AS error_text
  FROM message_index m
  JOIN index_strings s ON s.id = m.src JOIN index_strings d ON d.id = m.dst
  LEFT JOIN index_strings o ON o.id = m.operation LEFT JOIN index_strings e ON e.id = m.endpoint
  LEFT JOIN index_strings p ON p.id = m.path LEFT JOIN index_strings x ON x.id = m.error`;

/** Refuses, in one line, a database written before the message index existed. */
export function requireMessageIndex(db: Database.Database, path: string): void {
  const version = db.pragma('user_version', { simple: true }) as number;
  if (version < INDEX_VERSION) {
    throw new StoreError(`database ${displayLocation(path)} was written before coapwatch kept a message index (schema ${version}); run analyze --db on the capture again`);
  }
}

/** A row of MESSAGE_SELECT as an IndexedMessage. */
export function indexedMessageOf(r: Record<string, unknown>): IndexedMessage {
  return {
    run: r.run_id as number, frame: r.frame as number, n: r.n as number, ts: r.ts as number, src: r.src_text as string, dst: r.dst_text as string,
    transport: TRANSPORTS[r.transport as number] ?? String(r.transport), type: r.type === null ? null : (TYPES[r.type as number] ?? String(r.type)),
    code: CODE_STRINGS[(r.code as number) & 0xff], role: ROLES[r.role as number] ?? String(r.role),
    operation: r.operation_text as string | null, endpoint: r.endpoint_text as string | null, path: r.path_text as string | null,
    contentFormat: r.content_format as number | null, size: r.size as number, responseTo: r.response_to as number | null,
    responseIn: r.response_in as number | null, retransmissionOf: r.retransmission_of as number | null, error: r.error_text as string | null,
    file: r.file as number | null, offset: r.offset as number | null, linkType: r.link_type as number | null,
  };
}

/**
 * Messages in run and frame order, read one at a time as the iterator is advanced (a run can
 * hold millions). Each filter is an index range: by run and frame, or by run, endpoint and frame.
 */
export function* listMessages(db: Database.Database, path: string, f: MessageFilters): Generator<IndexedMessage> {
  requireMessageIndex(db, path);
  const where: string[] = [];
  const args: Array<string | number> = [];
  if (f.run !== undefined) (where.push('m.run_id = ?'), args.push(f.run));
  else where.push('m.run_id IN (SELECT id FROM runs)');
  if (f.endpoint !== undefined) (where.push('m.endpoint = (SELECT id FROM index_strings WHERE text = ?)'), args.push(f.endpoint));
  if (f.frames !== undefined && f.frames.length > 0) {
    where.push(`(${f.frames.map(() => 'm.frame BETWEEN ? AND ?').join(' OR ')})`);
    for (const [a, b] of f.frames) args.push(a, b);
  }
  const sql = `${MESSAGE_SELECT} WHERE ${where.join(' AND ')} ORDER BY m.run_id, m.frame, m.n`;
  const rows = storeCall(path, () => db.prepare(sql).iterate(...args)) as IterableIterator<Record<string, unknown>>;
  try {
    for (;;) {
      const next = storeCall(path, () => rows.next());
      if (next.done) return;
      yield indexedMessageOf(next.value);
    }
  } finally {
    rows.return?.();
  }
}

/** The messages of one frame of a run (usually one; several for TCP). */
export function messagesOfFrame(db: Database.Database, path: string, run: number, frame: number): IndexedMessage[] {
  return [...listMessages(db, path, { run, frames: [[frame, frame]] })];
}

/** The newest run, or null when the database has none. */
export function latestRun(db: Database.Database, path: string): number | null {
  return storeCall(path, () => (db.prepare('SELECT MAX(id) FROM runs').pluck().get() as number | null) ?? null);
}

export function runExists(db: Database.Database, path: string, run: number): boolean {
  return storeCall(path, () => db.prepare('SELECT 1 FROM runs WHERE id = ?').get(run) !== undefined);
}

/** One event by id, or null. */
export function eventById(db: Database.Database, path: string, id: number): EventRow | null {
  const row = storeCall(path, () => db.prepare('SELECT * FROM events WHERE id = ?').get(id)) as Record<string, unknown> | undefined;
  return row === undefined ? null : eventFromRow(row);
}

/** Where an event's frame lies, when the frame carries no message (a DTLS record); null when not recorded. */
export function eventFrame(db: Database.Database, path: string, run: number, frame: number): FramePlace | null {
  const r = storeCall(path, () => db.prepare('SELECT * FROM event_frames WHERE run_id = ? AND frame = ?').get(run, frame)) as Record<string, unknown> | undefined;
  return r === undefined ? null : { run, frame, ts: r.ts as number, file: r.file as number, offset: r.offset as number, linkType: r.link_type as number };
}

/** The capture files of a run: what its frames lie in. */
export function captureFiles(db: Database.Database, path: string, run: number): CaptureFileRow[] {
  requireMessageIndex(db, path);
  return storeCall(path, () => db.prepare('SELECT file, path, size, mtime FROM capture_files WHERE run_id = ? ORDER BY file').all(run)) as CaptureFileRow[];
}

/** Whether the run had finished (finished_at set) and its source, or null when there is no such run. */
export function runInfo(db: Database.Database, path: string, run: number): { source: string; finished: boolean } | null {
  const r = storeCall(path, () => db.prepare('SELECT source, finished_at FROM runs WHERE id = ?').get(run)) as { source: string; finished_at: number | null } | undefined;
  return r === undefined ? null : { source: r.source, finished: r.finished_at !== null };
}

/**
 * The messages around a frame of a run: `before` and `after` messages of the same endpoint
 * (or, for a message without one, between the same two addresses), in frame order.
 * Endpoint neighbours are an index range; address neighbours are looked for within
 * ADDRESS_WINDOW_FRAMES frames either side (a primary-key range).
 */
export function messagesAround(
  db: Database.Database, path: string, run: number, at: { frame: number; endpoint: string | null; addresses: readonly string[] }, before: number, after: number,
): IndexedMessage[] {
  requireMessageIndex(db, path);
  const rows = storeCall(path, () => {
    if (at.endpoint !== null) {
      const id = `(SELECT id FROM index_strings WHERE text = ?)`;
      const earlier = db.prepare(`${MESSAGE_SELECT} WHERE m.run_id = ? AND m.endpoint = ${id} AND m.frame < ? ORDER BY m.frame DESC, m.n DESC LIMIT ?`)
        .all(run, at.endpoint, at.frame, before);
      const later = db.prepare(`${MESSAGE_SELECT} WHERE m.run_id = ? AND m.endpoint = ${id} AND m.frame > ? ORDER BY m.frame, m.n LIMIT ?`)
        .all(run, at.endpoint, at.frame, after);
      return [...earlier, ...later];
    }
    const pair = conversation(at.addresses);
    if (pair === null) return [];
    const earlier = db.prepare(`${MESSAGE_SELECT} WHERE m.run_id = ? AND m.frame BETWEEN ? AND ? ${pair.sql} ORDER BY m.frame DESC, m.n DESC LIMIT ?`)
      .all(run, at.frame - ADDRESS_WINDOW_FRAMES, at.frame - 1, ...pair.args, before);
    const later = db.prepare(`${MESSAGE_SELECT} WHERE m.run_id = ? AND m.frame BETWEEN ? AND ? ${pair.sql} ORDER BY m.frame, m.n LIMIT ?`)
      .all(run, at.frame + 1, at.frame + ADDRESS_WINDOW_FRAMES, ...pair.args, after);
    return [...earlier, ...later];
  }) as Record<string, unknown>[];
  return rows.map(indexedMessageOf).sort((a, b) => a.frame - b.frame);
}

/**
 * Messages of an endpoint (or, without one, between the two addresses, within ADDRESS_WINDOW_FRAMES of
 * `who.frame`) within [from, to] in capture time, in frame order.
 */
export function messagesBetween(
  db: Database.Database, path: string, run: number, who: { frame: number; endpoint: string | null; addresses: readonly string[] }, from: number, to: number,
): IndexedMessage[] {
  requireMessageIndex(db, path);
  const rows = storeCall(path, () => {
    if (who.endpoint !== null) {
      return db.prepare(`${MESSAGE_SELECT} WHERE m.run_id = ? AND m.endpoint = (SELECT id FROM index_strings WHERE text = ?) AND m.ts BETWEEN ? AND ?
        ORDER BY m.frame, m.n`).all(run, who.endpoint, from, to);
    }
    const pair = conversation(who.addresses);
    if (pair === null) return [];
    return db.prepare(`${MESSAGE_SELECT} WHERE m.run_id = ? AND m.frame BETWEEN ? AND ? AND m.ts BETWEEN ? AND ? ${pair.sql}
      ORDER BY m.frame, m.n`).all(run, who.frame - ADDRESS_WINDOW_FRAMES, who.frame + ADDRESS_WINDOW_FRAMES, from, to, ...pair.args);
  }) as Record<string, unknown>[];
  return rows.map(indexedMessageOf);
}

/**
 * The SQL condition for the messages between two addresses, either way (one address: from or
 * to it). Not every message of the server: an event between a scanner and the server is about
 * that conversation.
 */
function conversation(addresses: readonly string[]): { sql: string; args: string[] } | null {
  const id = '(SELECT id FROM index_strings WHERE text = ?)';
  if (addresses.length === 0) return null;
  if (addresses.length === 1) return { sql: `AND (m.src = ${id} OR m.dst = ${id})`, args: [addresses[0], addresses[0]] };
  const [a, b] = addresses;
  return { sql: `AND ((m.src = ${id} AND m.dst = ${id}) OR (m.src = ${id} AND m.dst = ${id}))`, args: [a, b, b, a] };
}

/** How far (in frames) the neighbours of a message without an endpoint are looked for. */
export const ADDRESS_WINDOW_FRAMES = 100_000;
