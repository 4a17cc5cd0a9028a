import type Database from 'better-sqlite3';
import { storeCall } from './errors.js';
import { columnExists } from './schema.js';

/**
 * Rows of a query from either store: SQLite's statement iterator, or a PostgreSQL cursor (see
 * src/store/pg/reader.ts). The queries below are written in the SQL both understand, with `?`
 * placeholders.
 */
export interface RowReader {
  /** As it may be shown: a file name, or a URL without its credentials. */
  readonly location: string;
  /** Whether runs have a sensor column (a SQLite file from before migration 10 has none). */
  readonly hasSensor: boolean;
  /** A store many sensors write into (PostgreSQL): listings show each row's sensor. */
  readonly shared: boolean;
  rows(sql: string, args: readonly unknown[]): Generator<Record<string, unknown>>;
  close(): void;
}

/** A SQLite database (opened by openForReading) as a RowReader. */
export function sqliteReader(db: Database.Database, path: string): RowReader {
  return {
    location: path,
    hasSensor: columnExists(db, 'runs', 'sensor'),
    shared: false,
    rows: (sql, args) => rowsOf(db, path, sql, [...args]),
    close: () => db.close(),
  };
}

function readerOf(db: Database.Database | RowReader, path: string): RowReader {
  return 'rows' in db && typeof db.rows === 'function' ? db : sqliteReader(db as Database.Database, path);
}

export interface ListFilters {
  endpoint?: string;
  state?: string;
  /** Only events of one of these severities. */
  severities?: readonly string[];
  rule?: string;
  /** Capture time, seconds since the epoch: only rows seen at or after it. */
  since?: number;
  /** Only rows written by this sensor (--sensor of the run). */
  sensor?: string;
}

export interface EndpointRow {
  run: number;
  source: string;
  /** The sensor that wrote the run; null in a run from before it was recorded. */
  sensor: string | null;
  endpoint: string;
  state: string;
  address: string;
  location: string | null;
  lifetime: number;
  binding: string;
  lwm2mVersion: string;
  queueMode: boolean;
  /** Object instance paths (["/3/0", ...]) as the database holds them; the text itself when it is not JSON. */
  objects: unknown;
  registeredAt: number | null;
  updatedAt: number | null;
  expiresAt: number | null;
  lastSeen: number;
}

export interface EventRow {
  id: number;
  run: number | null;
  ts: number;
  /** Time of the last identical event the rule's suppression folded into this one (null: none). */
  lastTs: number | null;
  /** This event and the identical ones folded into it. */
  count: number;
  rule: string;
  severity: string;
  endpoint: string | null;
  src: string | null;
  dst: string | null;
  frame: number | null;
  message: string;
  details: unknown;
  /** The event's id in its run's NDJSON stream (null: a run recorded before it was kept). */
  seq: number | null;
  /** How the request it was raised on was answered; null when it was not raised on a request. */
  outcome: StoredOutcome | null;
}

export interface StoredOutcome {
  /** pending, success, refused, error, no-answer (or whatever text the row holds). */
  outcome: string;
  code: string | null;
  frame: number | null;
  ts: number | null;
  /** Frame of the request answered. */
  request: number | null;
}

/** An event as the `events` listing shows it: with the source (capture file or interface) of its run. */
export interface ListedEvent extends EventRow {
  source: string | null;
  /** The sensor that wrote the run; null in a run from before it was recorded. */
  sensor: string | null;
}

/**
 * Endpoints of every run, newest activity last, read from the database one at a time as the
 * iterator is advanced (a run can hold a million endpoints).
 */
export function listEndpoints(db: Database.Database | RowReader, path: string, f: ListFilters): IterableIterator<EndpointRow> {
  const reader = readerOf(db, path);
  const sensor = reader.hasSensor ? 'r.sensor' : 'NULL';
  const { where, args } = conditions([
    ['e.endpoint = ?', f.endpoint], ['e.state = ?', f.state], ['e.last_seen >= ?', f.since], [`${sensor} = ?`, f.sensor],
  ]);
  const sql = `SELECT e.*, r.source AS run_source, ${sensor} AS run_sensor FROM endpoints e JOIN runs r ON r.id = e.run_id ${where}
    ORDER BY e.last_seen, e.run_id, e.endpoint`;
  return mapRows(reader.rows(sql, args), (r) => ({
    run: r.run_id as number, source: r.run_source as string, sensor: (r.run_sensor as string | null) ?? null, endpoint: r.endpoint as string,
    state: r.state as string, address: r.address as string, location: r.location as string | null, lifetime: r.lifetime as number,
    binding: r.binding as string, lwm2mVersion: r.lwm2m_version as string, queueMode: r.queue_mode === 1,
    objects: jsonOrText(r.objects), registeredAt: r.registered_at as number | null,
    updatedAt: r.updated_at as number | null, expiresAt: r.expires_at as number | null, lastSeen: r.last_seen as number,
  }));
}

