import { CODE_STRINGS } from '../coap/index.js';
import type { AnalyzedMessage } from '../pipeline/index.js';
import type { DetectionEvent } from '../rules/types.js';
import type { StoredOutcome } from '../store/index.js';
import { samples, type StateTracker } from '../state/index.js';
import { BoundedMap, type OverflowCounters } from '../util/bounded-map.js';
import {
  parseEndpointFilter, parseEventFilter, REGISTRATION_OPERATIONS, severitiesFrom, type DashboardSource, type EndpointDetail,
  type EndpointQuery, type EndpointSummary, type EventQuery, type EventSummary, flowMatches, type FlowMessage, type FlowPage, type FramePlace,
  type MessageDetail, messageMatches, type MessageQuery, type MessageRecord, type ObservationSummary, type Overview, type Page,
  parseMessageFilter, type ResourceValue, type SaveOffer,
} from './source.js';
import { comparePaths, flowMessageOf, registrationHistory } from './store-source.js';

/** Counters of the capture itself, which the session's pipeline (or the live capture) keeps. */
export interface LiveStats {
  packets: number;
  /** Drop counters to show ("kernel", "interface", "coapwatch"). */
  drops?: Array<[string, number]>;
  notes?: Array<[string, string]>;
}

/** The parts of an AnalysisSession the live source reads (structural, so monitor can pass its own). */
export interface LiveSessionLike {
  tracker: StateTracker | null;
  pipeline: {
    decoder: { stats: { packets: number; malformed: number } };
    coap: { stats: { malformed: number; dtlsRecords: number } };
    /** The run's table counters: the dashboard's own tables report into them, the overview lists them. */
    overflow?: OverflowCounters;
  };
}

export interface LiveSourceOptions {
  /** Capture file or interface, shown in the overview. */
  source: string;
  /** The capture file frame numbers refer to (analyze --ui); none for an interface. */
  captureFile?: string;
  /** Messages kept for the message flow, all endpoints together (the oldest go first). */
  flowCapacity?: number;
  /** Messages kept per endpoint for its flow. */
  flowPerEndpoint?: number;
  /** Events kept (the oldest go first); counters still count every event. */
  eventCapacity?: number;
}

interface FlowEntry {
  /** Null: a message of no endpoint (plain CoAP, a malformed message); it is in the run's flow only. */
  endpoint: string | null;
  message: FlowMessage;
}

/** Why `s` saves nothing in the live dashboard. */
const LIVE_SAVE = 'the live dashboard keeps no frames to save: analyze --db (or monitor --db --write FILE), then ui --db and s';
/** Seconds of capture time the messages/s sparkline spans. */
const RATE_WINDOW = 120;
/** Seconds the current rates are averaged over. */
const RATE_AVERAGE = 10;
const MAX_TALKERS = 50_000;
/** Endpoint lists longer than this are rebuilt at most every ENDPOINT_REFRESH_MS. */
const LARGE_LIST = 2000;
const ENDPOINT_REFRESH_MS = 500;
const HISTORY_PER_ENDPOINT = 100;
const MAX_HISTORY_ENDPOINTS = 100_000;
/** Endpoints whose events are counted: a fleet of 10^6 meters fits. */
const MAX_EVENT_ENDPOINTS = 1 << 20;

/**
 * The dashboard over a running analysis. It reads the session's StateTracker for endpoints,
 * resources and observations, and keeps what the tracker does not: recent messages per
 * endpoint (a global ring, so memory is bounded whatever the number of endpoints), message
 * rates by capture-time second, top talkers and the events the rules engine reports.
 *
 *   const live = new LiveSource({ source: file });
 *   const session = new AnalysisSession({ ..., state: true, onMessage: live.onMessage, onEvent: live.addEvent });
 *   live.attach(session);                // tracker + packet counters
 *   // live capture: after session.tick(ts), live.changed() (expiries happened without a message)
 *
 * Feeding it costs a few field copies per message; the dashboard polls it (at most 10 times a
 * second) and does its per-view work only then.
 */
