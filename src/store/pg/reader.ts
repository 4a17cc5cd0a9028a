import type Database from 'better-sqlite3';
import type { RowReader } from '../queries.js';
import { SCHEMA_VERSION } from '../schema.js';
import { PgConnection } from './connection.js';

/** Rows fetched per round trip to the connection's thread. */
const FETCH_ROWS = 1000;

/**
 * A PostgreSQL store for the readers (endpoints, events, messages, export, ui): the schema is
 * checked, never created or changed. A query's rows are read through a cursor, a thousand at a
 * time, so that a listing of a million rows is never held whole. It also offers the part of
 * better-sqlite3's API the readers call (prepare → get, all, iterate, pluck; the schema version;
 * close), with their SQL turned into PostgreSQL's (see toPostgres), so that one reader code
 * serves both stores.
 */
export class PgReader implements RowReader {
  readonly hasSensor = true;
  readonly shared = true;
  private readonly pg: PgConnection;
  private openCursors = 0;
  private cursorSerial = 0;

  constructor(url: string) {
    this.pg = new PgConnection(url, false);
  }

  get location(): string {
    return this.pg.location;
  }

  *rows(sql: string, args: readonly unknown[]): Generator<Record<string, unknown>> {
    const name = `coapwatch_rows_${++this.cursorSerial}`;
    this.pg.call({ op: 'cursor', name, sql: toPostgres(sql), params: [...args], begin: this.openCursors === 0 });
    this.openCursors++;
    try {
      for (;;) {
        const rows = this.pg.call<Array<Record<string, unknown>>>({ op: 'fetch', name, rows: FETCH_ROWS });
        yield* rows;
        if (rows.length < FETCH_ROWS) return;
      }
    } finally {
      this.openCursors--;
      this.pg.call({ op: 'close-cursor', name, commit: this.openCursors === 0 });
    }
  }

  /** Every row of a query (a count, a page). */
  all(sql: string, args: readonly unknown[]): Array<Record<string, unknown>> {
    return this.pg.call({ op: 'query', sql: toPostgres(sql), params: [...args] });
  }

  close(): void {
    this.pg.close();
  }

  prepare(sql: string): PgStatement {
    return new PgStatement(this, sql, false);
  }

  /** Statements without parameters (the dashboard's temporary tables), `temp.` names in PostgreSQL's form. */
  exec(sql: string): void {
    this.pg.call({
      op: 'query', params: [],
      sql: sql.replace(/\bDROP TABLE IF EXISTS temp\./gi, 'DROP TABLE IF EXISTS pg_temp.').replace(/\bCREATE (UNIQUE )?INDEX temp\./gi, 'CREATE $1INDEX '),
    });
  }

  /** PRAGMA user_version: the PostgreSQL schema holds every table and column of the SQLite schema's current version. */
  pragma(text: string): unknown {
    if (/^\s*user_version\s*$/i.test(text)) return SCHEMA_VERSION;
    throw new Error(`PRAGMA ${text} has no PostgreSQL form`);
  }

  /** The reader as the SQLite readers' handle (the calls they make are those above). */
  asDatabase(): Database.Database {
    return this as unknown as Database.Database;
  }
}

/** A statement, as better-sqlite3's: parameters bound at each call; pluck() returns the first column. */
class PgStatement {
  constructor(private readonly reader: PgReader, private readonly sql: string, private readonly plucked: boolean) {}

  pluck(on = true): PgStatement {
    return new PgStatement(this.reader, this.sql, on);
  }

  get(...args: unknown[]): unknown {
    const rows = this.reader.all(this.sql, flat(args));
    return rows.length === 0 ? undefined : this.shape(rows[0]);
  }

  all(...args: unknown[]): unknown[] {
    return this.reader.all(this.sql, flat(args)).map((r) => this.shape(r));
  }

  *iterate(...args: unknown[]): Generator<unknown> {
    for (const r of this.reader.rows(this.sql, flat(args))) yield this.shape(r);
  }

  /** Statements that write (the dashboard's temporary tables) run as queries. */
  run(...args: unknown[]): { changes: number } {
    this.reader.all(this.sql, flat(args));
    return { changes: 0 };
  }

  private shape(r: Record<string, unknown>): unknown {
    return this.plucked ? Object.values(r)[0] : r;
  }
}

/** better-sqlite3 takes an array of parameters as the parameters themselves. */
function flat(args: unknown[]): unknown[] {
  return args.length === 1 && Array.isArray(args[0]) ? args[0] : args;
}

/**
 * The readers' SQLite SQL as PostgreSQL's: `?` placeholders numbered (none of the queries has
 * a `?` in a literal), IFNULL as COALESCE, json_array_length over text cast to json, the table
 * catalogue, joins and temporary tables. A query outside these forms fails with PostgreSQL's
 * one-line error, never a wrong answer.
 */
export function toPostgres(sql: string): string {
  let n = 0;
  return sql
    .replace(/\?/g, () => `$${++n}`)
    .replace(/\bIFNULL\(/gi, 'COALESCE(')
    .replace(/\bjson_array_length\(([\w.]+)\)/gi, 'json_array_length(($1)::json)')
    .replace(/\bsqlite_master WHERE type = 'table' AND name =/g, 'information_schema.tables WHERE table_schema = current_schema() AND table_name =')
    // SQLite's CROSS JOIN (a join order it keeps) with ON is PostgreSQL's plain JOIN; temp tables are in pg_temp.
    .replace(/\bCROSS JOIN (\w+ \w+) ON\b/g, 'JOIN $1 ON')
    .replace(/\btemp\.(\w+)/g, 'pg_temp.$1');
}
