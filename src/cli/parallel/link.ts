import { receiveMessageOnPort, type MessagePort, type Worker } from 'node:worker_threads';
import type { UnitMerger } from './merge.js';
import { ThreadError, type FromStateThread, type SpentArrays } from './protocol.js';

/**
 * The main thread's end of the state thread: feeds its batches into the merger and turns every
 * way it can fail (an error it reports, an uncaught exception, an exit before its last batch, a
 * batch that breaks the protocol) into one ThreadError, which ends any wait: never a hang.
 *
 * Batches are taken two ways: poll() takes whatever has arrived, synchronously
 * (receiveMessageOnPort), from inside the packet loop, which otherwise keeps the event loop
 * busy for a whole read chunk; waitUntil() waits on the event loop for the 'message' event.
 */
export class StateThreadLink {
  private failure: ThreadError | null = null;
  private waiter: { until: () => boolean; resolve: () => void; reject: (err: Error) => void } | null = null;

  /** `reuse` takes the arrays of each batch of units the state thread is done with. */
  constructor(
    private readonly worker: Worker, private readonly port: MessagePort, private readonly merger: UnitMerger,
    private readonly reuse: (spent: SpentArrays) => void,
  ) {
    port.on('message', (m: FromStateThread) => this.receive(m));
    worker.on('error', (err: Error) => this.fail(`internal error: ${err.message}`));
    worker.on('exit', (code: number) => {
      // Messages posted before the exit may not have been dispatched yet: take them first.
      this.poll();
      if (!merger.stateDone) this.fail(code === 0 ? 'stopped before the end of the file' : `exited with code ${code}`);
      this.settle();
    });
  }

  /** Takes every batch that has arrived, without waiting. */
  poll(): void {
    for (let m = receiveMessageOnPort(this.port); m !== undefined; m = receiveMessageOnPort(this.port)) {
      this.receive(m.message as FromStateThread);
    }
  }

  /** Resolves once `until()` holds after some batch; rejects as soon as the state thread has failed. */
  waitUntil(until: () => boolean): Promise<void> {
    this.poll();
    if (this.failure) return Promise.reject(this.failure);
    if (until()) return Promise.resolve();
    if (this.waiter) return Promise.reject(new ThreadError('internal error: two waits for the state thread'));
    return new Promise((resolve, reject) => {
      this.waiter = { until, resolve, reject };
    });
  }

  /** Ends the state thread (after a failure of either thread) and the port, so the process can exit. */
  stop(): void {
    void this.worker.terminate();
    this.port.close();
  }

  /** After its last batch: the thread ends by itself; the port is no longer needed. */
  close(): void {
    this.port.close();
  }

  private receive(m: FromStateThread): void {
    if (this.failure) return;
    try {
      if (m.type === 'error') this.fail(m.message);
      else {
        if (m.spent) this.reuse(m.spent);
        this.merger.add(m);
      }
    } catch (err) {
      this.fail(err instanceof Error ? err.message : String(err));
    }
    this.settle();
  }

  private fail(message: string): void {
    // The first failure is the cause; what follows (the exit) only repeats it.
    this.failure ??= new ThreadError(`state thread: ${message.split('\n')[0]}`);
    this.settle();
  }

  private settle(): void {
    const w = this.waiter;
    if (!w) return;
    if (this.failure) {
      this.waiter = null;
      w.reject(this.failure);
    } else if (w.until()) {
      this.waiter = null;
      w.resolve();
    }
  }
}
