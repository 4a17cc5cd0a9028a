import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import { StoreError } from '../errors.js';
import { redactUrl } from './url.js';
import type { PgReply, PgRequest, PgWorkerData } from './worker.js';

/** Batches being written while the next is gathered: one, so that at most two batches are held in memory. */
const MAX_IN_FLIGHT = 1;
/** How long to wait for one reply before checking that the worker is still alive. */
const WAIT_SLICE_MS = 1000;

/**
 * One PostgreSQL connection, driven synchronously from this thread: the connection lives in a
 * worker (./worker.ts); requests go to it by message; `call` waits for its reply on a shared
 * counter (Atomics.wait) and reads it with receiveMessageOnPort, so the synchronous analysis and
 * the iterator-based readers use PostgreSQL through the same calls as SQLite. `post` does not
 * wait: the run writer's batches are written while the analysis goes on, in order.
 */
export class PgConnection {
  /** The URL as it may be shown: no user, no password (see redactUrl). */
  readonly location: string;
  private readonly worker: Worker;
  private readonly port: MessagePort;
  private readonly replies = new Int32Array(new SharedArrayBuffer(4));
  private received = 0;
  /** Replies owed to `post`ed requests, oldest first; a failure among them is reported at the next call. */
  private inFlight = 0;
  private failed: string | null = null;
  private exited = false;
  private closed = false;

  constructor(url: string, migrate: boolean) {
    this.location = redactUrl(url);
    const { port1, port2 } = new MessageChannel();
    this.port = port1;
    const data: PgWorkerData = { url, location: this.location, port: port2, replies: this.replies.buffer as SharedArrayBuffer };
    this.worker = new Worker(new URL('./worker.js', import.meta.url), { workerData: data, transferList: [port2] });
    this.worker.on('exit', () => (this.exited = true)).on('error', () => (this.exited = true));
    this.worker.unref();
    this.call({ op: 'open', migrate });
  }

  /** Sends a request and waits for its reply (after those of every earlier request). */
  call<T>(req: PgRequest): T {
    this.drain();
    this.send(req);
    return this.next(req.op) as T;
  }

  /** Sends a request without waiting; its failure is thrown by a later call, post or drain. */
  post(req: PgRequest): void {
    if (this.failed !== null) throw new StoreError(this.failed);
    while (this.inFlight >= MAX_IN_FLIGHT) this.settleOne();
    this.send(req);
    this.inFlight++;
  }

  /** Waits until every posted request is done; throws the first failure among them. */
  drain(): void {
    while (this.inFlight > 0) this.settleOne();
    if (this.failed !== null) throw new StoreError(this.failed);
  }

  /** Ends the connection (after the posted requests) and the worker. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    try {
      if (!this.exited) this.call({ op: 'end' });
    } finally {
      void this.worker.terminate();
      this.port.close();
    }
  }

  private send(req: PgRequest): void {
    if (this.closed && req.op !== 'end') throw new StoreError(`database ${this.location}: connection closed`);
    this.port.postMessage(req);
  }

  private settleOne(): void {
    try {
      this.next('batch');
    } catch (err) {
      this.failed ??= (err as Error).message;
    } finally {
      this.inFlight--;
    }
  }

  private next(op: string): unknown {
    for (;;) {
      const m = receiveMessageOnPort(this.port);
      if (m !== undefined) {
        this.received++;
        const r = m.message as PgReply;
        if (r.ok) return r.value;
        throw new StoreError(`database ${this.location}: ${r.message}${r.code ? ` (${r.code})` : ''}`);
      }
      if (this.exited) throw new StoreError(`database ${this.location}: the connection's thread ended during ${op}`);
      Atomics.wait(this.replies, 0, this.received, WAIT_SLICE_MS);
    }
  }
}
