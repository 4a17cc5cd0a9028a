import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import { StoreError } from './errors.js';

/** Batches being written while the next is gathered: one, so that at most two batches are held in memory. */
const MAX_IN_FLIGHT = 1;
/** How long to wait for one reply before checking that the worker is still alive. */
const WAIT_SLICE_MS = 1000;

/** A worker's answer to one request: its value, or its failure as the one line the user reads. */
export type WorkerReply = { ok: true; value: unknown } | { ok: false; message: string };

/** What every store worker gets in its workerData, besides its own fields. */
export interface WorkerChannel {
  /** The database as it may be shown (a path; a URL without its credentials). */
  location: string;
  port: MessagePort;
  /** Two Int32s: replies posted so far, counted up by the worker; 1 once the worker's thread is ending (see replier). */
  replies: SharedArrayBuffer;
}

/** Atomics.waitAsync (Node 16+): the project's TypeScript library (ES2022) does not declare it. */
const waitAsync = (Atomics as unknown as {
  waitAsync(array: Int32Array, index: number, value: number, timeoutMs: number): { async: boolean; value: Promise<string> | string };
}).waitAsync;

/** Positions in the shared `replies` counter. */
const REPLIES = 0;
const ENDED = 1;

/**
 * A database connection that lives in a worker thread, driven synchronously from this one:
 * requests go to the worker by message, in order; `call` waits for its reply on a shared counter
 * (Atomics.wait) and reads it with receiveMessageOnPort, so that the synchronous analysis (a
 * capture is read in one loop) and the iterator-based readers use it through plain calls. `post`
 * does not wait: a run's batches are written while the analysis goes on, one at a time, and the
 * next post waits for the one before (backpressure). A worker that dies is noticed within
 * WAIT_SLICE_MS; every failure is a one-line StoreError.
 */
export class WorkerConnection<Request extends { op: string }> {
  private readonly worker: Worker;
  private readonly port: MessagePort;
  private readonly replies = new Int32Array(new SharedArrayBuffer(8));
  private received = 0;
  /** Replies owed to `post`ed requests, oldest first; a failure among them is reported at the next call. */
  private inFlight = 0;
  private failed: string | null = null;
  private exited = false;
  private closed = false;

  /**
   * `script`: the worker (see workerScript); `data`: its workerData, to which the channel is
   * added; `end`: the request that makes it close its connection (sent by close()).
   */
  constructor(readonly location: string, script: URL, data: object, private readonly end: Request) {
    const { port1, port2 } = new MessageChannel();
    this.port = port1;
    const channel: WorkerChannel = { location, port: port2, replies: this.replies.buffer as SharedArrayBuffer };
    this.worker = new Worker(script, { workerData: { ...data, ...channel }, transferList: [port2] });
    // Between calls; during one this thread's events wait, and the worker's own flag (ENDED) tells.
    this.worker.on('exit', () => (this.exited = true)).on('error', () => (this.exited = true));
    // The worker never keeps the process alive: what has to be written is waited for by the calls.
    this.worker.unref();
  }

  /** Sends a request and waits for its reply (after those of every earlier request). */
  call<T>(req: Request): T {
    this.drain();
    this.send(req);
    return this.next(req.op, Infinity) as T;
  }

  /**
   * Sends a request without waiting for it, once the one posted before is done; its failure is
   * thrown by a later call, post or drain. `deadline` (a Date.now() time) bounds the waiting;
   * `transfer`: buffers of the request that become the worker's (not copied).
   */
  post(req: Request, deadline = Infinity, transfer: ArrayBuffer[] = []): void {
    while (this.inFlight >= MAX_IN_FLIGHT && this.failed === null) this.settleOne(deadline);
    if (this.failed !== null) throw new StoreError(this.failed);
    this.send(req, transfer);
    this.inFlight++;
  }

  /**
   * Whether a posted request is still being worked on, so that a post now would wait for it.
   * A failure or an ended worker is not busy: the next post reports it at once.
   */
  get busy(): boolean {
    return this.inFlight > 0 && this.failed === null && !this.exited
      && Atomics.load(this.replies, REPLIES) === this.received && Atomics.load(this.replies, ENDED) === 0;
  }

  /** Waits until every posted request is done; throws the first failure among them. */
  drain(deadline = Infinity): void {
    while (this.inFlight > 0 && this.failed === null) this.settleOne(deadline);
    if (this.failed !== null) throw new StoreError(this.failed);
  }

