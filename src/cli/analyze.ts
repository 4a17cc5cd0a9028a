import { statSync } from 'node:fs';
import { CaptureError, linkTypeName, readCapture } from '../capture/index.js';
import { AnalysisPipeline, type AnalyzedMessage, type MessageSink } from '../pipeline/index.js';
import { combineListeners, StateTracker, type StateListener } from '../state/index.js';
import { RunWriter } from '../store/index.js';
import { endpointLine } from './format/endpoint-record.js';
import { messageLine } from './format/ndjson.js';
import { SummaryCollector } from './format/summary.js';
import { LineWriter } from './output.js';
import { createProgress } from './progress.js';

export interface AnalyzeOptions {
  format: 'summary' | 'ndjson';
  coapPort: number[];
  heuristic: boolean;
  progress: boolean;
  /** SQLite database to write endpoint state (and with storeMessages, every message) into. */
  db?: string;
  storeMessages?: boolean;
}

export async function analyzeCommand(file: string, opts: AnalyzeOptions): Promise<void> {
  const writer = new LineWriter();
  const summary = new SummaryCollector();
  const ndjson = opts.format === 'ndjson';
  const store = opts.db === undefined ? null : RunWriter.open(opts.db, file, opts.storeMessages === true);
  const sink = buildSink(opts, writer, summary, store);
  const pipeline = new AnalysisPipeline(sink, { ports: opts.coapPort, heuristic: opts.heuristic });

  let size = 0;
  try {
    size = statSync(file).size;
  } catch {
    // readCapture reports a missing or unreadable file with the right words.
  }
  const progress = opts.progress ? createProgress(size) : null;
  const push = pipeline.push.bind(pipeline);
  let info;
  // An interrupted run still commits what it has and is left marked unfinished.
  const interrupted = () => {
    try {
      store?.flush();
    } catch (err) {
      process.stderr.write(`coapwatch: ${(err as Error).message}\n`);
      process.exit(1);
    }
    process.exit(130);
  };
  if (store) process.once('SIGINT', interrupted).once('SIGTERM', interrupted);
  try {
    info = await readCapture(file, push, { onProgress: progress ? (done) => progress.update(done) : undefined });
  } catch (err) {
    store?.flush(); // what was decoded before the failure is kept
    throw err;
  } finally {
    progress?.stop();
  }
  pipeline.finish();
  store?.finish(info.packets);
  if (store) process.off('SIGINT', interrupted).off('SIGTERM', interrupted);
  writer.flush();
  for (const warning of info.warnings) process.stderr.write(`coapwatch: warning: ${warning}\n`);
  if (!ndjson) {
    const d = pipeline.decoder.stats;
    const c = pipeline.coap.stats;
    const linkTypes = info.linkTypes.map(linkTypeName).join('+');
    writer.write(summary.render(`${file} (${info.format}, ${linkTypes}, ${info.packets} packets)`, info.packets, [
      ['undecodable frames', d.malformed],
      ['non-IP/UDP/TCP', d.ignored],
      ['DTLS records', c.dtlsRecords],
      ['other UDP/TCP', c.notCoap],
    ]));
    writer.flush();
  }
}

/**
 * The per-message path. State is tracked only when something consumes it (endpoint records
 * in NDJSON, or the database), so the plain summary pays nothing for it.
 */
function buildSink(opts: AnalyzeOptions, writer: LineWriter, summary: SummaryCollector, store: RunWriter | null): MessageSink {
  const ndjson = opts.format === 'ndjson';
  const output: MessageSink = ndjson ? (m) => writer.write(messageLine(m)) : (m) => summary.add(m);
  if (!ndjson && !store) return output;

  const stream: StateListener = ndjson ? { endpointChanged: (c) => writer.write(endpointLine(c)) } : {};
  const tracker = new StateTracker(store ? combineListeners(store, stream) : stream, { content: store !== null });
  store?.attach(tracker);
  return (m: AnalyzedMessage) => {
    // Expiry happens before this message in capture time, so its record comes first.
    tracker.tick(m.coap.ts);
    output(m);
    tracker.apply(m);
    store?.message(m, messageLine);
  };
}

export { CaptureError };
