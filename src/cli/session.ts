import type { RawPacket } from '../capture/index.js';
import type { DtlsEvent, PskKeys } from '../dtls/index.js';
import type { CoapLimits } from '../coap/index.js';
import type { DecoderOptions } from '../decode/index.js';
import { AnalysisPipeline, type AnalyzedMessage, type MessageSink } from '../pipeline/index.js';
import { combineListeners, StateTracker, type StateLimits, type StateListener } from '../state/index.js';
import { RuleEngine, type DetectionEvent, type Rule } from '../rules/index.js';
import { RunWriter } from '../store/index.js';
import { dtlsLine } from './format/dtls-record.js';
import { endpointLine } from './format/endpoint-record.js';
import { eventLine } from './format/event-record.js';
import { messageLine, writeMessage } from './format/ndjson.js';
import { SummaryCollector } from './format/summary.js';
import { LineWriter } from './output.js';
import type { TableOverflow } from '../util/bounded-map.js';

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
  /** Detection rules evaluated on every message and state change; none: no detection. */
  rules?: readonly Rule[];
  /** Extra consumer of every new event (the live dashboard). */
  onEvent?: (e: DetectionEvent) => void;
  /** PSK identity → key for decrypting DTLS sessions (--psk, --psk-file). */
  psk?: PskKeys;
  /** Extra consumer of every DTLS session change, after the NDJSON record and the database. */
  onDtls?: (e: DtlsEvent) => void;
  /** Bounds of the run's tables, where not the defaults (tests set small ones). */
  limits?: TableLimits;
}

export interface TableLimits {
  decoder?: DecoderOptions;
  coap?: CoapLimits;
  state?: StateLimits;
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

  /** Null without rules. */
  readonly engine: RuleEngine | null = null;

  constructor(opts: SessionOptions) {
    const stdout = this.writer;
    const ndjson = opts.format === 'ndjson';
    const onDtls = (e: DtlsEvent) => {
      if (ndjson) this.writer.write(dtlsLine(e));
      this.store?.dtlsChanged(e.session);
      this.tracker?.dtlsChanged(e.session);
      // The rule engine's DTLS hook (dtlsSeen(), rules with `on: dtls`): the session is the `dtls` scope.
      this.engine?.dtls({ ts: e.ts, frame: e.frame, what: e.change, session: e.session }, e.session);
      opts.onDtls?.(e);
    };
    // The pipeline comes first (the state tracker reports into its overflow counters); its sink
    // is settled below, once the consumers of messages are made.
    let sink: MessageSink = () => {};
    this.pipeline = new AnalysisPipeline((m) => sink(m), {
      ports: opts.coapPort, heuristic: opts.heuristic, psk: opts.psk, onDtls,
      limits: opts.limits?.coap, decoder: opts.limits?.decoder,
    });
    this.push = this.pipeline.push.bind(this.pipeline);
    this.store = opts.db === undefined ? null : RunWriter.open(opts.db, opts.source, opts.storeMessages === true, this.pipeline.overflow);
    const rules = opts.rules ?? [];
    // Message lines go to stdout's buffer as bytes (writeMessage).
    const output: MessageSink = !ndjson ? (m) => this.summary.add(m)
      : (m) => (writeMessage(stdout.out, m), stdout.written());
    sink = output;
    const tap = opts.onMessage;
    if (tap) sink = (m) => (output(m), tap(m));
    this.tracker = null;
    if (ndjson || this.store || opts.state || rules.length > 0) {
      const listeners: StateListener[] = [];
      if (this.store) listeners.push(this.store);
      if (ndjson) listeners.push({ endpointChanged: (c) => this.writer.write(endpointLine(c)) });
      // Rules see state changes too; the engine is made after the tracker it reads.
      if (rules.length > 0) listeners.push({ endpointChanged: (c) => this.engine?.endpointChanged(c) });
      const tracker = new StateTracker(combineListeners(...listeners), {
        content: this.store !== null || opts.state === true || rules.length > 0,
        series: this.store !== null || opts.state === true,
        limits: opts.limits?.state,
      }, this.pipeline.overflow);
      this.store?.attach(tracker);
      this.tracker = tracker;
      const engine = rules.length > 0 ? new RuleEngine(rules, tracker, this.eventSink(ndjson, opts.onEvent)) : null;
      this.engine = engine;
      const store = this.store;
      sink = (m: AnalyzedMessage) => {
        // Expiry happens before this message in capture time, so its record comes first.
        tracker.tick(m.coap.ts);
        output(m);
        // Rules run before the state takes the message in: they judge it against what was known.
        engine?.message(m);
        tracker.apply(m);
        store?.message(m, messageLine);
        tap?.(m);
      };
    }
  }

  private eventSink(ndjson: boolean, onEvent: ((e: DetectionEvent) => void) | undefined) {
    return {
      event: (e: DetectionEvent) => {
        if (ndjson) this.writer.write(eventLine(e));
        this.summary.event(e);
        this.store?.event(e);
        onEvent?.(e);
      },
      eventRepeated: (e: DetectionEvent) => this.store?.eventRepeated(e),
    };
  }

  /** The run's tables that reached their bound so far: table, bound, entries evicted. */
  overflows(): TableOverflow[] {
    return this.pipeline.overflow.overflows();
  }

  /** Live capture: time passed without packets (expiries, absence rules fire); `ts` in capture time, after every message so far. */
  tick(ts: number): void {
    this.tracker?.tick(ts);
    this.engine?.tick(ts);
  }

  /** Commits what the database has been given so far (periodically in live mode, on a signal). */
  flush(): void {
    this.store?.flush();
    this.writer.flush();
  }

  /** End of input: drains reassembly buffers, finishes the run, flushes stdout. */
  finish(packets: number | null): void {
    this.pipeline.finish();
    this.engine?.finish();
    this.store?.finish(packets);
    this.writer.flush();
  }
}
