import type { ExchangeRecord } from '../coap/index.js';
import type { AnalyzedMessage } from '../pipeline/index.js';
import { ExpiryQueue, type EndpointChange, type ResourceState, type StateTracker } from '../state/index.js';
import { holds, hostOf, setScopeFunctions, valueOf, type Evaluator, type Scope, type Variable } from './expr.js';
import { FactBuilder, type MessageFacts } from './facts.js';
import { hangHidden } from './hidden-slot.js';
import type { Rule, RuleKind } from './rule.js';
import type { DetectionEvent } from './types.js';

/** Keys remembered per stateful rule (thresholds, deadlines, sequences) before the oldest go. */
const MAX_KEYS = 100_000;
const MAX_SUPPRESSED = 100_000;
const MAX_DTLS_HOSTS = 100_000;
/**
 * Where a state object keeps the keys made of its fields (see keyOf): the first of its rules'
 * memos, which are chained. One symbol for every rule, so that reading it is one fixed
 * property, not one that varies by rule; a chain, as most objects serve one rule or two.
 */
const KEY_MEMOS = Symbol('rule key memos');
/** Absence deadlines are checked at most once per second of capture time. */
const DEADLINE_SCAN_S = 1;

export interface EventSink {
  event(e: DetectionEvent): void;
  /** An event collapsed another identical one into itself: its count and lastTs grew. */
  eventRepeated?(e: DetectionEvent): void;
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
  /**
   * When the deadline queue holds this entry: its deadline when queued. Re-arming moves only
   * `deadline`, and the entry is queued again when this time comes and finds it later.
   */
  queued: number;
  /** What the rule's late expressions (still, message, details) read, kept from the last arming message. */
  scope: Scope;
  /** False once fired or evicted (a key memo's `armed` then no longer counts, a queued copy is left behind). */
  live: boolean;
}

/** A key made of fields of one state object, kept with that object (see keyOf). */
interface KeyMemo {
  /** The rule's place (RuleState.memoIndex) and the next rule's memo on the same object. */
  readonly place: number;
  readonly next: KeyMemo | undefined;
  /** The key expression that made it: one a reload compiled anew makes its own. */
  by: Evaluator;
  inputs: unknown[];
  key: string;
  /** absence: the deadline armed under this key when it was last armed, found with no lookup. */
  armed: Armed | null;
}

interface RuleState {
  /** threshold: key → ring of the last `count` match times. */
  windows?: Map<string, number[]>;
  /** absence: key → deadline. */
  armed?: Map<string, Armed>;
  /** absence: the armed entries by when they are queued (see Armed.queued). */
  deadlines?: ExpiryQueue<Armed>;
  /** sequence: key → next step and when the first matched. */
  progress?: Map<string, { step: number; start: number }>;
  /** This rule's place in a state object's key memos (see keyOf). */
  readonly memoIndex: number;
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
  /** `when.fast`, read here rather than from the evaluator's own properties. */
  whenFast: Evaluator['fast'];
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
 */
export class RuleEngine {
  /** Per LwM2M operation, the rules for every message and then that operation's, in file order. */
  private byOperation = new Map<string, MessageRule[]>();
  private anyMessage: MessageRule[] = [];
  private onEndpoint: LoadedRule[] = [];
  private onDtls: LoadedRule[] = [];
  private absenceRules: LoadedRule[] = [];
  private readonly states = new Map<string, RuleState>();
  /** Key-memo places handed out so far (a rule's place stays its own across reloads). */
  private memoIndexes = 0;
  private readonly suppressed = new Map<string, DetectionEvent>();
  private readonly dtlsHosts = new Set<string>();
  private readonly facts: FactBuilder;
  /** The scope of the message being evaluated; every variable a message rule can see is a key from the start. */
  private readonly scope: Scope = emptyScope();
  private nextScan = -Infinity;
  private currentEndpoint: string | null = null;
  /** The current endpoint's resources in the twin, looked up at the first previous() (undefined: not yet). */
  private resources: ReadonlyMap<string, ResourceState> | null | undefined = undefined;
  /** The request the message being evaluated answers (its exchange record), for observation lookups. */
  private request: ExchangeRecord | null = null;
  private lastTs = 0;
  /** Events emitted (collapsed repeats not counted) and evaluation counts, for the summary and `rules test`. */
  events = 0;
  readonly fired = new Map<string, number>();

