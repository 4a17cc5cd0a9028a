import { CODE_STRINGS, EXCHANGE_LIFETIME, type ExchangeRecord } from '../coap/index.js';
import type { AnalyzedMessage } from '../pipeline/index.js';
import { resourceAt, type EndpointChange, type EndpointResources, type StateTracker } from '../state/index.js';
import { BoundedMap, type OverflowCounters } from '../util/bounded-map.js';
import { RULE_TABLE_BOUNDS, RULE_TABLES, type RuleTableBounds } from './bounds.js';
import { DeadlineWheel, type Deadline } from './deadlines.js';
import { holds, hostOf, READERS, setScopeFunctions, valueOf, type Evaluator, type Scope, type Variable } from './expr.js';
import { FactBuilder, type MessageFacts } from './facts.js';
import type { DeclaredServers } from './servers.js';
import type { Rule, RuleKind, SuppressTrack } from './rule.js';
import { SEVERITIES, type DetectionEvent, type EventOutcome, type OutcomeClass, type Severity } from './types.js';

/** Absence deadlines are checked at most once per second of capture time. */
const DEADLINE_SCAN_S = 1;

export interface EventSink {
  event(e: DetectionEvent): void;
  /** A match was folded into the event (its suppression window): its count and lastTs grew. */
  eventRepeated?(e: DetectionEvent): void;
  /**
   * The event's suppression window closed (time passed it, a newer window replaced it, its
   * entry was evicted, the input ended) with matches folded into it: its count is final.
   */
  eventRepeats?(e: DetectionEvent): void;
  /**
   * A request the event stands for was answered (or not): its own (`repeat` false, once per
   * event), or one folded into it whose answer now decides the event (`e.outcome` is `o`).
   * The event's severity is already the one that follows; `from` is the one before.
   */
  eventOutcome?(e: DetectionEvent, o: EventOutcome, repeat: boolean, from: Severity): void;
}

/** A DTLS session change as the rules see it (`dtls` is the session, `change.what` the change). */
export interface DtlsChange {
  ts: number;
  frame: number | null;
  what: string;
  session: { client: string; server: string; endpoint: string | null };
}

interface Armed extends Where {
  key: string;
  deadline: number;
  /** The second the deadline wheel files it under (see DeadlineWheel). */
  slot: number;
  /** What the rule's late expressions (still, message, details) read, kept from the last arming message. */
  scope: Scope;
}

/** A suppression window: matches of one rule for one tracked key, from `start`. */
interface SuppressWindow extends Deadline {
  key: string;
  start: number;
  matches: number;
  /** The event later matches fold into (null while a threshold is not reached). */
  event: DetectionEvent | null;
  /** Matches folded into `event` in this window. */
  folded: number;
}

/** An event (or a match folded into it) raised on a request whose answer has not been seen. */
interface AwaitedAnswer {
  event: DetectionEvent;
  rule: Rule;
  /** The request's frame and time. */
  frame: number;
  ts: number;
  repeat: boolean;
}

/** A rule's tables, each bounded by RuleTableBounds.keysPerRule; made when the rule first needs them. */
interface RuleState {
  /** threshold: key → the match times within the window. */
  windows?: BoundedMap<string, number[]>;
  /** absence: key → its deadline. */
  armed?: BoundedMap<string, Armed>;
  /** absence: the armed entries by when they pass. */
  deadlines?: DeadlineWheel<Armed>;
  /** sequence: key → next step and when the first matched. */
  progress?: BoundedMap<string, { step: number; start: number }>;
}

/**
 * A rule with its state, so that evaluating it looks nothing up by id, and with what every
 * evaluation reads copied out of the rule: a message touches each of its rules, and each
 * object read on the way is a cache line that the rest of the message's work has evicted
 * since the last one.
 */
interface LoadedRule {
  rule: Rule;
  state: RuleState;
  /** `rule.late` as copiers: what an armed deadline keeps of the arming message's scope. */
  late: Copier[];
  kind: RuleKind;
  params: Record<string, unknown>;
  when: Evaluator | null;
  /** The rule's key (threshold, absence or sequence `by`) with its kept values (see RuleKey). */
  key: RuleKey | null;
}