export class LiveSource implements DashboardSource {
  readonly source: string;
  private readonly captureFile: string | null;
  private tracker: StateTracker | null = null;
  private stats: () => LiveStats = () => ({ packets: this.messageCount });
  private changes = 0;
  private messageCount = 0;
  private finished = false;
  private latest = 0;
  private firstTs: number | null = null;

  // Messages per capture-time second, and packets seen at each second's start.
  private rateSecond = -1;
  private readonly rate = new Float64Array(RATE_WINDOW);
  private readonly packetsAt = new Float64Array(RATE_WINDOW);

  /** Least recently heard from first out when full: the busiest talkers stay. */
  private readonly talkers = new BoundedMap<string, { endpoint: string | null; messages: number }>('ui.top-talkers', MAX_TALKERS);

  private readonly flowCapacity: number;
  private readonly flowPerEndpoint: number;
  private readonly flowRing: Array<FlowEntry | undefined>;
  private flowNext = 0;
  /** Messages in the ring: every message of the run until it is full. */
  private flowKept = 0;
  private readonly flowByEndpoint = new Map<string, FlowEntry[]>();
  /** Messages of each endpoint in the run, kept or not (its flow says how many it shows of how many). */
  private readonly messagesByEndpoint = new BoundedMap<string, number>('ui.messages-by-endpoint', MAX_EVENT_ENDPOINTS);
  private readonly history = new BoundedMap<string, MessageRecord[]>('ui.message-history', MAX_HISTORY_ENDPOINTS);

  private readonly eventCapacity: number;
  private eventList: EventSummary[] = [];
  /** Events dropped from the front of eventList (its first element's absolute index). */
  private eventBase = 0;
  private readonly matchCache = new Map<string, { test: (e: EventSummary) => boolean; scanned: number; matches: number[] }>();
  private endpointCache: { key: string; rows: EndpointSummary[]; changes: number; at: number } | null = null;
  private readonly eventObjects = new WeakMap<DetectionEvent, EventSummary>();
  private nextEventId = 1;
  private readonly eventsBySeverity: Record<string, number> = {};
  private readonly eventsByEndpoint = new BoundedMap<string, number>('ui.events-by-endpoint', MAX_EVENT_ENDPOINTS);
  private overflow: OverflowCounters | null = null;
  private eventTotal = 0;
  /** The Messages view's matches of the last filter, for one version of the data. */
  private messageMatches: { filter: string; changes: number; rows: FlowMessage[] } | null = null;

  constructor(opts: LiveSourceOptions) {
    this.source = opts.source;
    this.captureFile = opts.captureFile ?? null;
    this.flowCapacity = opts.flowCapacity ?? 20_000;
    this.flowPerEndpoint = opts.flowPerEndpoint ?? 200;
    this.eventCapacity = opts.eventCapacity ?? 100_000;
    this.flowRing = new Array<FlowEntry | undefined>(this.flowCapacity);
  }

  /** The session whose state is shown: its tracker (build it with `state: true`) and packet counters. */
  attach(session: LiveSessionLike, stats?: () => LiveStats): void {
    this.tracker = session.tracker;
    const { decoder, coap, overflow } = session.pipeline;
    if (overflow) {
      this.overflow = overflow;
      for (const t of [this.talkers, this.history, this.eventsByEndpoint, this.messagesByEndpoint]) overflow.register(t.table, t.bound, () => t.evicted);
    }
    this.stats = stats ?? (() => ({
      packets: decoder.stats.packets,
      notes: [['malformed', `${decoder.stats.malformed} frames, ${coap.stats.malformed} CoAP`], ['DTLS records', String(coap.stats.dtlsRecords)]],
    }));
  }

  /** Something the source cannot see changed (a session tick expired registrations): redraw. */
  changed(): void {
    this.changes++;
  }

  /** No more packets will come (the file ended, the capture stopped): rates stop being "live". */
  finish(): void {
    this.finished = true;
    this.changes++;
  }

