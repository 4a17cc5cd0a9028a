import { availableParallelism } from 'node:os';
import { MessageChannel, Worker } from 'node:worker_threads';
import { readCapture, type CaptureInfo } from '../../capture/index.js';
import { pskKeys, type PskEntry } from '../../dtls/index.js';
import { AnalysisPipeline } from '../../pipeline/index.js';
import { dtlsLine } from '../format/dtls-record.js';
import { writeMessageHead } from '../format/ndjson.js';
import { LineWriter } from '../output.js';
import type { Progress } from '../progress.js';
import { loadRuleSet } from '../rule-set.js';
import { StateThreadLink } from './link.js';
import { UnitMerger } from './merge.js';
import { transferOf, type StateWorkerData, type ToStateThread } from './protocol.js';
import { UnitEncoder } from './unit-codec.js';

/**
 * --threads default: the second thread only where there is a second core to run it, only with
 * rules, and only for a capture of PARALLEL_MIN_BYTES or more. Without rules the state thread
 * has too little to take over to repay handing it every message and the two threads' slowdown
 * of each other (1M bench capture, three rounds in one hour: --no-rules 9.0-10.1 s with one
 * thread, 10.2-11.5 s with two; with rules 13.3-15.3 s with one, 11.5-13.1 s with two). A small
 * capture is over before the second thread pays for its start (loading the modules and rules
 * again, its code compiled afresh while it runs): see PARALLEL_MIN_BYTES.
 */
export function defaultThreads(rules: string[] | false | undefined, captureBytes: number): number {
  return rules !== false && availableParallelism() >= 2 && captureBytes >= PARALLEL_MIN_BYTES ? 2 : 1;
}

/**
 * Smallest capture the default runs in two threads. Session 11, the bench fleet's first 10k,
 * 35k, 100k and 140k packets and the 200k capture, one and two threads in alternating rounds
 * (medians): 1.4 MB 0.95 s against 1.39 s; 5.4 MB 1.21 against 1.72; 15.7 MB 2.40 against 2.28;
 * 28 MB 3.63 against 3.31. The two cross at about 15 MB.
 */
export const PARALLEL_MIN_BYTES = 16 << 20;

/** Units go to the state thread in batches of this many; the main thread polls for its texts every POLL_MASK + 1. */
const BATCH_UNITS = 1024;
const POLL_MASK = 2047;

export interface ParallelOptions {
  coapPort: number[];
  heuristic: boolean;
  rules: string[] | false | undefined;
  psk: PskEntry[];
  /** Starts the progress bar (or not): called once the rule files have been checked. */
  startProgress: () => Progress | null;
}

/**
 * `analyze --format ndjson --threads 2` (without --ui and --db, which keep the single-threaded
 * AnalysisSession): this thread reads and decodes the file (all but the LwM2M payloads), formats
 * the DTLS lines and the message lines up to their LwM2M part, and hands each message and DTLS
 * change to the state thread (state-worker.ts) in batches (unit-codec.ts), which reads the
 * payloads, writes the rest of each message line, tracks state and runs the rules; the lines
 * are merged here into the bytes the single-threaded run writes (see protocol.ts). Until
 * session 12 both threads read every payload (see protocol.ts). Until session 10 the state thread
 * read and decoded the file again itself: handing it the decoded messages costs this thread
 * ~0.5 µs per message and spares the other its ~6 µs of decoding. Measured on a 2-core machine
 * (1M-message bench capture, stdout to /dev/null, same minutes): 10.2-10.3 s against 11.4-11.6 s
 * for the version that decoded twice, 9 % less CPU time in all, and 550-575 MiB peak RSS
 * against 770-930 MiB. The two threads are now about even (the state thread is busy 80-90 % of
 * the run), and the two slow each other down (memory-bound work): with a state thread that runs
 * one rule, the run takes 16-31 % longer than --no-rules in one thread. The state thread
 * yields its core to this one when V8's helper threads need one (state-worker.ts).
 */
export async function analyzeParallel(file: string, opts: ParallelOptions): Promise<CaptureInfo> {
  const writer = new LineWriter();
  const merger = new UnitMerger(writer);
  const { port1, port2 } = new MessageChannel();
  const data: StateWorkerData = { rules: opts.rules, port: port2 };
  const worker = new Worker(new URL('./state-worker.js', import.meta.url), { workerData: data, transferList: [port2], stdout: false, stderr: false });
  const keys = pskKeys(opts.psk);
  const encoder = new UnitEncoder();
  const link = new StateThreadLink(worker, port1, merger, (spent) => encoder.reuse(spent));
  const post = (m: ToStateThread) => port1.postMessage(m, m.type === 'units' ? transferOf(m) : []);
  const postUnits = () => {
    const batch = encoder.take();
    if (batch) post(batch);
  };
  const unitDone = () => {
    if (encoder.units >= BATCH_UNITS) postUnits();
    if ((merger.produced & POLL_MASK) === 0) link.poll();
  };
  // Payloads are left to the state thread, which reads them anyway and writes each line's tail.
  const pipeline = new AnalysisPipeline((m) => (writeMessageHead(merger.target(), m), merger.lineEnd(), encoder.message(m), unitDone()), {
    ports: opts.coapPort, heuristic: opts.heuristic, psk: keys.size > 0 ? keys : undefined, payloads: false,
    onDtls: (e) => (merger.line(dtlsLine(e)), encoder.dtlsEvent(e), unitDone()),
  });
  // Memory stays bounded: at each chunk boundary this thread waits until the state thread has
  // passed the previous boundary, so at most about two read chunks of lines are ever held.
  let previousChunk = 0;
  const beforeRead = async () => {
    postUnits(); // all it has: the state thread answers each batch with its progress
    const bound = previousChunk;
    previousChunk = merger.produced;
    await link.waitUntil(() => merger.stateProgress >= bound);
  };
  let info: CaptureInfo;
  try {
    // The rule files are checked here too, so that their problems are reported as in the
    // single-threaded run (the state thread, started first to overlap its start-up with this,
    // loads them again: compiled rules cannot be posted).
    loadRuleSet(opts.rules);
    const progress = opts.startProgress();
    try {
      info = await readCapture(file, (p) => pipeline.push(p), { onProgress: progress ? (done) => progress.update(done) : undefined, beforeRead });
    } finally {
      progress?.stop();
    }
    pipeline.finish();
    postUnits();
    post({ type: 'end', packets: info.packets });
    await link.waitUntil(() => merger.stateDone);
    merger.end();
  } catch (err) {
    link.stop();
    writer.flush(); // what was merged before the failure
    throw err;
  }
  link.close();
  writer.flush();
  return info;
}