/** A message rule with what its evaluation needs, worked out once when the rules load. */
interface MessageRule extends LoadedRule {
  /** The rule's `require:` fields, as their readers. */
  require: ReadonlyArray<() => unknown>;
  ep: boolean;
  /** obs or attrs: both come from the observation lookup. */
  obs: boolean;
  bs: boolean;
  run: boolean;
}

/**
 * Evaluates rules on every message (before the state applies it, so conditions see the state
 * the message meets), on endpoint state changes and on DTLS session changes, and turns matches
 * into events. Message rules are indexed by LwM2M operation, so a message costs only the
 * rules that can match it. A message costs next to no allocation: `m` and the scope are one
 * object each, refilled per message, and an absence deadline re-armed by every notification
 * is moved in place.
 *
 * The engine owns every table it keeps (state objects are only read): each that grows with
 * traffic is bounded (RuleTableBounds), and reports what it dropped to the run's
 * OverflowCounters under the names in RULE_TABLES.
 */
export class RuleEngine {
  /** Per LwM2M operation, the rules for every message and then that operation's, in file order. */
  private byOperation = new Map<string, MessageRule[]>();
  private anyMessage: MessageRule[] = [];
  private onEndpoint: LoadedRule[] = [];
  private onDtls: LoadedRule[] = [];
  private absenceRules: LoadedRule[] = [];
  private thresholdRules: LoadedRule[] = [];
  /** By rule id: as many as rules are loaded, not growing with traffic. */
  private readonly states = new Map<string, RuleState>();
  /** Evictions counted by the tables of rules a reload removed, by table name. */
  private readonly retiredEvictions = new Map<string, number>();
  /** Rule and tracked key → its suppression window. */
  private readonly suppressed: BoundedMap<string, SuppressWindow>;
  private readonly windowEnds = new DeadlineWheel<SuppressWindow>();
  /**
   * Requests events were raised on, by the exchange record the CoAP stage matches their answer
   * to (several events on one request share it); oldest first, as requests come in time order.
   */
  private readonly awaited: BoundedMap<ExchangeRecord, AwaitedAnswer[]>;
  /**
   * The exchange record of the message being evaluated when it is a request (events on it await
   * its answer), with its frame and time: three fields, not an object per request.
   */
  private currentRequest: ExchangeRecord | null = null;
  private currentFrame = 0;
  private currentTs = 0;
  private nextEventId = 1;
  private readonly dtlsHosts: BoundedMap<string, true>;
  private readonly bounds: RuleTableBounds;
  private readonly facts: FactBuilder;
  /** The scope of the message being evaluated; every variable a message rule can see is a key from the start. */
  private readonly scope: Scope = emptyScope();
  private nextScan = -Infinity;
  private currentEndpoint: string | null = null;
  /** The current endpoint's resources in the twin, looked up at the first previous() (undefined: not yet). */
  private resources: EndpointResources | null | undefined = undefined;
  /** The request the message being evaluated answers (its exchange record), for observation lookups. */
  private request: ExchangeRecord | null = null;
  private lastTs = 0;
  /** Events emitted (collapsed repeats not counted) and evaluation counts, for the summary and `rules test`. */
  events = 0;
  /** Events per rule id: as many entries as rules, not growing with traffic. */
  readonly fired = new Map<string, number>();

