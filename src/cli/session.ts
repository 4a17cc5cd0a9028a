import type { RawPacket } from '../capture/index.js';
import { AnalysisPipeline, type AnalyzedMessage, type MessageSink } from '../pipeline/index.js';
import { combineListeners, StateTracker, type StateListener } from '../state/index.js';
import { RunWriter } from '../store/index.js';
import { endpointLine } from './format/endpoint-record.js';
import { messageLine } from './format/ndjson.js';
import { SummaryCollector } from './format/summary.js';
import { LineWriter } from './output.js';

export interface SessionOptions {
  /** What goes to stdout: NDJSON records, nothing (the summary is rendered by the caller). */
  format: 'summary' | 'ndjson';
  coapPort: number[];
  heuristic: boolean;
  /** SQLite database for this run (endpoint state, observations, last values, events). */
  db?: string;
  storeMessages?: boolean;
  /** Keep full state even without a database or NDJSON (for the live dashboard). */
  state?: boolean;
  /** Name of the run in the database: the capture file or the interface. */
  source: string;
  /** Extra consumer of every analysed message, after state is updated (the live dashboard). */
  onMessage?: MessageSink;
}

/**
 * One analysis run, offline or live: pipeline → state → outputs (NDJSON stream, summary
 * counters, database). `analyze` and `monitor` differ only in where packets come from.
 */
export class AnalysisSession {
  readonly writer = new LineWriter();
  readonly summary = new SummaryCollector();
  readonly pipeline: AnalysisPipeline;
  readonly store: RunWriter | null;
  /** Null when nothing consumes state: the plain summary pays nothing for it. */
  readonly tracker: StateTracker | null;
  readonly push: (packet: RawPacket) => void;

  constructor(opts: SessionOptions) {
    this.store = opts.db === undefined ? null : RunWriter.open(opts.db, opts.source, opts.storeMessages === true);
    const ndjson = opts.format === 'ndjson';
    const output: MessageSink = ndjson ? (m) => this.writer.write(messageLine(m)) : (m) => this.summary.add(m);
    let sink = output;
    const tap = opts.onMessage;
    if (tap) sink = (m) => (output(m), tap(m));
    this.tracker = null;
    if (ndjson || this.store || opts.state) {
      const stream: StateListener = ndjson ? { endpointChanged: (c) => this.writer.write(endpointLine(c)) } : {};
      const tracker = new StateTracker(this.store ? combineListeners(this.store, stream) : stream, {
        content: this.store !== null || opts.state === true,
      });
      this.store?.attach(tracker);
      this.tracker = tracker;
      const store = this.store;
      sink = (m: AnalyzedMessage) => {
        // Expiry happens before this message in capture time, so its record comes first.
        tracker.tick(m.coap.ts);
        output(m);
        tracker.apply(m);
        store?.message(m, messageLine);
        tap?.(m);
      };
    }
    this.pipeline = new AnalysisPipeline(sink, { ports: opts.coapPort, heuristic: opts.heuristic });
    this.push = this.pipeline.push.bind(this.pipeline);
  }

  /** Commits what the database has been given so far (periodically in live mode, on a signal). */
  flush(): void {
    this.store?.flush();
    this.writer.flush();
  }

  /** End of input: drains reassembly buffers, finishes the run, flushes stdout. */
  finish(packets: number | null): void {
    this.pipeline.finish();
    this.store?.finish(packets);
    this.writer.flush();
  }
}