  /** The session's onMessage tap. Bound, so it can be passed as it is. */
  readonly onMessage = (m: AnalyzedMessage): void => {
    const e = m.coap;
    const ts = e.ts;
    this.messageCount++;
    this.changes++;
    if (ts > this.latest) this.latest = ts;
    this.firstTs ??= ts;
    this.countRate(ts);
    const l = m.lwm2m;
    const endpoint = l?.endpoint ?? null;
    let t = this.talkers.get(e.src);
    if (!t) this.talkers.set(e.src, (t = { endpoint: null, messages: 0 }));
    if (t) {
      t.messages++;
      if (endpoint !== null && e.match.role === 'request' && l!.operation !== 'unknown' && isClientOperation(l!.operation)) t.endpoint = endpoint;
    }
    const rec = recordOf(m);
    this.addFlow(endpoint, flowMessageOf(rec, e.size));
    if (endpoint !== null && REGISTRATION_OPERATIONS.has(l!.operation)) {
      let list = this.history.get(endpoint);
      if (!list) this.history.set(endpoint, (list = []));
      list.push(rec);
      if (list.length > HISTORY_PER_ENDPOINT) list.splice(0, list.length - HISTORY_PER_ENDPOINT);
    }
  };

  /** An event from the rules engine (the session's onEvent hook; bound, so it can be passed as it is). Repeats collapsed by suppression grow the same object, which is read live. */
  readonly addEvent = (ev: DetectionEvent): void => {
    this.changes++;
    if (this.eventObjects.has(ev)) return;
    // Suppression grows count and lastTs on the engine's object, and the request's answer sets
    // its outcome and severity: read them from it.
    const summary: EventSummary = {
      id: this.nextEventId++, ts: ev.ts, get lastTs() { return ev.lastTs; }, get count() { return ev.count; }, rule: ev.rule,
      get severity() { return ev.severity; }, endpoint: ev.endpoint, src: ev.src, dst: ev.dst, frame: ev.frame, message: ev.message,
      details: ev.details, seq: ev.id, get outcome() { return storedOutcome(ev.outcome); },
    };
    this.eventObjects.set(ev, summary);
    this.eventTotal++;
    this.eventsBySeverity[ev.severity] = (this.eventsBySeverity[ev.severity] ?? 0) + 1;
    if (ev.endpoint !== null) this.eventsByEndpoint.set(ev.endpoint, (this.eventsByEndpoint.peek(ev.endpoint) ?? 0) + 1);
    this.eventList.push(summary);
    if (this.eventList.length > this.eventCapacity * 1.1) {
      const drop = this.eventList.length - this.eventCapacity;
      this.eventList = this.eventList.slice(drop);
      this.eventBase += drop;
    }
  };

  /** An event's severity changed with its request's answer (the session's onEventSeverity hook). */
  readonly eventSeverityChanged = (ev: DetectionEvent, from: string): void => {
    this.changes++;
    if (!this.eventObjects.has(ev)) return;
    this.eventsBySeverity[from] = (this.eventsBySeverity[from] ?? 1) - 1;
    this.eventsBySeverity[ev.severity] = (this.eventsBySeverity[ev.severity] ?? 0) + 1;
    // Cached filter results may hold it under its old severity.
    this.matchCache.clear();
  };

  version(): number {
    return this.changes;
  }

  now(): number {
    return this.latest;
  }

  private countRate(ts: number): void {
    const sec = Math.floor(ts);
    if (this.rateSecond < 0) this.rateSecond = sec;
    if (sec > this.rateSecond) {
      const steps = Math.min(sec - this.rateSecond, RATE_WINDOW);
      const packets = this.stats().packets;
      for (let i = 1; i <= steps; i++) {
        const slot = (this.rateSecond + i) % RATE_WINDOW;
        this.rate[slot] = 0;
        this.packetsAt[slot] = packets;
      }
      this.rateSecond = sec;
    }
    if (sec > this.rateSecond - RATE_WINDOW) this.rate[sec % RATE_WINDOW]++;
  }