  /**
   * `counters`: where the engine's tables report their overflow (the run's); `bounds`: smaller
   * bounds than RULE_TABLE_BOUNDS (tests); `servers`: the servers the operator declared
   * (--servers), which m.peerIsServer accepts besides the sockets endpoints registered with.
   */
  constructor(
    rules: readonly Rule[], private readonly state: StateTracker, private readonly sink: EventSink,
    counters?: OverflowCounters, bounds: Partial<RuleTableBounds> = {}, servers: DeclaredServers | null = null,
  ) {
    this.bounds = { ...RULE_TABLE_BOUNDS, ...bounds };
    this.suppressed = new BoundedMap(RULE_TABLES.suppressed, this.bounds.suppressed, counters, (w) => this.closeWindow(w));
    // An evicted entry leaves its events' outcome pending: counted, as every table's drops are.
    this.awaited = new BoundedMap(RULE_TABLES.awaitedAnswers, this.bounds.awaitedAnswers, counters);
    this.dtlsHosts = new BoundedMap(RULE_TABLES.dtlsHosts, this.bounds.dtlsHosts, counters);
    this.facts = new FactBuilder(state, this.dtlsHosts, this.bounds, counters, servers);
    // A rule's tables are made with it (and go with a reload), so one counter per kind sums them.
    for (const kind of ['windows', 'armed', 'progress'] as const) {
      counters?.register(RULE_TABLES[kind], this.bounds.keysPerRule, () => this.evictions(kind));
    }
    this.load(rules);
  }

  get rules(): Rule[] {
    const all = [...this.anyMessage, ...[...this.byOperation.values()].flat(), ...this.onEndpoint, ...this.onDtls];
    return [...new Set(all.map((r) => r.rule))];
  }

  /** Entries dropped from the rules' tables of one kind, by the rules loaded now and those removed. */
  evictions(kind: 'windows' | 'armed' | 'progress'): number {
    let n = this.retiredEvictions.get(RULE_TABLES[kind]) ?? 0;
    for (const state of this.states.values()) n += state[kind]?.evicted ?? 0;
    return n;
  }

  /** Keys the rules' tables of one kind hold now, over all rules loaded. */
  keysHeld(kind: 'windows' | 'armed' | 'progress'): number {
    let n = 0;
    for (const state of this.states.values()) n += state[kind]?.size ?? 0;
    return n;
  }

  /** Replaces the rule set (SIGUSR2); windows and deadlines of rules that keep their id carry over. */
  load(rules: readonly Rule[]): void {
    this.byOperation = new Map();
    this.anyMessage = [];
    this.onEndpoint = [];
    this.onDtls = [];
    this.absenceRules = [];
    this.thresholdRules = [];
    const ids = new Set(rules.map((r) => r.id));
    for (const [id, state] of this.states) {
      if (ids.has(id)) continue;
      for (const kind of ['windows', 'armed', 'progress'] as const) {
        const name = RULE_TABLES[kind];
        this.retiredEvictions.set(name, (this.retiredEvictions.get(name) ?? 0) + (state[kind]?.evicted ?? 0));
      }
      this.states.delete(id);
    }
    const byOperation = new Map<string, MessageRule[]>();
    for (const rule of rules) {
      let state = this.states.get(rule.id);
      if (!state) this.states.set(rule.id, (state = {}));
      const by = rule.threshold?.by ?? rule.absence?.by ?? rule.sequence?.by;
      const loaded: LoadedRule = {
        rule, state, late: [...rule.late].map((v) => COPIERS[v]), kind: rule.kind, params: rule.params, when: rule.when, key: by ? ruleKey(by) : null,
      };
      if (rule.on === 'endpoint') this.onEndpoint.push(loaded);
      else if (rule.on === 'dtls') this.onDtls.push(loaded);
      else if (rule.operations === null) this.anyMessage.push(this.messageRule(loaded));
      else for (const op of rule.operations) {
        let list = byOperation.get(op);
        if (!list) byOperation.set(op, (list = []));
        list.push(this.messageRule(loaded));
      }
      if (rule.kind === 'absence') this.absenceRules.push(loaded);
      else if (rule.kind === 'threshold') this.thresholdRules.push(loaded);
    }
    for (const [op, list] of byOperation) this.byOperation.set(op, [...this.anyMessage, ...list]);
  }

