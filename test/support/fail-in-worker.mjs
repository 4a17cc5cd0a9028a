// Preloaded with `node --import` by test/e2e/analyze-threads.test.ts: makes every worker thread
// fail as it starts (preloads run in workers too), to see how analyze --threads 2 reports a
// state thread that dies. The main thread is left alone.
import { isMainThread } from 'node:worker_threads';

if (!isMainThread) throw new Error('injected state thread failure\n    at a second line that must not be shown');