  /**
   * drain(), waiting without blocking this thread's events: signal handlers and timers run
   * meanwhile (so that a second SIGINT while a stopped run's last batches are written exits at
   * once, leaving the database as of its last commit).
   */
  async drainAsync(deadline = Infinity): Promise<void> {
    // A pending Atomics.waitAsync does not keep the process alive; the worker, ref'd, does.
    this.worker.ref();
    try {
      while (this.inFlight > 0 && this.failed === null) {
        await this.replyOrEnd(deadline);
        this.settleOne(deadline);
      }
    } finally {
      this.worker.unref();
    }
    if (this.failed !== null) throw new StoreError(this.failed);
  }

  /** Resolves once a reply is waiting on the port, the worker has ended, or `deadline` passed. */
  private async replyOrEnd(deadline: number): Promise<void> {
    for (;;) {
      if (Atomics.load(this.replies, REPLIES) !== this.received || Atomics.load(this.replies, ENDED) !== 0 || this.exited) return;
      const left = deadline - Date.now();
      if (left <= 0) return;
      const wait = waitAsync(this.replies, REPLIES, this.received, Math.min(WAIT_SLICE_MS, left));
      if (wait.async) await wait.value;
    }
  }

  /**
   * Ends the connection (after the posted requests) and the worker. Posted requests are waited
   * for even when the worker has ended: their replies may be on the port already, and one that
   * never came is a failure to report, not a batch to drop in silence.
   */
  close(deadline = Infinity): void {
    if (this.closed) return;
    try {
      if (this.failed === null) {
        this.drain(deadline);
        if (!this.exited) {
          this.send(this.end);
          this.next(this.end.op, deadline);
        }
      }
    } finally {
      this.closed = true;
      void this.worker.terminate();
      this.port.close();
    }
  }

  private send(req: Request, transfer: ArrayBuffer[] = []): void {
    if (this.closed) throw new StoreError(`database ${this.location}: connection closed`);
    this.port.postMessage(req, transfer);
  }

  private settleOne(deadline: number): void {
    try {
      this.next('batch', deadline);
    } catch (err) {
      this.failed ??= (err as Error).message;
    }
    this.inFlight--;
  }

  private next(op: string, deadline: number): unknown {
    for (;;) {
      const m = receiveMessageOnPort(this.port);
      if (m !== undefined) {
        this.received++;
        const r = m.message as WorkerReply;
        if (r.ok) return r.value;
        throw new StoreError(r.message);
      }
      if (this.exited || Atomics.load(this.replies, ENDED) !== 0) {
        this.exited = true;
        throw new StoreError(`database ${this.location}: the connection's thread ended during ${op}`);
      }
      const left = deadline - Date.now();
      if (left <= 0) throw new StoreError(`database ${this.location}: no answer from the connection's thread within the time allowed (${op})`);
      Atomics.wait(this.replies, REPLIES, this.received, Math.min(WAIT_SLICE_MS, left));
    }
  }
}

/**
 * In a worker: the function that answers the requests, one reply per request, in order. The
 * counter is bumped after the message is posted, so that a waiting thread woken by it finds the
 * message on its port. A thread that ends (an uncaught error, process.exit) says so on the
 * counter, since the waiting thread cannot hear the Worker's 'exit' event while it waits.
 */
export function replier(channel: WorkerChannel): (r: WorkerReply) => void {
  const replies = new Int32Array(channel.replies);
  process.on('exit', () => {
    Atomics.store(replies, ENDED, 1);
    Atomics.notify(replies, REPLIES);
  });
  return (r) => {
    channel.port.postMessage(r);
    Atomics.add(replies, REPLIES, 1);
    Atomics.notify(replies, REPLIES);
  };
}

/**
 * The script of a worker that lies next to the module `moduleUrl` starting it. Under vitest the
 * modules are the TypeScript sources, which a worker thread cannot run: it runs the one tsc
 * compiled into dist/ (`npm test` builds first).
 */
export function workerScript(name: string, moduleUrl: string): URL {
  const url = new URL(name, moduleUrl);
  if (!moduleUrl.endsWith('.ts')) return url;
  const at = url.pathname.lastIndexOf('/src/');
  return new URL(`${url.pathname.slice(0, at)}/dist/${url.pathname.slice(at + 5)}`, url);
}