  /** A message, before the state tracker applies it. */
  message(a: AnalyzedMessage): void {
    const ts = a.coap.ts;
    this.tick(ts);
    this.facts.note(a);
    const match = a.coap.match;
    if (this.awaited.size > 0 && match.request !== null && match.retransmissionOf === null && (match.role === 'response' || match.role === 'reset')) {
      this.answered(match.request, a);
    }
    const op = a.lwm2m?.operation;
    const rules = (op === undefined ? undefined : this.byOperation.get(op)) ?? this.anyMessage;
    if (rules.length === 0) return;
    const m = this.facts.message(a);
    this.request = a.coap.match.request;
    const scope = this.scope;
    scope.m = m;
    scope.ep = scope.obs = scope.attrs = scope.bs = scope.run = scope.params = undefined;
    this.enter(m.endpoint);
    this.currentRequest = match.role === 'request' ? match.record : null;
    this.currentFrame = a.coap.frame;
    this.currentTs = ts;
    for (const r of rules) this.evaluate(r, scope, m, ts);
    this.currentRequest = null;
  }

  endpointChanged(c: EndpointChange): void {
    if (this.onEndpoint.length === 0) return;
    const scope: Scope = { ep: c.endpoint, change: this.facts.change(c), run: this.facts.run() };
    this.enter(c.endpoint.name);
    const where = { frame: c.frame, src: c.endpoint.address, dst: null, endpoint: c.endpoint.name };
    for (const r of this.onEndpoint) {
      scope.params = r.params;
      this.apply(r, scope, c.ts, where);
    }
  }

  dtls(c: DtlsChange, session: unknown): void {
    this.dtlsHosts.set(hostOf(c.session.client), true);
    if (this.onDtls.length === 0) return;
    const scope: Scope = { dtls: session, change: { what: c.what }, run: this.facts.run() };
    this.enter(c.session.endpoint);
    const where = { frame: c.frame, src: c.session.client, dst: c.session.server, endpoint: c.session.endpoint };
    for (const r of this.onDtls) {
      scope.params = r.params;
      this.apply(r, scope, c.ts, where);
    }
  }

  /** Capture time moved on: absence deadlines that passed fire, in the order they passed. */
  tick(ts: number): void {
    this.lastTs = ts;
    if (ts < this.nextScan) return;
    this.nextScan = ts + DEADLINE_SCAN_S;
    for (const { rule, state } of this.absenceRules) {
      const armed = state.armed;
      if (!armed) continue;
      // An entry the table no longer holds (fired, evicted) is one left behind.
      for (const a of state.deadlines!.due(ts, (e) => armed.peek(e.key) === e)) {
        armed.delete(a.key);
        a.scope.params = rule.params;
        this.enter(a.endpoint);
        if (rule.absence!.still && !holds(rule.absence!.still, a.scope)) continue;
        this.fire(rule, a.scope, a.deadline, { frame: null, src: a.src, dst: a.dst, endpoint: a.endpoint }, { lastFrame: a.frame });
      }
    }
    // Windows whose match times have all aged out go as time passes, not only at the rule's next
    // match: a rule keyed by meter that matched once per meter (a registration) would otherwise
    // keep a window per meter of an idle fleet for good.
    for (const { rule, state } of this.thresholdRules) {
      if (state.windows !== undefined) dropExpiredWindows(state.windows, ts, rule.threshold!.within);
    }
    const suppressed = this.suppressed;
    for (const w of this.windowEnds.due(ts, (e) => suppressed.peek(e.key) === e)) {
      suppressed.delete(w.key);
      this.closeWindow(w);
    }
    for (let oldest = this.awaited.oldest(); oldest !== undefined && ts - oldest[1][0].ts >= EXCHANGE_LIFETIME; oldest = this.awaited.oldest()) {
      this.awaited.delete(oldest[0]);
      for (const w of oldest[1]) this.settle(w, { outcome: 'no-answer', code: null, frame: null, ts: w.ts + EXCHANGE_LIFETIME, request: w.frame });
    }
  }

