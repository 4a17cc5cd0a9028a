import type { RawPacket } from '../capture/index.js';
import type { DtlsEvent, PskKeys } from '../dtls/index.js';
import type { CoapLimits } from '../coap/index.js';
import type { DecoderOptions } from '../decode/index.js';
import { AnalysisPipeline, type AnalyzedMessage, type MessageSink } from '../pipeline/index.js';
import { combineListeners, StateTracker, type StateLimits, type StateListener } from '../state/index.js';
import { DeclaredServers, RuleEngine, type DetectionEvent, type EventOutcome, type EventSink, type Rule, type Severity } from '../rules/index.js';
import { RunWriter } from '../store/index.js';
import { EveLog } from '../eve/index.js';
import { dtlsLine } from './format/dtls-record.js';
import { endpointLine } from './format/endpoint-record.js';
import { eventLine, eventOutcomeLine, eventRepeatsLine } from './format/event-record.js';
import { messageLine, writeMessage } from './format/ndjson.js';
import { SummaryCollector } from './format/summary.js';
import { LineWriter } from './output.js';
import type { TableOverflow } from '../util/bounded-map.js';

export interface SessionOptions {
  /** What goes to stdout: NDJSON records, nothing (the summary is rendered by the caller). */
  format: 'summary' | 'ndjson';
  coapPort: number[];
  heuristic: boolean;
  /** Database for this run (endpoint state, observations, last values, events): a SQLite file or a postgres:// URL. */
  db?: string;
  /** The sensor's name in the database's runs (--sensor); default the host name. */
  sensor?: string;
  storeMessages?: boolean;
  /** Keep full state even without a database or NDJSON (for the live dashboard). */
  state?: boolean;
  /** Name of the run in the database: the capture file or the interface. */
  source: string;
  /** Frames from a capture interface, whose queue overflows while the analysis waits (the database's batches then grow instead). */
  live?: boolean;
  /** Absolute path of the file the frames lie in (the capture, or monitor's --write file): the message index records where. */
  recordFile?: string;
  /** Extra consumer of every analysed message, after state is updated (the live dashboard). */
  onMessage?: MessageSink;
  /** Detection rules evaluated on every message and state change; none: no detection. */
  rules?: readonly Rule[];
  /** Extra consumer of every new event (the live dashboard). */
  onEvent?: (e: DetectionEvent) => void;
  /** Declared LwM2M servers (--servers: ADDR, ADDR:PORT or CIDR), besides the sockets endpoints register with. */
  servers?: readonly string[];
  /** An event's severity changed with its request's answer (the live dashboard's counts); `from` is the one before. */
  onEventSeverity?: (e: DetectionEvent, from: DetectionEvent['severity']) => void;
  /** PSK identity → key for decrypting DTLS sessions (--psk, --psk-file). */
  psk?: PskKeys;
  /** Extra consumer of every DTLS session change, after the NDJSON record and the database. */
  onDtls?: (e: DtlsEvent) => void;
  /** Bounds of the run's tables, where not the defaults (tests set small ones). */
  limits?: TableLimits;
  /** --eve: the run in Suricata's EVE JSON format, appended to this file (`-`: stdout). */
  eve?: EveTarget;
}

export interface EveTarget {
  path: string;
  /** `host` of every record (--sensor). */
  sensor: string;
  /** `in_iface` (monitor's interface); null for a capture file. */
  iface: string | null;
}

export interface TableLimits {
  decoder?: DecoderOptions;
  coap?: CoapLimits;
  state?: StateLimits;
}

/**
 * A part of a run that is handed every analysed message and DTLS session change. The session
 * calls them in the orders below: the orders are the contract between them, kept as data.
 */
export interface SessionConsumer {
  readonly name: ConsumerName;
  message?(m: AnalyzedMessage): void;
  dtls?(e: DtlsEvent): void;
}

export type ConsumerName = 'clock' | 'output' | 'eve' | 'rules' | 'state' | 'store' | 'tap';

/**
 * Per message: the clock first (expiries due before this message in capture time are recorded
 * before it); then its output line and its EVE transaction (before the rules, so that an alert
 * the message raises follows the transaction it belongs to); the rules, which judge the message against the state as it
 * was before it; the state taking the message in; the store; last the live dashboard's tap.
 */
export const MESSAGE_ORDER: readonly ConsumerName[] = ['clock', 'output', 'eve', 'rules', 'state', 'store', 'tap'];
/**
 * Per DTLS session change: its output line, EVE record and stored row first; the state links the session
 * to its endpoint before the rules judge it (rules on DTLS read the linked endpoint); the tap last.
 */
