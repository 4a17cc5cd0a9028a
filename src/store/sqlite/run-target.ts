import type { RunBatch, RunTarget } from '../run-writer.js';
import { WorkerConnection, workerScript } from '../worker-connection.js';
import type { SqliteRequest, SqliteWorkerData } from './worker.js';

/**
 * How long the end of a run stopped by a signal may wait for its last batches (the one being
 * written and the final one) before giving up: it ends within this even if the disk stalls. The
 * database then holds the run as of its last commit (marked unfinished). A run that read its
 * whole input waits for them however long they take: giving up would lose what was read.
 */
const FINAL_WRITE_MS = 30_000;

/**
 * A run written into a SQLite file by a thread of its own (./worker.ts): each batch is posted to
 * it and written there in one transaction while the analysis goes on, one batch at a time (the
 * next post waits for the one before: at most two batches in memory); close() waits for the
 * last, within FINAL_WRITE_MS.
 */
export class SqliteRunTarget implements RunTarget {
  private readonly connection: WorkerConnection<SqliteRequest>;
  private runId = -1;
  /** Set by the final batch of a run stopped by a signal: from then on every wait is bounded. */
  private deadline = Infinity;

  constructor(readonly location: string) {
    const data: Omit<SqliteWorkerData, 'location' | 'port' | 'replies'> = { path: location };
    this.connection = new WorkerConnection<SqliteRequest>(location, workerScript('./worker.js', import.meta.url), data, { op: 'end' });
    try {
      this.connection.call({ op: 'open' });
    } catch (err) {
      this.connection.close();
      throw err;
    }
  }

  startRun(source: string, startedAt: number, sensor: string): number {
    this.runId = this.connection.call<number>({ op: 'run', source, startedAt, sensor });
    return this.runId;
  }

  commit(batch: RunBatch): void {
    // finish: [finished_at, packets, interrupted_by]
    if (batch.finish && batch.finish[2] !== null) this.deadline = Date.now() + FINAL_WRITE_MS;
    this.connection.post({ op: 'batch', runId: this.runId, batch }, this.deadline, [batch.index.numbers.buffer]);
  }

  busy(): boolean {
    return this.connection.busy;
  }

  sync(): void {
    this.connection.drain(this.deadline);
  }

  close(): void {
    this.connection.close(this.deadline);
  }

  drained(): Promise<void> {
    return this.connection.drainAsync(this.deadline);
  }
}