  /**
   * End of input: deadlines up to the last packet's time fire; later ones are left (the capture
   * ended first). Requests still unanswered get no answer, and open suppression windows close.
   */
  finish(): void {
    this.nextScan = -Infinity;
    this.tick(this.lastTs);
    for (let oldest = this.awaited.oldest(); oldest !== undefined; oldest = this.awaited.oldest()) {
      this.awaited.delete(oldest[0]);
      for (const w of oldest[1]) this.settle(w, { outcome: 'no-answer', code: null, frame: null, ts: this.lastTs, request: w.frame });
    }
    const open = [...this.suppressed.values()].filter((w) => w.event !== null && w.folded > 0);
    this.suppressed.clear();
    // By event, not by the table's recency order: the lines come in the order the events did.
    for (const w of open.sort((a, b) => a.event!.id - b.event!.id)) this.closeWindow(w);
  }

  /** A response or reset to `request`: the events raised on it learn their outcome. */
  private answered(request: ExchangeRecord, a: AnalyzedMessage): void {
    const waiting = this.awaited.peek(request);
    if (waiting === undefined) return;
    this.awaited.delete(request);
    const code = a.coap.msg.type === 'RST' ? 'RST' : CODE_STRINGS[a.coap.msg.code];
    const outcome = outcomeOf(a.coap.msg.type === 'RST' ? -1 : a.coap.msg.code >> 5);
    for (const w of waiting) this.settle(w, { outcome, code, frame: a.coap.frame, ts: a.coap.ts, request: w.frame });
  }

  /**
   * An answer is known. The event shows the answer that weighs most of those it stands for (its
   * severity by the rule's `outcome:`, then a success before any other), so a success folded
   * among refusals is not hidden; its own answer is always reported.
   */
  private settle(w: AwaitedAnswer, o: EventOutcome): void {
    const e = w.event;
    const shown = e.outcome;
    const from = e.severity;
    if (shown === 'pending' || (shown !== null && weight(w.rule, o) > weight(w.rule, shown))) {
      e.outcome = o;
      e.severity = w.rule.outcome?.[o.outcome] ?? w.rule.severity;
    } else if (w.repeat) return;
    this.sink.eventOutcome?.(e, o, w.repeat, from);
  }

  /** Events raised (or matches folded) on the request being evaluated await its answer. */
  private await(event: DetectionEvent, rule: Rule, repeat: boolean): void {
    const record = this.currentRequest!;
    const entry: AwaitedAnswer = { event, rule, frame: this.currentFrame, ts: this.currentTs, repeat };
    const waiting = this.awaited.peek(record);
    if (waiting) waiting.push(entry);
    else this.awaited.set(record, [entry]);
  }

  /** A window ends: the stream learns how many matches were folded into its event. */
  private closeWindow(w: SuppressWindow): void {
    if (w.event !== null && w.folded > 0) {
      w.folded = 0;
      this.sink.eventRepeats?.(w.event);
    }
  }

  private readonly functions = {
    previous: (path: string): unknown => {
      if (this.resources === undefined) {
        const ep = this.currentEndpoint;
        this.resources = ep === null ? null : (this.state.twin.resourcesOf(ep) ?? null);
      }
      return this.resources ? (resourceAt(this.resources, path)?.value ?? null) : null;
    },
    dtlsSeen: (host: string): boolean => this.dtlsHosts.has(host),
  };

  /** Expressions about to run for `endpoint` (what previous() looks at). */
  private enter(endpoint: string | null): void {
    this.currentEndpoint = endpoint;
    this.resources = undefined;
    setScopeFunctions(this.functions);
  }

  private messageRule(loaded: LoadedRule): MessageRule {
    const needs = loaded.rule.needs;
    // Every field written out, not spread from `loaded`: a spread copy gets a shape of its own,
    // which makes evaluate()'s reads of these objects megamorphic (a stub-cache lookup each, per rule per message).
    return {
      rule: loaded.rule, state: loaded.state, late: loaded.late, kind: loaded.kind, params: loaded.params, when: loaded.when, key: loaded.key,
      require: loaded.rule.require.map((f) => this.facts.reader(f)),
      ep: needs.has('ep'), obs: needs.has('obs') || needs.has('attrs'), bs: needs.has('bs'), run: needs.has('run'),
    };
  }

