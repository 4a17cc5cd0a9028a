import type { ExchangeRecord } from '../coap/index.js';
import type { AnalyzedMessage } from '../pipeline/index.js';
import type { EndpointChange, StateTracker } from '../state/index.js';
import { holds, hostOf, setScopeFunctions, valueOf, type Scope } from './expr.js';
import { FactBuilder, type MessageFacts } from './facts.js';
import type { Rule } from './rule.js';
import type { DetectionEvent } from './types.js';

/** Keys remembered per stateful rule (thresholds, deadlines, sequences) before the oldest go. */
const MAX_KEYS = 100_000;
const MAX_SUPPRESSED = 100_000;
const MAX_DTLS_HOSTS = 100_000;
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
  deadline: number;
  scope: Scope;
}

interface RuleState {
  /** threshold: key → ring of the last `count` match times. */
  windows?: Map<string, number[]>;
  /** absence: key → deadline. */
  armed?: Map<string, Armed>;
  /** sequence: key → next step and when the first matched. */
  progress?: Map<string, { step: number; start: number }>;
}

/**
 * Evaluates rules on every message (before the state applies it, so conditions see the state
 * the message meets), on endpoint state changes and on DTLS session changes, and turns matches
 * into events. Message rules are indexed by LwM2M operation, so a message costs only the
 * rules that can match it.
 */