  private addFlow(endpoint: string | null, message: FlowMessage): void {
    const entry: FlowEntry = { endpoint, message };
    const old = this.flowRing[this.flowNext];
    if (old && old.endpoint !== null) {
      const list = this.flowByEndpoint.get(old.endpoint);
      if (list && list[0] === old) {
        list.shift();
        if (list.length === 0) this.flowByEndpoint.delete(old.endpoint);
      }
    }
    this.flowRing[this.flowNext] = entry;
    this.flowNext = (this.flowNext + 1) % this.flowCapacity;
    if (this.flowKept < this.flowCapacity) this.flowKept++;
    if (endpoint === null) return;
    this.messagesByEndpoint.set(endpoint, (this.messagesByEndpoint.peek(endpoint) ?? 0) + 1);
    let list = this.flowByEndpoint.get(endpoint);
    if (!list) this.flowByEndpoint.set(endpoint, (list = []));
    list.push(entry);
    if (list.length > this.flowPerEndpoint) list.shift();
  }

  overview(): Overview {
    const stats = this.stats();
    const series: number[] = [];
    let messageRate: number | null = null;
    let packetRate: number | null = null;
    if (this.rateSecond >= 0) {
      const span = Math.min(RATE_WINDOW, this.rateSecond - Math.floor(this.firstTs ?? this.rateSecond) + 1);
      for (let i = span - 1; i >= 0; i--) series.push(this.rate[(this.rateSecond - i) % RATE_WINDOW]);
      // The current second is still filling: average the full seconds before it when there are some.
      const full = Math.min(RATE_AVERAGE, span - 1);
      if (full > 0) {
        let sum = 0;
        for (let i = 1; i <= full; i++) sum += this.rate[(this.rateSecond - i) % RATE_WINDOW];
        messageRate = sum / full;
        packetRate = (this.packetsAt[this.rateSecond % RATE_WINDOW] - this.packetsAt[(this.rateSecond - full) % RATE_WINDOW]) / full;
      } else {
        messageRate = series[series.length - 1] ?? 0;
      }
    }
    const byState: Record<string, number> = {};
    if (this.tracker) for (const ep of this.tracker.registrations.all()) byState[ep.state] = (byState[ep.state] ?? 0) + 1;
    // The 8 busiest in one pass (no sort of every address on each redraw).
    const top: Array<{ address: string; endpoint: string | null; messages: number }> = [];
    for (const [address, t] of this.talkers.entries()) {
      if (top.length === 8 && t.messages <= top[7].messages) continue;
      let i = top.length === 8 ? 7 : top.length;
      while (i > 0 && top[i - 1].messages < t.messages) i--;
      top.splice(i, 0, { address, endpoint: t.endpoint, messages: t.messages });
      if (top.length > 8) top.pop();
    }
    const topTalkers = top;
    return {
      source: this.source,
      captureFile: this.captureFile,
      live: !this.finished,
      packets: stats.packets,
      messages: this.messageCount,
      messageRate,
      packetRate,
      messageSeries: series,
      captureStart: this.firstTs,
      captureEnd: this.firstTs === null ? null : this.latest,
      endpointsByState: byState,
      eventsBySeverity: { ...this.eventsBySeverity },
      events: this.eventTotal,
      topTalkers,
      drops: stats.drops ?? [],
      notes: stats.notes ?? [],
      overflow: this.overflow?.overflows() ?? null,
    };
  }