/** Events in time order, read one at a time as the iterator is advanced. */
export function listEvents(db: Database.Database | RowReader, path: string, f: ListFilters): IterableIterator<ListedEvent> {
  const reader = readerOf(db, path);
  const sensor = reader.hasSensor ? 'r.sensor' : 'NULL';
  const { where, args } = conditions([
    ['e.endpoint = ?', f.endpoint], ['e.severity IN (?)', f.severities], ['e.rule = ?', f.rule], ['e.ts >= ?', f.since], [`${sensor} = ?`, f.sensor],
  ]);
  // LEFT JOIN: an event's run_id may be null.
  const sql = `SELECT e.*, r.source AS run_source, ${sensor} AS run_sensor FROM events e LEFT JOIN runs r ON r.id = e.run_id ${where}
    ORDER BY e.ts, e.id`;
  return mapRows(reader.rows(sql, args), (r) => ({
    ...eventFromRow(r), source: r.run_source as string | null, sensor: (r.run_sensor as string | null) ?? null,
  }));
}

/**
 * The rows of a query, one at a time: better-sqlite3's iterator, with every step's SQLite
 * failure (a locked or corrupt database) turned into a one-line StoreError.
 */
function* rowsOf(db: Database.Database, path: string, sql: string, args: unknown[]): Generator<Record<string, unknown>> {
  const rows = storeCall(path, () => db.prepare(sql).iterate(...args)) as IterableIterator<Record<string, unknown>>;
  try {
    for (;;) {
      const next = storeCall(path, () => rows.next());
      if (next.done) return;
      yield next.value;
    }
  } finally {
    // Stopped early: the statement is released, and the database can be closed.
    rows.return?.();
  }
}

function* mapRows<T>(rows: Iterable<Record<string, unknown>>, map: (r: Record<string, unknown>) => T): Generator<T> {
  for (const r of rows) yield map(r);
}

/** An `events` row as the listings and the dashboard show it. */
export function eventFromRow(r: Record<string, unknown>): EventRow {
  return {
    id: r.id as number, run: r.run_id as number | null, ts: r.ts as number,
    lastTs: r.count !== undefined && (r.count as number) > 1 ? (r.last_ts as number) : null, count: (r.count as number | undefined) ?? 1,
    rule: r.rule as string, severity: r.severity as string, endpoint: r.endpoint as string | null, src: r.src as string | null,
    dst: r.dst as string | null, frame: r.frame as number | null, message: r.message as string,
    details: jsonOrText(r.details),
    seq: (r.seq as number | null | undefined) ?? null,
    outcome: typeof r.outcome === 'string'
      ? {
        outcome: r.outcome, code: r.outcome_code as string | null, frame: r.outcome_frame as number | null,
        ts: r.outcome_ts as number | null, request: r.outcome_request as number | null,
      }
      : null,
  };
}

/** A JSON column: parsed, or the text itself when it is not JSON (a database written by something else). */
function jsonOrText(v: unknown): unknown {
  if (typeof v !== 'string') return null;
  try {
    return JSON.parse(v);
  } catch {
    return v;
  }
}

/**
 * A WHERE clause from the filters that were given (undefined: not filtered). A filter given a
 * list has its "(?)" widened to one placeholder per value.
 */
function conditions(filters: Array<[string, SqlValue | readonly SqlValue[] | undefined]>): { where: string; args: SqlValue[] } {
  const given = filters.filter((f): f is [string, SqlValue | readonly SqlValue[]] => f[1] !== undefined);
  const sql = ([text, value]: [string, SqlValue | readonly SqlValue[]]) =>
    Array.isArray(value) ? text.replace('(?)', `(${value.map(() => '?').join(', ')})`) : text;
  return {
    where: given.length ? 'WHERE ' + given.map(sql).join(' AND ') : '',
    args: given.flatMap(([, value]) => value),
  };
}

type SqlValue = string | number;