  private evaluate(r: MessageRule, scope: Scope, m: MessageFacts, ts: number): void {
    for (const read of r.require) if (!read()) return;
    if (r.ep && scope.ep === undefined) scope.ep = this.facts.endpoint(m.endpoint);
    if (r.obs && scope.obs === undefined) {
      const obs = this.facts.observation(m, this.request);
      scope.obs = obs;
      scope.attrs = this.facts.attributes(obs);
    }
    if (r.bs && scope.bs === undefined) scope.bs = this.facts.bootstrap(m);
    if (r.run && scope.run === undefined) scope.run = this.facts.run();
    scope.params = r.params;
    // `m` has the fields of a Where: no object per evaluation.
    this.apply(r, scope, ts, m);
  }

  private apply(r: LoadedRule, scope: Scope, ts: number, where: Where): void {
    switch (r.kind) {
      case 'match':
        if (holds(r.when!, scope)) this.fire(r.rule, scope, ts, where);
        return;
      case 'threshold':
        if (holds(r.when!, scope)) this.count(r, scope, ts, where);
        return;
      case 'absence':
        if (holds(r.when!, scope)) this.arm(r, scope, ts, where);
        return;
      case 'sequence':
        this.step(r, scope, ts, where);
    }
  }

  private count({ rule, state, key: by }: LoadedRule, scope: Scope, ts: number, where: Where): void {
    const t = rule.threshold!;
    const windows = (state.windows ??= new BoundedMap(RULE_TABLES.windows, this.bounds.keysPerRule));
    // tick() drops aged-out windows once a second; a burst of new keys in between makes room from them first.
    dropExpiredWindows(windows, ts, t.within);
    const key = keyOf(by!, scope);
    let times = windows.get(key);
    // A new window sized exactly: most keys match once (a push onto [] reserves 17 slots).
    if (!times) windows.set(key, (times = [ts]));
    else times.push(ts);
    while (times.length > 0 && ts - times[0] > t.within) times.shift();
    if (times.length >= t.count) {
      const first = times[0];
      windows.delete(key);
      this.fire(rule, scope, ts, where, { count: t.count, within: t.within, key, first });
    }
  }

  private arm({ rule, state, late, key: by }: LoadedRule, scope: Scope, ts: number, where: Where): void {
    const a = rule.absence!;
    const within = valueOf(a.within, scope);
    if (typeof within !== 'number' || !Number.isFinite(within) || within < 0) return;
    const armed = (state.armed ??= new BoundedMap(RULE_TABLES.armed, this.bounds.keysPerRule));
    const deadlines = (state.deadlines ??= new DeadlineWheel());
    const key = keyOf(by!, scope);
    const deadline = ts + within;
    const existing = armed.get(key);
    if (existing) {
      // Re-armed: updated in place; the wheel hears of it only if the deadline came earlier.
      existing.deadline = deadline;
      existing.frame = where.frame;
      keep(late, scope, existing.scope);
      deadlines.moved(existing);
      return;
    }
    const entry: Armed = {
      key, deadline, slot: 0, scope: keep(late, scope, emptyScope()), frame: where.frame, src: where.src, dst: where.dst, endpoint: where.endpoint,
    };
    armed.set(key, entry);
    deadlines.add(entry);
    deadlines.compact(() => armed.values(), armed.size);
  }

  private step({ rule, state, key: by }: LoadedRule, scope: Scope, ts: number, where: Where): void {
    const s = rule.sequence!;
    const progress = (state.progress ??= new BoundedMap(RULE_TABLES.progress, this.bounds.keysPerRule));
    const key = keyOf(by!, scope);
    let p = progress.get(key);
    if (p && ts - p.start > s.within) {
      progress.delete(key);
      p = undefined;
    }
    if (p && holds(s.steps[p.step], scope)) {
      if (++p.step === s.steps.length) {
        progress.delete(key);
        this.fire(rule, scope, ts, where, { key, first: p.start });
      }
      return;
    }
    if (holds(s.steps[0], scope)) progress.set(key, { step: 1, start: ts });
  }

