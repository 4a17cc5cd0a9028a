import { WorkerConnection, workerScript } from '../worker-connection.js';
import { redactUrl } from './url.js';
import type { PgRequest, PgWorkerData } from './worker.js';

/**
 * One PostgreSQL connection, driven synchronously from this thread (see WorkerConnection): the
 * connection lives in a worker (./worker.ts), since node-postgres is asynchronous and the analysis
 * and the iterator-based readers are not. Its location is the URL as it may be shown: no user,
 * no password (see redactUrl).
 */
export class PgConnection extends WorkerConnection<PgRequest> {
  constructor(url: string, migrate: boolean) {
    const data: Omit<PgWorkerData, 'location' | 'port' | 'replies'> = { url };
    super(redactUrl(url), workerScript('./worker.js', import.meta.url), data, { op: 'end' });
    this.call({ op: 'open', migrate });
  }
}