  endpoints(q: EndpointQuery): Page<EndpointSummary> {
    if (!this.tracker) return { rows: [], total: 0, offset: q.offset };
    // The same list for the same data and query (a redraw asks for the count, then the page).
    // A large list is rebuilt at most every ENDPOINT_REFRESH_MS while packets flow: filtering and
    // sorting 10,000 endpoints on every redraw would take time from decoding.
    const key = `${q.sort}\u0000${q.descending}\u0000${q.filter}`;
    const cached = this.endpointCache;
    const now = Date.now();
    if (cached && cached.key === key
      && (cached.changes === this.changes || (cached.rows.length > LARGE_LIST && now - cached.at < ENDPOINT_REFRESH_MS))) {
      const rows = cached.rows;
      return { rows: rows.slice(q.offset, q.offset + q.limit), total: rows.length, offset: q.offset };
    }
    const f = parseEndpointFilter(q.filter);
    const text = f.text.toLowerCase();
    const rows: EndpointSummary[] = [];
    for (const ep of this.tracker.registrations.all()) {
      if (f.state && ep.state !== f.state) continue;
      if (text && !ep.name.toLowerCase().includes(text) && !ep.address.toLowerCase().includes(text)) continue;
      rows.push({
        name: ep.name, address: ep.address, state: ep.state, lifetime: ep.lifetime, expiresAt: ep.expiresAt,
        lwm2mVersion: ep.lwm2mVersion, binding: ep.binding, objects: ep.objects.length, lastSeen: ep.lastSeen,
        events: this.eventsByEndpoint.peek(ep.name) ?? 0,
      });
    }
    rows.sort(endpointComparator(q.sort, q.descending));
    this.endpointCache = { key, rows, changes: this.changes, at: now };
    return { rows: rows.slice(q.offset, q.offset + q.limit), total: rows.length, offset: q.offset };
  }

  endpoint(name: string): EndpointDetail | null {
    const ep = this.tracker?.registrations.get(name);
    if (!ep) return null;
    return {
      name: ep.name, state: ep.state, address: ep.address, previousAddresses: ep.previousAddresses ?? [], location: ep.location,
      lifetime: ep.lifetime, binding: ep.binding, lwm2mVersion: ep.lwm2mVersion, sms: ep.sms, queueMode: ep.queueMode,
      objects: [...ep.objects], registeredAt: ep.registeredAt, updatedAt: ep.updatedAt, expiresAt: ep.expiresAt, lastSeen: ep.lastSeen,
      history: registrationHistory(this.history.peek(name) ?? []),
    };
  }

  resources(name: string): ResourceValue[] {
    const out: ResourceValue[] = [];
    const all = this.tracker?.twin.resources(name);
    if (!all) return out;
    for (const r of all) {
      out.push({ path: r.path, name: r.name, type: r.type, value: r.value, updatedAt: r.updatedAt, series: r.series ? samples(r.series) : [] });
    }
    return out.sort((a, b) => comparePaths(a.path, b.path));
  }

  observations(name: string): ObservationSummary[] {
    const out: ObservationSummary[] = [];
    if (!this.tracker) return out;
    const attrs = this.tracker.observations.attributes;
    for (const o of this.tracker.observations.all()) {
      if (o.endpoint !== name) continue;
      out.push({
        id: o.id, token: o.token, paths: [...o.paths],
        attributes: { ...(o.paths.length === 1 ? attrs.inForce(o.endpoint, o.paths[0]) : {}) } as Record<string, number>,
        state: o.state, endedBy: o.endedBy, notifications: o.notifications, lastSeq: o.lastSeq, reordered: o.reordered,
        lateNotifications: o.lateNotifications, startedAt: o.startedAt, lastNotifiedAt: o.lastNotifiedAt,
      });
    }
    return out.sort((a, b) => a.id - b.id);
  }

  isLive(): boolean {
    return !this.finished;
  }

  /** The kept messages of a flow, oldest first: `at(i)` for i in 0..length-1. */
  private kept(endpoint: string | null): { length: number; at: (i: number) => FlowMessage } {
    if (endpoint !== null) {
      const list = this.flowByEndpoint.get(endpoint) ?? [];
      return { length: list.length, at: (i) => list[i].message };
    }
    const n = this.flowKept;
    const first = (this.flowNext - n + this.flowCapacity) % this.flowCapacity;
    return { length: n, at: (i) => this.flowRing[(first + i) % this.flowCapacity]!.message };
  }

  flow(endpoint: string | null, offset: number, limit: number): FlowPage {
    const list = this.kept(endpoint);
    const end = Math.max(0, list.length - offset);
    const start = Math.max(0, end - limit);
    const rows: FlowMessage[] = [];
    for (let i = start; i < end; i++) rows.push(list.at(i));
    const seen = endpoint === null ? this.messageCount : (this.messagesByEndpoint.peek(endpoint) ?? null);
    return { rows, total: list.length, offset, unavailable: null, seen, runMessages: this.messageCount };
  }