  /** A rule matched: a new event, or a match folded into one, as the rule's `suppress:` says. */
  private fire(rule: Rule, scope: Scope, ts: number, where: Where, extra?: Record<string, unknown>): void {
    const sup = rule.suppress;
    if (sup.type === 'limit' && sup.seconds === 0) {
      this.raise(rule, scope, ts, where, extra, 1);
      return;
    }
    const key = `${rule.id}\u0000${trackedKey(sup.track, where)}`;
    let w = this.suppressed.get(key);
    if (w !== undefined && ts - w.start >= sup.seconds) {
      this.suppressed.delete(key);
      this.closeWindow(w);
      w = undefined;
    }
    if (w === undefined) {
      w = { key, start: ts, matches: 0, event: null, folded: 0, deadline: ts + sup.seconds, slot: 0 };
      this.suppressed.set(key, w);
      this.windowEnds.add(w);
      this.windowEnds.compact(() => this.suppressed.values(), this.suppressed.size);
    }
    const n = ++w.matches;
    const fold = sup.type !== 'threshold' && n > sup.count;
    if (fold && w.event !== null) {
      const e = w.event;
      e.count++;
      e.lastTs = ts;
      w.folded++;
      this.sink.eventRepeated?.(e);
      // Folded requests are answered too, for an event raised on a request (one that was not keeps no outcome).
      if (e.outcome !== null && this.currentRequest !== null && where === this.scope.m) this.await(e, rule, true);
      return;
    }
    if (sup.type === 'limit') w.event = this.raise(rule, scope, ts, where, extra, 1);
    else if (sup.type === 'threshold' ? n % sup.count === 0 : n === sup.count) w.event = this.raise(rule, scope, ts, where, extra, sup.count);
  }

  /** A new event, standing for `count` matches (the threshold suppression's count, or 1). */
  private raise(rule: Rule, scope: Scope, ts: number, where: Where, extra: Record<string, unknown> | undefined, count: number): DetectionEvent {
    const details: Record<string, unknown> = {};
    for (const [name, e] of rule.details) details[name] = valueOf(e, scope);
    if (extra) Object.assign(details, extra);
    // Only an event on the message being evaluated (not one from a deadline passing during it) awaits its answer.
    const onRequest = this.currentRequest !== null && where === this.scope.m;
    const event: DetectionEvent = {
      id: this.nextEventId++, ts, rule: rule.id, severity: rule.severity, endpoint: where.endpoint, src: where.src, dst: where.dst, frame: where.frame,
      message: rule.message(scope), details, count, lastTs: ts, outcome: onRequest ? 'pending' : null,
    };
    this.events++;
    this.fired.set(rule.id, (this.fired.get(rule.id) ?? 0) + 1);
    this.sink.event(event);
    if (onRequest) this.await(event, rule, false);
    return event;
  }
}

/** What a match is tracked by for suppression (see SuppressTrack). */
function trackedKey(track: SuppressTrack, where: Where): string {
  switch (track) {
    case 'src': return where.src ?? '';
    case 'dst': return where.dst ?? '';
    case 'both': {
      // The pair in either direction, as Suricata's by_both: a request and its answer are one conversation.
      const src = where.src ?? '';
      const dst = where.dst ?? '';
      return src < dst ? `${src}\u0000${dst}` : `${dst}\u0000${src}`;
    }
    case 'endpoint': return where.endpoint ?? where.src ?? '';
    case 'rule': return '';
  }
}

/**
 * Drops the windows whose match times are all further back than `within` from `ts` (no later
 * match counts them). A key's window is used (and so moves to the newest end) exactly when a
 * match time is added to it, so the least recently used key holds the oldest last match: the
 * expired ones are at the old end, and the first one still in its window stops the walk.
 */
