import { workerData } from 'node:worker_threads';
import { RuleLoadError } from '../../rules/index.js';
import { loadRuleSet } from '../rule-set.js';
import { AnalysisSession } from '../session.js';
import { TextBatcher } from './merge.js';
import { lowerThreadPriority } from './thread-priority.js';
import { transferOf, type FromStateThread, type StateWorkerData, type ToStateThread } from './protocol.js';
import { UnitDecoder } from './unit-codec.js';

/*
 * The state thread of `analyze --threads 2` (see protocol.ts): takes the messages and DTLS
 * session changes the formatter thread decoded and runs the same session as the
 * single-threaded path on them (state tracker, rule engine; its pipeline stays unused), except
 * that message and DTLS lines are only counted, not formatted: the main thread writes those,
 * all but the tail of each message line (from its LwM2M part on), which this thread writes from
 * the payload it reads. Its tails and endpoint and event lines go to the main thread, one batch
 * for each batch of units.
 */

/**
 * The formatter thread is the slower of the two, and both cores are busy: V8's helper threads
 * (compilation, collection) must then take one core from either thread, and should take it
 * from this one, which has time to spare (it waits for batches 10-20 % of the run). 1M bench
 * capture, rounds in one hour: 11.3-11.8 s against 13.2-13.6 s at equal priority (--no-rules:
 * 9.6-10.1 s).
 */
lowerThreadPriority(10);
const data = workerData as StateWorkerData;
const port = data.port;
const send = (m: FromStateThread) => port.postMessage(m, m.type === 'texts' ? [m.bytes.buffer, ...(m.spent ? transferOf(m.spent) : [])] : []);

function describe(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  // One line: the main thread reports it as `coapwatch: ...`.
  return (err instanceof RuleLoadError ? message : `internal error: ${message}`).split('\n')[0]!;
}

function fail(err: unknown): void {
  send({ type: 'error', message: describe(err) });
  port.close();
}

try {
  // The main thread loaded these same paths first and reported any problem in them.
  const rules = loadRuleSet(data.rules);
  const batcher = new TextBatcher(send);
  const session = new AnalysisSession({ format: 'ndjson', coapPort: [], heuristic: false, source: '', rules, unitOutput: batcher });
  const decoder = new UnitDecoder();
  port.on('message', (m: ToStateThread) => {
    try {
      if (m.type === 'units') {
        decoder.decode(m, session.message, session.dtls);
        batcher.progress({ slots: m.slots, chars: m.chars });
      } else {
        session.finish(m.packets);
        batcher.end();
        port.close();
      }
    } catch (err) {
      fail(err);
    }
  });
} catch (err) {
  fail(err);
}
