import { describe, expect, it } from 'vitest';
import { StoreError } from '../../../src/store/index.js';
import { WorkerConnection } from '../../../src/store/worker-connection.js';

/* The synchronous driving of a store's worker thread that the SQLite and PostgreSQL run writers share. */
type Request = { op: 'batch' | 'log' | 'end'; n?: number };
const fake = new URL('../../support/store-worker-fake.mjs', import.meta.url);

function connect(behaviour: string): { connection: WorkerConnection<Request>; seen: Int32Array } {
  const seen = new SharedArrayBuffer(4);
  return { connection: new WorkerConnection<Request>('test.db', fake, { behaviour, seen }, { op: 'end' }), seen: new Int32Array(seen) };
}

describe('WorkerConnection', () => {
  it('posts a batch without waiting, but the next one only once the one before is written (one in flight)', () => {
    const { connection } = connect('slow');
    connection.post({ op: 'batch', n: 1 });
    connection.post({ op: 'batch', n: 2 });
    connection.post({ op: 'batch', n: 3 });
    const log = connection.call<string[]>({ op: 'log' });
    expect(log).toEqual(['received batch 1', 'answered batch 1', 'received batch 2', 'answered batch 2', 'received batch 3', 'answered batch 3', 'received log',
      'answered log']);
    connection.close(Date.now() + 1000);
  });

  it('is busy from a post until its answer is sent, and never over a failure, which the next post then throws', () => {
    const { connection } = connect('slow');
    expect(connection.busy).toBe(false);
    connection.post({ op: 'batch', n: 1 });
    expect(connection.busy).toBe(true);
    // The fake answers 100 ms after the batch arrives; a post now would not wait.
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 400);
    expect(connection.busy).toBe(false);
    connection.drain();
    expect(connection.busy).toBe(false);
    connection.close(Date.now() + 1000);
    const failing = connect('fail-batch').connection;
    failing.post({ op: 'batch', n: 1 });
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 200);
    expect(failing.busy).toBe(false);
    expect(() => failing.post({ op: 'batch', n: 2 })).toThrow(/^database test\.db: batch 1 failed$/);
    failing.close();
  });

  it('a failed batch is thrown, one line, by the next post or drain; nothing is sent after it', () => {
    const { connection, seen } = connect('fail-batch');
    connection.post({ op: 'batch', n: 1 });
    expect(() => connection.post({ op: 'batch', n: 2 })).toThrow(new StoreError('database test.db: batch 1 failed'));
    expect(() => connection.drain()).toThrow(/^database test\.db: batch 1 failed$/);
    expect(Atomics.load(seen, 0)).toBe(1);
    connection.close();
  });

  it('a thread that ends is noticed: the waiting call fails in one line', () => {
    const { connection } = connect('exit');
    expect(() => connection.call({ op: 'log' })).toThrow(/^database test\.db: the connection's thread ended during log$/);
    connection.close();
  });

  it('close reports a posted batch its ended thread never answered, rather than dropping it', async () => {
    const { connection } = connect('exit');
    connection.post({ op: 'batch', n: 1 });
    // Long enough for the thread's end to be heard between calls (its 'exit' event).
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(() => connection.close()).toThrow(/^database test\.db: the connection's thread ended during batch$/);
  });

  it('a deadline bounds the wait for a thread that does not answer', () => {
    const { connection } = connect('never');
    connection.post({ op: 'batch', n: 1 });
    expect(() => connection.drain(Date.now() + 200)).toThrow(/^database test\.db: no answer from the connection's thread within the time allowed \(batch\)$/);
    connection.close(Date.now());
  });

  it("drainAsync waits for the batches in flight while this thread's events still run (a second signal can end the process)", async () => {
    const { connection } = connect('slow');
    connection.post({ op: 'batch', n: 1 });
    const order: string[] = [];
    // A timer due long before the batch is answered (100 ms): it runs during the wait, not after.
    setTimeout(() => order.push('timer'), 0);
    await connection.drainAsync();
    order.push('drained');
    expect(order).toEqual(['timer', 'drained']);
    expect(connection.call<string[]>({ op: 'log' })).toEqual(['received batch 1', 'answered batch 1', 'received log', 'answered log']);
    connection.close(Date.now() + 1000);
  });

  it('drainAsync throws a failed batch in one line, and a dead thread', async () => {
    const failing = connect('fail-batch').connection;
    failing.post({ op: 'batch', n: 1 });
    await expect(failing.drainAsync()).rejects.toThrow(/^database test\.db: batch 1 failed$/);
    failing.close();
    const dying = connect('exit').connection;
    dying.post({ op: 'batch', n: 1 });
    await expect(dying.drainAsync()).rejects.toThrow(/^database test\.db: the connection's thread ended during batch$/);
    dying.close();
  });
});