export class RuleEngine {
  private byOperation = new Map<string, Rule[]>();
  private anyMessage: Rule[] = [];
  private onEndpoint: Rule[] = [];
  private onDtls: Rule[] = [];
  private absenceRules: Rule[] = [];
  private readonly states = new Map<string, RuleState>();
  private readonly suppressed = new Map<string, DetectionEvent>();
  private readonly dtlsHosts = new Set<string>();
  private readonly facts: FactBuilder;
  private nextScan = -Infinity;
  private currentEndpoint: string | null = null;
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
    return [...new Set([...this.anyMessage, ...[...this.byOperation.values()].flat(), ...this.onEndpoint, ...this.onDtls])];
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
    for (const rule of rules) {
      if (rule.on === 'endpoint') this.onEndpoint.push(rule);
      else if (rule.on === 'dtls') this.onDtls.push(rule);
      else if (rule.operations === null) this.anyMessage.push(rule);
      else for (const op of rule.operations) {
        let list = this.byOperation.get(op);
        if (!list) this.byOperation.set(op, (list = []));
        list.push(rule);
      }
      if (rule.kind === 'absence') this.absenceRules.push(rule);
      if (!this.states.has(rule.id)) this.states.set(rule.id, {});
    }
  }

  /** A message, before the state tracker applies it. */
  message(a: AnalyzedMessage): void {
    const ts = a.coap.ts;
    this.tick(ts);
    this.facts.note(a);
    const op = a.lwm2m?.operation;
    const byOp = op === undefined ? undefined : this.byOperation.get(op);
    if (this.anyMessage.length === 0 && byOp === undefined) return;
    const m = this.facts.message(a);
    this.request = a.coap.match.request;
    const scope: Scope = { m, run: undefined };
    this.currentEndpoint = m.endpoint;
    setScopeFunctions(this.functions);
    for (const rule of this.anyMessage) this.evaluate(rule, scope, m);
    if (byOp) for (const rule of byOp) this.evaluate(rule, scope, m);
  }

  endpointChanged(c: EndpointChange): void {
    if (this.onEndpoint.length === 0) return;
    const scope: Scope = { ep: c.endpoint, change: this.facts.change(c), run: this.facts.run() };
    this.currentEndpoint = c.endpoint.name;
    setScopeFunctions(this.functions);
    const where = { frame: c.frame, src: c.endpoint.address, dst: null, endpoint: c.endpoint.name };
    for (const rule of this.onEndpoint) {
      scope.params = rule.params;
      this.apply(rule, scope, c.ts, where);
    }
  }

  dtls(c: DtlsChange, session: unknown): void {
    if (this.dtlsHosts.size < MAX_DTLS_HOSTS) this.dtlsHosts.add(hostOf(c.session.client));
    if (this.onDtls.length === 0) return;
    const scope: Scope = { dtls: session, change: { what: c.what }, run: this.facts.run() };
    this.currentEndpoint = c.session.endpoint;
    setScopeFunctions(this.functions);
    const where = { frame: c.frame, src: c.session.client, dst: c.session.server, endpoint: c.session.endpoint };
    for (const rule of this.onDtls) {
      scope.params = rule.params;
      this.apply(rule, scope, c.ts, where);
    }
  }

  /** Capture time moved on: absence deadlines that passed fire. */
  tick(ts: number): void {
    this.lastTs = ts;
    if (ts < this.nextScan) return;
    this.nextScan = ts + DEADLINE_SCAN_S;
    for (const rule of this.absenceRules) {
      const armed = this.states.get(rule.id)!.armed;
      if (!armed) continue;
      for (const [key, a] of armed) {
        if (a.deadline > ts) continue;
        armed.delete(key);
        a.scope.params = rule.params;
        setScopeFunctions(this.functions);
        this.currentEndpoint = a.endpoint;
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
      const ep = this.currentEndpoint;
      return ep === null ? null : (this.state.twin.get(ep, path)?.value ?? null);
    },
    dtlsSeen: (host: string): boolean => this.dtlsHosts.has(host),
  };

  private evaluate(rule: Rule, scope: Scope, m: MessageFacts): void {
    for (const field of rule.require) if (!m[field]) return;
    const needs = rule.needs;
    if (needs.has('ep') && scope.ep === undefined) scope.ep = this.facts.endpoint(m.endpoint);
    if ((needs.has('obs') || needs.has('attrs')) && scope.obs === undefined) {
      const obs = this.facts.observation(m, this.request);
      scope.obs = obs;
      scope.attrs = this.facts.attributes(obs);
    }
    if (needs.has('bs') && scope.bs === undefined) scope.bs = this.facts.bootstrap(m);
    if (needs.has('run') && scope.run === undefined) scope.run = this.facts.run();
    scope.params = rule.params;
    this.apply(rule, scope, m.ts, { frame: m.frame, src: m.src, dst: m.dst, endpoint: m.endpoint });
  }

  private apply(rule: Rule, scope: Scope, ts: number, where: Where): void {
    switch (rule.kind) {
      case 'match':
        if (holds(rule.when!, scope)) this.fire(rule, scope, ts, where);
        return;
      case 'threshold':
        if (holds(rule.when!, scope)) this.count(rule, scope, ts, where);
        return;
      case 'absence':
        if (holds(rule.when!, scope)) this.arm(rule, scope, ts, where);
        return;
      case 'sequence':
        this.step(rule, scope, ts, where);
    }
  }

  private count(rule: Rule, scope: Scope, ts: number, where: Where): void {
    const t = rule.threshold!;
    const windows = (this.states.get(rule.id)!.windows ??= new Map());
    const key = String(valueOf(t.by, scope));
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

  private arm(rule: Rule, scope: Scope, ts: number, where: Where): void {
    const a = rule.absence!;
    const within = valueOf(a.within, scope);
    if (typeof within !== 'number' || !Number.isFinite(within) || within < 0) return;
    const armed = (this.states.get(rule.id)!.armed ??= new Map());
    const key = String(valueOf(a.by, scope));
    const existing = armed.get(key);
    // The scope is kept for the deadline: `ep` and `obs` stay live references to the state.
    // The message's scope object is its own (made per message), so it is kept, not copied.
    if (existing) {
      // Re-armed (every notification of an observation): updated in place, in its old slot.
      existing.deadline = ts + within;
      existing.scope = scope;
      existing.frame = where.frame;
      return;
    }
    if (armed.size >= MAX_KEYS) armed.delete(armed.keys().next().value!);
    armed.set(key, { deadline: ts + within, scope, ...where });
  }

  private step(rule: Rule, scope: Scope, ts: number, where: Where): void {
    const s = rule.sequence!;
    const progress = (this.states.get(rule.id)!.progress ??= new Map());
    const key = String(valueOf(s.by, scope));
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
