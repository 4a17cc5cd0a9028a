import { existsSync } from 'node:fs';
import { getPriority } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';

/*
 * The state thread of analyze --threads 2 lowers its own priority (lowerThreadPriority), so
 * that the slower formatter thread keeps its core: only its own, never the whole process's.
 * Run in a real worker thread, from the compiled module (npm test builds first).
 */
const compiled = fileURLToPath(new URL('../../../dist/cli/parallel/thread-priority.js', import.meta.url));

function inWorker(): Promise<{ before: number; after: number; given: number | null }> {
  const code = `
    const { parentPort } = require('node:worker_threads');
    const { getPriority } = require('node:os');
    import(${JSON.stringify(compiled)}).then(({ lowerThreadPriority }) => {
      const before = getPriority();
      const given = lowerThreadPriority(3);
      parentPort.postMessage({ before, after: getPriority(), given });
    });`;
  return new Promise((resolve, reject) => {
    const worker = new Worker(code, { eval: true });
    worker.once('message', resolve);
    worker.once('error', reject);
  });
}

describe.runIf(process.platform === 'linux' && existsSync('/proc/thread-self'))('lowerThreadPriority', () => {
  it('lowers the calling thread only', async () => {
    const main = getPriority();
    const { before, after, given } = await inWorker();
    expect(before).toBe(main);
    expect(after).toBe(Math.min(19, before + 3));
    expect(given).toBe(after);
    // The process (its main thread) runs at the priority it had.
    expect(getPriority()).toBe(main);
    expect(getPriority(process.pid)).toBe(main);
  });
});