function dropExpiredWindows(windows: BoundedMap<string, number[]>, ts: number, within: number): void {
  for (let oldest = windows.oldestValue(); oldest !== undefined && expired(oldest, ts, within); oldest = windows.oldestValue()) {
    windows.deleteOldest();
  }
}

function expired(times: readonly number[], ts: number, within: number): boolean {
  return times.length === 0 || ts - times[times.length - 1] > within;
}

/** A response code's class (-1: a reset) as an outcome. */
function outcomeOf(codeClass: number): OutcomeClass {
  return codeClass === 2 ? 'success' : codeClass === 4 || codeClass === -1 ? 'refused' : 'error';
}

/** How much an answer weighs for the event it is shown on: its severity under the rule, then a success first. */
function weight(rule: Rule, o: EventOutcome): number {
  return SEVERITIES.indexOf(rule.outcome?.[o.outcome] ?? rule.severity) * 2 + (o.outcome === 'success' ? 1 : 0);
}

/**
 * A rule's key (`threshold.by`, `absence.by`, `sequence.by`). One that fixed fields of a state
 * object alone decide (`obs.client + ' ' + obs.token`, see Evaluator.fixedBy) is made once per
 * object and kept with it: a notification then finds its key without building a string, and
 * the key it finds is the very string the rule's table holds, which hashes and compares at once.
 * Kept weakly: a key goes with its object, so this holds no more than the state does.
 */
interface RuleKey {
  by: Evaluator;
  /** Reads the variable that decides the key (null: the key is computed every time). */
  object: ((scope: Scope) => unknown) | null;
  kept: WeakMap<object, string>;
}

function ruleKey(by: Evaluator): RuleKey {
  return { by, object: by.fixedBy === undefined ? null : READERS[by.fixedBy], kept: new WeakMap() };
}

/** The rule's key for this scope. */
function keyOf(key: RuleKey, scope: Scope): string {
  const o = key.object === null ? null : key.object(scope);
  if (o === null || typeof o !== 'object') return String(valueOf(key.by, scope));
  let k = key.kept.get(o);
  if (k === undefined) key.kept.set(o, (k = String(valueOf(key.by, scope))));
  return k;
}

interface Where {
  frame: number | null;
  src: string | null;
  dst: string | null;
  endpoint: string | null;
}

/**
 * A scope with every variable a key from the start: one shape for all, whatever a rule fills.
 * Typed by Variable, as READERS and COPIERS are, so that a new variable cannot be left out.
 */
function emptyScope(): { [V in Variable]: undefined } {
  return { m: undefined, ep: undefined, obs: undefined, attrs: undefined, bs: undefined, change: undefined, dtls: undefined, run: undefined, params: undefined };
}

/**
 * Copies one variable of the arming message's scope into an armed deadline's own: `ep`, `obs`
 * and the like stay live references to the state, `m` (one object refilled per message) is
 * copied. One function per variable, each reading and writing it by its own name: a copy by a
 * name that varies is a megamorphic read and write on every notification.
 */
type Copier = (from: Scope, into: Scope) => void;
const COPIERS: Record<Variable, Copier> = {
  m: (f, i) => void (f.m !== undefined && (i.m = { ...(f.m as MessageFacts) })),
  ep: (f, i) => void (f.ep !== undefined && (i.ep = f.ep)),
  obs: (f, i) => void (f.obs !== undefined && (i.obs = f.obs)),
  attrs: (f, i) => void (f.attrs !== undefined && (i.attrs = f.attrs)),
  bs: (f, i) => void (f.bs !== undefined && (i.bs = f.bs)),
  change: (f, i) => void (f.change !== undefined && (i.change = f.change)),
  dtls: (f, i) => void (f.dtls !== undefined && (i.dtls = f.dtls)),
  run: (f, i) => void (f.run !== undefined && (i.run = f.run)),
  params: (f, i) => void (f.params !== undefined && (i.params = f.params)),
};

/** What an armed deadline keeps of the arming message's scope (see Copier). */
function keep(late: readonly Copier[], from: Scope, into: Scope): Scope {
  for (const copy of late) copy(from, into);
  return into;
}
