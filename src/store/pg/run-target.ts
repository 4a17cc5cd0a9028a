import type { RunBatch, RunTarget } from '../run-writer.js';
import { PgConnection } from './connection.js';
import type { PgBatch } from './tables.js';

/**
 * A run written into PostgreSQL. Each batch is handed to the connection's thread and written
 * there in one transaction (one multi-row statement per table), while the analysis goes on;
 * batches are written in order, and close() waits for the last. The worker interns the message
 * index's strings, in its own connection.
 */
export class PgRunTarget implements RunTarget {
  private readonly pg: PgConnection;
  private runId = -1;
  private sensor = '';

  constructor(url: string) {
    // The schema is migrated on first use, by whichever sensor comes first.
    this.pg = new PgConnection(url, true);
  }

  get location(): string {
    return this.pg.location;
  }

  startRun(source: string, startedAt: number, sensor: string): number {
    this.sensor = sensor;
    this.runId = this.pg.call<number>({ op: 'run', sensor, source, startedAt });
    return this.runId;
  }

  commit(b: RunBatch): void {
    const batch: PgBatch = {
      ...b,
      rows: {
        ...b.rows,
        // JSONB: the value as decoded (a number stays a number, as in SQLite's untyped column).
        resource: b.rows.resource.map((row) => [...row.slice(0, 5), row[5] === null || row[5] === undefined ? null : JSON.stringify(row[5]), row[6]]),
      },
    };
    this.pg.post({ op: 'batch', runId: this.runId, sensor: this.sensor, batch }, Infinity, [b.index.numbers.buffer]);
  }

  busy(): boolean {
    return this.pg.busy;
  }

  sync(): void {
    this.pg.drain();
  }

  drained(): Promise<void> {
    return this.pg.drainAsync();
  }

  close(): void {
    this.pg.close();
  }
}