export const DTLS_ORDER: readonly ConsumerName[] = ['output', 'eve', 'store', 'state', 'rules', 'tap'];

/**
 * One analysis run, offline or live: pipeline → consumers (clock, output, rules, state, store,
 * tap). `analyze` and `monitor` differ only in where packets come from.
 */
export class AnalysisSession {
  /** stdout; stderr when `--eve -` has stdout (the summary then goes there). */
  readonly writer: LineWriter;
  readonly summary: SummaryCollector;
  readonly pipeline: AnalysisPipeline;
  readonly store: RunWriter | null;
  /** Null when nothing consumes state: the plain summary pays nothing for it. */
  readonly tracker: StateTracker | null = null;
  readonly push: (packet: RawPacket) => void;
  /** Null without rules. */
  readonly engine: RuleEngine | null = null;
  /** Null without --eve. */
  readonly eve: EveLog | null = null;
  /** The rules in force by id, for the EVE alerts' sid, rev and title. */
  private rulesById = new Map<string, Rule>();
  /** Those this run has, in MESSAGE_ORDER (a consumer without `message` is left out). */
  readonly messageConsumers: readonly SessionConsumer[];
  /** Those this run has, in DTLS_ORDER. */
  readonly dtlsConsumers: readonly SessionConsumer[];

  constructor(opts: SessionOptions) {
    const stdout = (this.writer = new LineWriter(opts.eve?.path === '-' ? process.stderr : process.stdout));
    const ndjson = opts.format === 'ndjson';
    // The pipeline comes first: the tables of the state and the store report into its overflow
    // counters. Its sinks call the consumers, which are settled below.
    let messageSteps: MessageSink[] = [];
    let dtlsSteps: ((e: DtlsEvent) => void)[] = [];
    this.pipeline = new AnalysisPipeline((m) => {
      for (let i = 0; i < messageSteps.length; i++) messageSteps[i](m);
    }, {
      ports: opts.coapPort, heuristic: opts.heuristic, psk: opts.psk,
      onDtls: (e) => {
        for (let i = 0; i < dtlsSteps.length; i++) dtlsSteps[i](e);
      },
      limits: opts.limits?.coap, decoder: opts.limits?.decoder,
    });
    const overflow = this.pipeline.overflow;
    this.summary = new SummaryCollector(overflow);
    const store = (this.store = opts.db === undefined ? null
      : RunWriter.open(opts.db, opts.source, opts.storeMessages === true, overflow, opts.recordFile ?? null, opts.sensor, opts.live));
    const pipeline = this.pipeline;
    // With a database, the store is told of each frame first: the message index records where it lies.
    this.push = store ? (p) => (store.frame(p), pipeline.push(p)) : pipeline.push.bind(pipeline);
    const rules = opts.rules ?? [];
    this.rulesById = new Map(rules.map((r) => [r.id, r]));
    const consumers: SessionConsumer[] = [];
    if (opts.eve) {
      const eve = (this.eve = new EveLog({ ...opts.eve, ruleById: (id) => this.rulesById.get(id) }, overflow));
      consumers.push({ name: 'eve', message: (m) => eve.message(m), dtls: (e) => eve.dtls(e) });
    }
    consumers.push(ndjson
      ? {
        name: 'output',
        // Message lines go to stdout's buffer as bytes.
        message: (m) => (writeMessage(stdout.out, m), stdout.written()),
        dtls: (e) => stdout.write(dtlsLine(e)),
      }
      : { name: 'output', message: (m) => this.summary.add(m) });
    if (ndjson || store || opts.state || rules.length > 0) {
      const listeners: StateListener[] = [];
      if (store) listeners.push(store);
      if (ndjson) listeners.push({ endpointChanged: (c) => stdout.write(endpointLine(c)) });
      // Rules see state changes too; the engine is made after the tracker it reads.
      if (rules.length > 0) listeners.push({ endpointChanged: (c) => this.engine?.endpointChanged(c) });
      const tracker = new StateTracker(combineListeners(...listeners), {
        content: store !== null || opts.state === true || rules.length > 0,
        series: opts.state === true,
        limits: opts.limits?.state,
      }, overflow);
      store?.attach(tracker);
      this.tracker = tracker;
      consumers.push(
        { name: 'clock', message: (m) => tracker.tick(m.coap.ts) },
        { name: 'state', message: (m) => tracker.apply(m), dtls: (e) => tracker.dtlsChanged(e.session) },
      );
      if (rules.length > 0) {
        const servers = opts.servers && opts.servers.length > 0 ? new DeclaredServers(opts.servers) : null;
        const engine = (this.engine = new RuleEngine(rules, tracker, this.eventSink(ndjson, opts), overflow, {}, servers));
        consumers.push({
          name: 'rules',
          message: (m) => engine.message(m),
          // Rules with `on: dtls` and dtlsSeen(): the session is the `dtls` scope.
          dtls: (e) => engine.dtls({ ts: e.ts, frame: e.frame, what: e.change, session: e.session }, e.session),
        });
      }
    }
    if (store) consumers.push({ name: 'store', message: (m) => store.message(m, messageLine), dtls: (e) => store.dtlsChanged(e.session) });
    if (opts.onMessage || opts.onDtls) consumers.push({ name: 'tap', message: opts.onMessage, dtls: opts.onDtls });
    this.messageConsumers = inOrder(consumers, MESSAGE_ORDER, 'message');
    this.dtlsConsumers = inOrder(consumers, DTLS_ORDER, 'dtls');
    messageSteps = this.messageConsumers.map((c) => c.message!);
    dtlsSteps = this.dtlsConsumers.map((c) => c.dtls!);
  }

