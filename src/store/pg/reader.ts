import type { RowReader } from '../queries.js';
import { PgConnection } from './connection.js';

/** Rows fetched per round trip to the connection's thread. */
const FETCH_ROWS = 1000;

/**
 * A PostgreSQL store for the readers (endpoints, events, ...): the schema is checked, never
 * created or changed; a query's rows are read through a cursor, a thousand at a time, so that a
 * listing of a million endpoints is never held whole.
 */
export class PgReader implements RowReader {
  readonly hasSensor = true;
  readonly shared = true;
  private readonly pg: PgConnection;

  constructor(url: string) {
    this.pg = new PgConnection(url, false);
  }

  get location(): string {
    return this.pg.location;
  }

  *rows(sql: string, args: readonly unknown[]): Generator<Record<string, unknown>> {
    this.pg.call({ op: 'cursor', sql: placeholders(sql), params: [...args] });
    try {
      for (;;) {
        const rows = this.pg.call<Array<Record<string, unknown>>>({ op: 'fetch', rows: FETCH_ROWS });
        yield* rows;
        if (rows.length < FETCH_ROWS) return;
      }
    } finally {
      this.pg.call({ op: 'close-cursor' });
    }
  }

  /** All rows of a small query (a count, a page). */
  all(sql: string, args: readonly unknown[]): Array<Record<string, unknown>> {
    return this.pg.call({ op: 'query', sql: placeholders(sql), params: [...args] });
  }

  close(): void {
    this.pg.close();
  }
}

/** `?` placeholders (the SQL the SQLite readers write) as PostgreSQL's $1, $2, ... (none of these queries has a `?` in a literal). */
export function placeholders(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}
