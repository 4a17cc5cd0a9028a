import { workerData } from 'node:worker_threads';
import { CaptureError, readCapture } from '../../capture/index.js';
import { pskKeys } from '../../dtls/index.js';
import { RuleLoadError } from '../../rules/index.js';
import { loadRuleSet } from '../rule-set.js';
import { AnalysisSession } from '../session.js';
import { TextBatcher } from './merge.js';
import type { FromStateThread, StateWorkerData } from './protocol.js';

/*
 * The state thread of `analyze --threads 2` (see protocol.ts): reads the file itself and runs
 * the same session as the single-threaded path (pipeline, state tracker, rule engine), except
 * that message and DTLS lines are only counted, not formatted: the main thread writes those.
 * Its endpoint and event lines go to the main thread in batches, tagged with the unit count.
 */

const data = workerData as StateWorkerData;
const port = data.port;
const send = (m: FromStateThread) => port.postMessage(m);

function describe(err: unknown): string {
  const known = err instanceof CaptureError || err instanceof RuleLoadError;
  const message = err instanceof Error ? err.message : String(err);
  // One line: the main thread reports it as `coapwatch: ...`.
  return (known ? message : `internal error: ${message}`).split('\n')[0]!;
}

async function main(): Promise<void> {
  // The main thread loaded these same paths first and reported any problem in them.
  const rules = loadRuleSet(data.rules);
  // Keys arrive as Uint8Arrays (structured clone); the DTLS stage wants Buffers.
  const keys = pskKeys(data.psk.map((e) => ({ identity: e.identity, key: Buffer.from(e.key) })));
  const batcher = new TextBatcher(send, data.batchUnits);
  const session = new AnalysisSession({
    format: 'ndjson', coapPort: data.coapPort, heuristic: data.heuristic, source: data.file, rules,
    psk: keys.size > 0 ? keys : undefined, unitOutput: batcher,
  });
  const info = await readCapture(data.file, session.push);
  session.finish(info.packets);
  batcher.end();
}

main().then(
  () => port.close(),
  (err: unknown) => {
    send({ type: 'error', message: describe(err) });
    port.close();
  },
);
