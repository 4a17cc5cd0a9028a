// A stand-in for a store's worker thread (src/store/sqlite/worker.ts, pg/worker.ts), run by
// test/unit/store/worker-connection.test.ts through the compiled WorkerConnection's protocol.
// workerData.behaviour: 'slow' answers each request 100 ms after it arrives and logs what it
// received and answered; 'fail-batch' fails every 'batch'; 'never' answers nothing; 'exit' ends
// the thread at the first request. workerData.seen counts the requests received.
import { workerData } from 'node:worker_threads';
import { replier } from '../../dist/store/worker-connection.js';

const reply = replier(workerData);
const seen = new Int32Array(workerData.seen);
const log = [];
workerData.port.on('message', (req) => {
  Atomics.add(seen, 0, 1);
  log.push(`received ${req.op} ${req.n ?? ''}`.trim());
  switch (workerData.behaviour) {
    case 'slow':
      setTimeout(() => {
        log.push(`answered ${req.op} ${req.n ?? ''}`.trim());
        reply({ ok: true, value: req.op === 'log' ? log : null });
      }, req.op === 'log' ? 0 : 100);
      return;
    case 'fail-batch':
      reply(req.op === 'batch' ? { ok: false, message: `database ${workerData.location}: batch ${req.n} failed` } : { ok: true, value: null });
      return;
    case 'never':
      return;
    case 'exit':
      process.exit(3);
  }
});
