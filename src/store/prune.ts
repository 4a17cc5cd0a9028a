import type Database from 'better-sqlite3';
import { existsSync } from 'node:fs';
import { storeCall, StoreError } from './errors.js';
import { openForReading, openForWriting } from './open.js';
import { PgConnection } from './pg/connection.js';
import { isPostgresUrl } from './pg/url.js';
import { PRUNED_HISTORY } from './prune-history.js';

/** What one prune removed: whole runs, and rows by table (a table's rows of those runs, and old rows of live runs). */
export interface PruneResult {
  cutoff: number;
  runs: number;
  rows: Record<string, number>;
}

/**
 * Removes what is older than `cutoff` (seconds since the epoch, wall clock), in one transaction:
 * every run that ended before it (finished_at; for a run that never finished, its last capture
 * time or its start) with every row of every table keyed by run, and from the live runs that
 * are kept, their events, stored messages and value samples from before it. `keepRun`: a run
 * never removed whole (the monitor's own, however long it has been quiet). `sensor`: only that
 * sensor's runs are looked at (a store many sensors write to).
 */
export function pruneOlderThan(db: Database.Database, path: string, cutoff: number, keepRun: number | null = null, sensor: string | null = null): PruneResult {
  return storeCall(path, () => db.transaction(() => {
    const tables = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name != 'runs' ORDER BY name").pluck().all() as string[])
      .filter((t) => (db.prepare('SELECT name FROM pragma_table_info(?)').pluck().all(t) as string[]).includes('run_id'));
    db.exec('CREATE TEMP TABLE IF NOT EXISTS prune_runs (id INTEGER PRIMARY KEY); DELETE FROM prune_runs;');
    db.prepare('INSERT INTO prune_runs SELECT id FROM runs WHERE COALESCE(finished_at, capture_end, started_at) < ? AND id IS NOT ? AND (? IS NULL OR sensor = ?)')
      .run(cutoff, keepRun, sensor, sensor);
    const rows: Record<string, number> = {};
    const add = (table: string, n: number) => {
      if (n > 0) rows[table] = (rows[table] ?? 0) + n;
    };
    for (const table of tables) add(table, db.prepare(`DELETE FROM "${table}" WHERE run_id IN (SELECT id FROM prune_runs)`).run().changes);
    const runs = db.prepare('DELETE FROM runs WHERE id IN (SELECT id FROM prune_runs)').run().changes;
    for (const [table, time] of PRUNED_HISTORY) {
      if (!tables.includes(table)) continue;
      add(table, db.prepare(`DELETE FROM "${table}" WHERE run_id IN (SELECT id FROM runs WHERE interface IS NOT NULL AND (? IS NULL OR sensor = ?)) AND ${time} < ?`)
        .run(sensor, sensor, cutoff).changes);
    }
    db.exec('DELETE FROM prune_runs');
    return { cutoff, runs, rows };
  }).immediate());
}

/** A store being pruned: a SQLite file or a PostgreSQL database, pruned alike (see pruneOlderThan). */
export interface PruneTarget {
  /** The SQLite handle (for --vacuum); null for PostgreSQL, which reclaims space with its own VACUUM. */
  readonly sqlite: Database.Database | null;
  prune(cutoff: number, keepRun?: number | null, sensor?: string | null): PruneResult;
  close(): void;
}

/**
 * Opens an existing store to prune it: a SQLite file (see openForPruning) or a postgres:// URL
 * (a connection of its own that checks the schema, never creates it; errors name the database
 * without its credentials).
 */
export function openPruneTarget(location: string): PruneTarget {
  if (isPostgresUrl(location)) {
    const pg = new PgConnection(location, false);
    return {
      sqlite: null,
      prune: (cutoff, keepRun = null, sensor = null) => pg.call<PruneResult>({ op: 'prune', cutoff, keepRun, sensor }),
      close: () => pg.close(),
    };
  }
  const db = openForPruning(location);
  return {
    sqlite: db,
    prune: (cutoff, keepRun = null, sensor = null) => pruneOlderThan(db, location, cutoff, keepRun, sensor),
    close: () => db.close(),
  };
}

/** Opens an existing SQLite coapwatch database to prune it: never creates one, refuses what is not one. */
export function openForPruning(path: string): Database.Database {
  if (!existsSync(path)) throw new StoreError(`database ${path}: no such file`);
  // Checked read-only first: migrating a file that is not a coapwatch database would write tables into it.
  openForReading(path).close();
  return openForWriting(path);
}

/** Rewrites the file without the free pages a prune left (VACUUM): the file shrinks; it needs the database to itself for a moment. */
export function vacuum(db: Database.Database, path: string): void {
  storeCall(path, () => {
    db.exec('VACUUM');
    // In WAL mode the rewritten pages are in the log until a checkpoint: the file shrinks then.
    db.pragma('wal_checkpoint(TRUNCATE)');
  });
}

/** "30d", "12h", "90m", "3600s", "2w" → seconds; null when it is none of these. */
export function parseAge(text: string): number | null {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(s|m|h|d|w)\s*$/.exec(text);
  if (!m) return null;
  const seconds = Number(m[1]) * { s: 1, m: 60, h: 3600, d: 86_400, w: 604_800 }[m[2] as 's' | 'm' | 'h' | 'd' | 'w'];
  return seconds > 0 ? seconds : null;
}

/** The prune's report, one line: "removed 3 runs and 1234 rows (events 45, messages 1189) older than 2026-11-07T14:00:00Z". */
export function pruneSummary(r: PruneResult): string {
  const rows = Object.entries(r.rows);
  const total = rows.reduce((n, [, c]) => n + c, 0);
  const detail = rows.length > 0 ? ` (${rows.map(([t, n]) => `${t} ${n}`).join(', ')})` : '';
  return `removed ${r.runs} ${r.runs === 1 ? 'run' : 'runs'} and ${total} ${total === 1 ? 'row' : 'rows'}${detail} older than ${new Date(r.cutoff * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z')}`;
}