  private eventSink(ndjson: boolean, opts: SessionOptions): EventSink {
    return {
      event: (e: DetectionEvent) => {
        if (ndjson) this.writer.write(eventLine(e));
        this.eve?.alert(e);
        this.summary.event(e);
        this.store?.event(e);
        opts.onEvent?.(e);
      },
      eventRepeated: (e: DetectionEvent) => this.store?.eventRepeated(e),
      eventRepeats: (e: DetectionEvent) => {
        if (ndjson) this.writer.write(eventRepeatsLine(e));
      },
      eventOutcome: (e: DetectionEvent, o: EventOutcome, repeat: boolean, from: Severity) => {
        if (ndjson) this.writer.write(eventOutcomeLine(e, o, repeat));
        this.store?.eventRepeated(e);
        if (from !== e.severity) {
          this.summary.eventSeverity(e, from);
          opts.onEventSeverity?.(e, from);
        }
      },
    };
  }

  /** The run's tables that reached their bound so far: table, bound, entries evicted. */
  overflows(): TableOverflow[] {
    return this.pipeline.overflow.overflows();
  }

  /** Replaces the rules in force (SIGUSR2); state and the windows of rules that stay are kept. */
  loadRules(rules: readonly Rule[]): void {
    this.engine?.load(rules);
    this.rulesById = new Map(rules.map((r) => [r.id, r]));
  }

  /** Live capture: time passed without packets (expiries, absence rules fire); `ts` in capture time, after every message so far. */
  tick(ts: number): void {
    this.tracker?.tick(ts);
    this.engine?.tick(ts);
    this.eve?.tick(ts);
  }

  /**
   * Hands the database what it has been given so far (periodically in live mode), to be
   * committed by its own thread while decoding goes on; flushes stdout and the EVE log.
   */
  flush(): void {
    this.store?.post();
    this.writer.flush();
    this.eve?.flush();
  }

  /**
   * SIGHUP: the output files are opened again by name, so that the lines after the signal go to
   * the new file logrotate expects. Returns a line for each file that could not be reopened
   * (its old file is kept in use).
   */
  reopenOutputs(): string[] {
    const problems: string[] = [];
    const eve = this.eve?.reopen();
    if (eve) problems.push(`--eve ${this.eve!.path}: not reopened, still writing the file in hand: ${eve}`);
    return problems;
  }

  /** End of input: drains reassembly buffers, finishes the run, flushes stdout. */
  finish(packets: number | null): void {
    this.pipeline.finish();
    this.engine?.finish();
    this.eve?.finish();
    this.store?.finish(packets);
    this.writer.flush();
    this.eve?.close();
  }

  /**
   * A signal stopped the input: what was analysed is committed and written, the run is marked
   * as stopped by `signal`. Reassembly buffers are not drained and end-of-input rules do not
   * run: the input did not end.
   */
  async interrupt(packets: number, signal: string): Promise<void> {
    await this.store?.interrupted(packets, signal);
    this.writer.flush();
    this.eve?.close(); // requests still waiting stay unlogged: their answers were not read
  }
}

/** The consumers that take `what`, in `order`. */
function inOrder(consumers: readonly SessionConsumer[], order: readonly ConsumerName[], what: 'message' | 'dtls'): SessionConsumer[] {
  return order.flatMap((name) => consumers.filter((c) => c.name === name && c[what] !== undefined));
}
