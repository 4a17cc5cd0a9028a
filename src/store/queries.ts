import type Database from 'better-sqlite3';
import { storeCall } from './errors.js';

export interface ListFilters {
  endpoint?: string;
  state?: string;
  severity?: string;
  rule?: string;
  /** Capture time, seconds since the epoch: only rows seen at or after it. */
  since?: number;
}

export interface EndpointRow {
  run: number;
  source: string;
  endpoint: string;
  state: string;
  address: string;
  location: string | null;
  lifetime: number;
  binding: string;
  lwm2mVersion: string;
  queueMode: boolean;
  objects: string[];
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
}

/** Endpoints of every run, newest activity last. */
export function listEndpoints(db: Database.Database, path: string, f: ListFilters): EndpointRow[] {
  const { where, args } = conditions([['e.endpoint = ?', f.endpoint], ['e.state = ?', f.state], ['e.last_seen >= ?', f.since]]);
  const sql = `SELECT e.*, r.source FROM endpoints e JOIN runs r ON r.id = e.run_id ${where}
    ORDER BY e.last_seen, e.run_id, e.endpoint`;
  const rows = storeCall(path, () => db.prepare(sql).all(...args)) as Array<Record<string, unknown>>;
  return rows.map((r) => ({
    run: r.run_id as number, source: r.source as string, endpoint: r.endpoint as string, state: r.state as string,
    address: r.address as string, location: r.location as string | null, lifetime: r.lifetime as number,
    binding: r.binding as string, lwm2mVersion: r.lwm2m_version as string, queueMode: r.queue_mode === 1,
    objects: JSON.parse(r.objects as string) as string[], registeredAt: r.registered_at as number | null,
    updatedAt: r.updated_at as number | null, expiresAt: r.expires_at as number | null, lastSeen: r.last_seen as number,
  }));
}

/** Events in time order. */
export function listEvents(db: Database.Database, path: string, f: ListFilters): EventRow[] {
  const { where, args } = conditions([['endpoint = ?', f.endpoint], ['severity = ?', f.severity], ['rule = ?', f.rule], ['ts >= ?', f.since]]);
  const sql = `SELECT * FROM events ${where} ORDER BY ts, id`;
  const rows = storeCall(path, () => db.prepare(sql).all(...args)) as Array<Record<string, unknown>>;
  return rows.map(eventFromRow);
}

/** An `events` row as the listings and the dashboard show it. */
export function eventFromRow(r: Record<string, unknown>): EventRow {
  return {
    id: r.id as number, run: r.run_id as number | null, ts: r.ts as number,
    lastTs: r.count !== undefined && (r.count as number) > 1 ? (r.last_ts as number) : null, count: (r.count as number | undefined) ?? 1,
    rule: r.rule as string, severity: r.severity as string, endpoint: r.endpoint as string | null, src: r.src as string | null,
    dst: r.dst as string | null, frame: r.frame as number | null, message: r.message as string,
    details: jsonOrText(r.details),
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

/** A WHERE clause from the filters that were given (undefined: not filtered). */
function conditions(filters: Array<[string, string | number | undefined]>): { where: string; args: Array<string | number> } {
  const given = filters.filter((f): f is [string, string | number] => f[1] !== undefined);
  return {
    where: given.length ? 'WHERE ' + given.map(([sql]) => sql).join(' AND ') : '',
    args: given.map(([, value]) => value),
  };
}