  frameOffset(endpoint: string | null, frame: number): FramePlace | null {
    const list = this.kept(endpoint);
    if (list.length === 0) return null;
    // Newest first: the first message at or before the frame is the one, or the nearest before it.
    for (let i = list.length - 1; i >= 0; i--) {
      const f = list.at(i).frame;
      if (f <= frame) return { offset: list.length - 1 - i, exact: f === frame };
    }
    return { offset: list.length - 1, exact: false };
  }

  searchFlow(endpoint: string | null, text: string, from: number, older: boolean): number | null {
    const list = this.kept(endpoint);
    const step = older ? 1 : -1;
    for (let offset = from + step; offset >= 0 && offset < list.length; offset += step) {
      if (flowMatches(list.at(list.length - 1 - offset), text)) return offset;
    }
    return null;
  }

  /**
   * The Messages view over the kept messages (the run's newest flowCapacity): the matches of the
   * last filter are kept per version of the data, so paging does not rescan them.
   */
  messages(q: MessageQuery): FlowPage {
    const list = this.kept(null);
    let m = this.messageMatches;
    if (m === null || m.filter !== q.filter || m.changes !== this.changes) {
      const f = parseMessageFilter(q.filter);
      const rows: FlowMessage[] = [];
      for (let i = 0; i < list.length; i++) if (messageMatches(list.at(i), f)) rows.push(list.at(i));
      this.messageMatches = m = { filter: q.filter, changes: this.changes, rows };
    }
    return { rows: m.rows.slice(q.offset, q.offset + q.limit), total: m.rows.length, offset: q.offset, unavailable: null, seen: this.messageCount, runMessages: this.messageCount };
  }

  messageDetail(m: FlowMessage): MessageDetail {
    // Its first response, among the kept messages (a request's answer follows it).
    let response: MessageDetail['response'] = null;
    if (m.role === 'request') {
      const list = this.kept(null);
      for (let i = list.length - 1; i >= 0; i--) {
        const r = list.at(i);
        if (r.frame <= m.frame) break;
        if (r.responseTo === m.frame && r.retransmissionOf === null) response = { frame: r.frame, code: r.code };
      }
    }
    const note = this.captureFile === null
      ? 'the live dashboard keeps no frame bytes: capture with --write FILE and review with ui --db for the hex'
      : `the live dashboard keeps no frame bytes: analyze ${this.captureFile} --db DB, then ui --db DB for the hex`;
    return { record: m.record(), bytes: null, note, response };
  }

  saveOffer(): SaveOffer {
    return { error: LIVE_SAVE };
  }

  save(): string {
    throw new Error(LIVE_SAVE);
  }

  event(id: number): EventSummary | null {
    // Ids are given in order from 1: the list holds ids eventBase+1 onwards.
    const e = this.eventList[id - 1 - this.eventBase];
    return e !== undefined && e.id === id ? e : null;
  }

  /**
   * Events matching a filter, newest first. The matches of the last few filters are kept and
   * only events added since are scanned, so a redraw does not rescan 100,000 events.
   */
  events(q: EventQuery): Page<EventSummary> {
    const key = `${q.minSeverity}\u0000${q.filter}\u0000${q.endpoint ?? '\u0001'}`;
    let m = this.matchCache.get(key);
    if (!m) {
      m = { test: eventPredicate(q), scanned: this.eventBase, matches: [] };
      if (this.matchCache.size >= 8) this.matchCache.delete(this.matchCache.keys().next().value!);
    } else {
      this.matchCache.delete(key); // most recently used last
    }
    this.matchCache.set(key, m);
    const list = this.eventList;
    const base = this.eventBase;
    if (m.scanned < base) {
      m.matches = m.matches.filter((i) => i >= base);
      m.scanned = base;
    }
    for (let i = m.scanned - base; i < list.length; i++) if (m.test(list[i])) m.matches.push(i + base);
    m.scanned = base + list.length;
    const matches = m.matches;
    const rows: EventSummary[] = [];
    for (let k = matches.length - 1 - q.offset; k >= 0 && rows.length < q.limit; k--) rows.push(list[matches[k] - base]);
    return { rows, total: matches.length, offset: q.offset };
  }
}