  constructor(rules: readonly Rule[], private readonly state: StateTracker, private readonly sink: EventSink) {
    this.facts = new FactBuilder(state, this.dtlsHosts);
    this.load(rules);
  }

  get rules(): Rule[] {
    const all = [...this.anyMessage, ...[...this.byOperation.values()].flat(), ...this.onEndpoint, ...this.onDtls];
    return [...new Set(all.map((r) => r.rule))];
  }

  /** Replaces the rule set (SIGHUP); windows and deadlines of rules that keep their id carry over. */
  load(rules: readonly Rule[]): void {
    this.byOperation = new Map();
    this.anyMessage = [];
    this.onEndpoint = [];
    this.onDtls = [];
    this.absenceRules = [];
    const ids = new Set(rules.map((r) => r.id));
    for (const id of this.states.keys()) if (!ids.has(id)) this.states.delete(id);
    const byOperation = new Map<string, MessageRule[]>();
    for (const rule of rules) {
      let state = this.states.get(rule.id);
      if (!state) this.states.set(rule.id, (state = { memoIndex: this.memoIndexes++ }));
      const loaded: LoadedRule = {
        rule, state, late: [...rule.late].map((v) => COPIERS[v]), kind: rule.kind, params: rule.params, when: rule.when, whenFast: rule.when?.fast,
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
    }
    for (const [op, list] of byOperation) this.byOperation.set(op, [...this.anyMessage, ...list]);
  }

  /** A message, before the state tracker applies it. */
  message(a: AnalyzedMessage): void {
    const ts = a.coap.ts;
    this.tick(ts);
    this.facts.note(a);
    const op = a.lwm2m?.operation;
    const rules = (op === undefined ? undefined : this.byOperation.get(op)) ?? this.anyMessage;
    if (rules.length === 0) return;
    const m = this.facts.message(a);
    this.request = a.coap.match.request;
    const scope = this.scope;
    scope.m = m;
    scope.ep = scope.obs = scope.attrs = scope.bs = scope.run = scope.params = undefined;
    this.enter(m.endpoint);
    for (const r of rules) this.evaluate(r, scope, m, ts);
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
    if (this.dtlsHosts.size < MAX_DTLS_HOSTS) this.dtlsHosts.add(hostOf(c.session.client));
    if (this.onDtls.length === 0) return;
    const scope: Scope = { dtls: session, change: { what: c.what }, run: this.facts.run() };
    this.enter(c.session.endpoint);
    const where = { frame: c.frame, src: c.session.client, dst: c.session.server, endpoint: c.session.endpoint };
    for (const r of this.onDtls) {
      scope.params = r.params;
      this.apply(r, scope, c.ts, where);
    }
  }

  /**
   * Capture time moved on: absence deadlines that passed fire. Only the queue's earliest
   * entries are looked at; one whose deadline was moved on since it was queued goes back in.
   */
  tick(ts: number): void {
    this.lastTs = ts;
    if (ts < this.nextScan) return;
    this.nextScan = ts + DEADLINE_SCAN_S;
    for (const { rule, state } of this.absenceRules) {
      const deadlines = state.deadlines;
      if (!deadlines) continue;
      const armed = state.armed!;
      while (deadlines.peek() <= ts) {
        const { at, item: a } = deadlines.pop()!;
        // Left behind: queued again earlier, fired, or evicted.
        if (at !== a.queued || !a.live) continue;
        if (a.deadline > ts) {
          deadlines.push((a.queued = a.deadline), a);
          continue;
        }
        armed.delete(a.key);
        a.live = false;
        a.scope.params = rule.params;
        this.enter(a.endpoint);
        if (rule.absence!.still && !holds(rule.absence!.still, a.scope)) continue;
        this.fire(rule, a.scope, a.deadline, { frame: null, src: a.src, dst: a.dst, endpoint: a.endpoint }, { lastFrame: a.frame });
      }
    }
  }

  /** End of input: deadlines up to the last packet's time fire; later ones are left (the capture ended first). */
  finish(): void {
    this.nextScan = -Infinity;
    this.tick(this.lastTs);
  }

  private readonly functions = {
    previous: (path: string): unknown => {
      if (this.resources === undefined) {
        const ep = this.currentEndpoint;
        this.resources = ep === null ? null : (this.state.twin.resourcesOf(ep) ?? null);
      }
      return this.resources?.get(path)?.value ?? null;
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
    // Every field written out, not spread from `loaded`: spread copies got shapes of their own,
    // and evaluate()'s reads of them went megamorphic (a stub-cache lookup each, per rule per message).
    return {
      rule: loaded.rule, state: loaded.state, late: loaded.late, kind: loaded.kind, params: loaded.params, when: loaded.when, whenFast: loaded.whenFast,
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
        if (holds(r.when!, scope, r.whenFast)) this.fire(r.rule, scope, ts, where);
        return;
      case 'threshold':
        if (holds(r.when!, scope, r.whenFast)) this.count(r, scope, ts, where);
        return;
      case 'absence':
        if (holds(r.when!, scope, r.whenFast)) this.arm(r, scope, ts, where);
        return;
      case 'sequence':
        this.step(r, scope, ts, where);
    }
  }

  private count({ rule, state }: LoadedRule, scope: Scope, ts: number, where: Where): void {
    const t = rule.threshold!;
    const windows = (state.windows ??= new Map());
    const key = keyString(this.keyOf(t.by, scope, state));
    let times = windows.get(key);
    if (!times) {
      if (windows.size >= MAX_KEYS) windows.delete(windows.keys().next().value!);
      windows.set(key, (times = []));
    }
    times.push(ts);
    while (times.length > 0 && ts - times[0] > t.within) times.shift();
    if (times.length >= t.count) {
      const first = times[0];
      windows.delete(key);
      this.fire(rule, scope, ts, where, { count: t.count, within: t.within, key, first });
    }
  }

  private arm({ rule, state, late }: LoadedRule, scope: Scope, ts: number, where: Where): void {
    const a = rule.absence!;
    const within = valueOf(a.within, scope);
    if (typeof within !== 'number' || !Number.isFinite(within) || within < 0) return;
    const armed = (state.armed ??= new Map());
    const deadlines = (state.deadlines ??= new ExpiryQueue());
    const k = this.keyOf(a.by, scope, state);
    const memo = typeof k === 'string' ? null : k;
    const key = keyString(k);
    const deadline = ts + within;
    // The entry armed under this key: the memo's while it is live (every notification of an
    // observation finds its own), else the map's.
    let existing = memo?.armed;
    if (!existing?.live) existing = armed.get(key);
    if (existing) {
      // Re-armed: updated in place, in its old slot; the queue hears of it only if the deadline
      // came earlier.
      if (memo !== null) memo.armed = existing;
      existing.deadline = deadline;
      existing.frame = where.frame;
      keep(late, scope, existing.scope);
      if (deadline < existing.queued) deadlines.push((existing.queued = deadline), existing);
      return;
    }
    if (armed.size >= MAX_KEYS) {
      const oldest = armed.values().next().value!;
      oldest.live = false;
      armed.delete(oldest.key);
    }
    const entry: Armed = {
      key, deadline, queued: deadline, scope: keep(late, scope, emptyScope()), frame: where.frame, src: where.src, dst: where.dst, endpoint: where.endpoint, live: true,
    };
    armed.set(key, entry);
    if (memo !== null) memo.armed = entry;
    deadlines.push(deadline, entry);
    // Entries left behind by evictions and earlier deadlines: dropped once they outnumber the live ones.
    if (deadlines.size > 2 * armed.size + 1024) deadlines.rebuild([...armed.values()].map((e): [number, Armed] => [e.queued, e]));
  }

  /**
   * A rule's key for this scope. One made of fields of one object (an observation's client and
   * token) is kept on that object and used again while those fields hold the same values: the
   * same string, already hashed, rather than a new one built and hashed on every notification.
   * Such a key comes as its KeyMemo, where an absence rule also finds its armed deadline.
   * Why a hidden slot on the object rather than a WeakMap by object: together with the
   * attribute cache in facts.ts leaving its WeakMap, the state thread ran 3-4 % fewer
   * instructions (callgrind, 50k bench messages); a WeakMap costs the collector work too.
   */
  private keyOf(by: Evaluator, scope: Scope, state: RuleState): KeyMemo | string {
    const reads = by.reads;
    const source = reads === undefined ? undefined : reads.read(scope);
    if (reads === undefined || typeof source !== 'object' || source === null) return String(valueOf(by, scope));
    const fields = reads.fields;
    const record = source as Record<string | symbol, unknown>;
    const first = record[KEY_MEMOS] as KeyMemo | undefined;
    const place = state.memoIndex;
    let known = first;
    while (known !== undefined && known.place !== place) known = known.next;
    if (known !== undefined && known.by === by && sameInputs(record, fields, known.inputs)) return known;
    const key = String(valueOf(by, scope));
    const inputs = fields.map((f) => record[f]);
    // Only values compared by value: a list or map read here could change inside.
    if (!inputs.every((v) => v === null || typeof v !== 'object')) return key;
    if (known !== undefined) {
      // Made anew in its place: the deadline armed under the old key is not this key's.
      known.by = by;
      known.inputs = inputs;
      known.key = key;
      known.armed = null;
      return known;
    }
    const made: KeyMemo = { place, next: first, by, inputs, key, armed: null };
    if (first !== undefined) record[KEY_MEMOS] = made;
    else if (!hangHidden(record, KEY_MEMOS, made)) return key;
    return made;
  }

  private step({ rule, state }: LoadedRule, scope: Scope, ts: number, where: Where): void {
    const s = rule.sequence!;
    const progress = (state.progress ??= new Map());
    const key = keyString(this.keyOf(s.by, scope, state));
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
    if (holds(s.steps[0], scope)) {
      if (!progress.has(key) && progress.size >= MAX_KEYS) progress.delete(progress.keys().next().value!);
      progress.set(key, { step: 1, start: ts });
    }
  }

  private fire(rule: Rule, scope: Scope, ts: number, where: Where, extra?: Record<string, unknown>): void {
    const suppressKey = `${rule.id}\u0000${where.endpoint ?? where.src ?? ''}`;
    const earlier = this.suppressed.get(suppressKey);
    if (earlier && ts - earlier.ts <= rule.suppress) {
      earlier.count++;
      earlier.lastTs = ts;
      this.sink.eventRepeated?.(earlier);
      return;
    }
    const details: Record<string, unknown> = {};
    for (const [name, e] of rule.details) details[name] = valueOf(e, scope);
    if (extra) Object.assign(details, extra);
    const event: DetectionEvent = {
      ts, rule: rule.id, severity: rule.severity, endpoint: where.endpoint, src: where.src, dst: where.dst, frame: where.frame,
      message: rule.message(scope), details, count: 1, lastTs: ts,
    };
    if (rule.suppress > 0) {
      this.suppressed.delete(suppressKey);
      if (this.suppressed.size >= MAX_SUPPRESSED) this.suppressed.delete(this.suppressed.keys().next().value!);
      this.suppressed.set(suppressKey, event);
    }
    this.events++;
    this.fired.set(rule.id, (this.fired.get(rule.id) ?? 0) + 1);
    this.sink.event(event);
  }
}

interface Where {
  frame: number | null;
  src: string | null;
  dst: string | null;
  endpoint: string | null;
}

function keyString(k: KeyMemo | string): string {
  return typeof k === 'string' ? k : k.key;
}

function sameInputs(source: Record<string | symbol, unknown>, fields: string[], inputs: unknown[]): boolean {
  for (let i = 0; i < fields.length; i++) if (source[fields[i]] !== inputs[i]) return false;
  return true;
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
 * name that varies was a megamorphic read and write on every notification.
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