function eventPredicate(q: EventQuery): (e: EventSummary) => boolean {
  const f = parseEventFilter(q.filter);
  const severities = new Set(f.severity ? [f.severity] : severitiesFrom(q.minSeverity));
  const rule = f.rule?.toLowerCase();
  const endpoint = f.endpoint;
  const text = f.text.toLowerCase();
  return (e) => {
    if (!severities.has(e.severity)) return false;
    if (q.endpoint !== undefined && e.endpoint !== q.endpoint) return false;
    if (rule && !e.rule.toLowerCase().includes(rule)) return false;
    if (endpoint && e.endpoint !== endpoint) return false;
    if (text && !e.rule.toLowerCase().includes(text) && !(e.endpoint ?? '').toLowerCase().includes(text) && !e.message.toLowerCase().includes(text)) return false;
    return true;
  };
}

/** Operations a client sends as requests (so their source address is the endpoint's). */
function isClientOperation(op: string): boolean {
  return op === 'register' || op === 'update' || op === 'deregister' || op === 'send' || op === 'bootstrap-request';
}

function endpointComparator(key: EndpointQuery['sort'], descending: boolean): (a: EndpointSummary, b: EndpointSummary) => number {
  const dir = descending ? -1 : 1;
  const value = (e: EndpointSummary): number | string => {
    switch (key) {
      case 'name': return e.name;
      case 'state': return e.state;
      case 'address': return e.address;
      case 'lifetime': return e.expiresAt ?? -Infinity;
      case 'lastSeen': return e.lastSeen;
      case 'events': return e.events;
      case 'objects': return e.objects;
    }
  };
  return (a, b) => {
    const va = value(a);
    const vb = value(b);
    const d = va < vb ? -1 : va > vb ? 1 : a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
    return d * dir;
  };
}

/** The message as the NDJSON record describes it, sharing the decoded arrays (no copy of the payload is kept). */
function recordOf(m: AnalyzedMessage): MessageRecord {
  const e = m.coap;
  const msg = e.msg;
  const request = e.match.request;
  const l = m.lwm2m;
  return {
    frame: e.frame,
    ts: e.ts,
    src: e.src,
    dst: e.dst,
    transport: e.transport,
    coap: {
      type: msg.type,
      code: CODE_STRINGS[msg.code],
      mid: msg.mid,
      token: msg.token,
      options: msg.options,
      uriPath: msg.uriPath ?? (request !== null && request.code >> 5 === 0 && request.code !== 0 ? request.uriPath : null),
      uriQuery: msg.uriQuery,
      contentFormat: msg.contentFormat,
      accept: msg.accept,
      observe: msg.observe,
      block1: msg.block1,
      block2: msg.block2,
      locationPath: msg.locationPath,
      payloadLength: msg.payload.length,
      role: e.match.role,
      retransmission: e.match.retransmissionOf !== null,
      retransmissionOf: e.match.retransmissionOf,
      responseTo: request === null ? null : request.frame,
      responseTime: e.match.responseTime,
    },
    lwm2m: l === null ? null : {
      operation: l.operation, endpoint: l.endpoint, path: l.path, records: l.records, objects: l.objects,
      links: l.links as NonNullable<MessageRecord['lwm2m']>['links'],
      payloadError: l.payloadError,
    },
    error: msg.error,
  };
}

/** An event's outcome as the dashboard shows it (the store's shape). */
function storedOutcome(o: DetectionEvent['outcome']): StoredOutcome | null {
  if (o === null) return null;
  if (o === 'pending') return { outcome: 'pending', code: null, frame: null, ts: null, request: null };
  return { outcome: o.outcome, code: o.code, frame: o.frame, ts: o.ts, request: o.request };
}
