import Database from 'better-sqlite3';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import type { AnalyzedMessage } from '../../../src/pipeline/index.js';
import type { DetectionEvent } from '../../../src/rules/types.js';
import { StateTracker } from '../../../src/state/index.js';
import { LiveSource } from '../../../src/ui/live-source.js';
import { plainReport } from '../../../src/ui/plain.js';
import { StoreSource } from '../../../src/ui/store-source.js';
import { messagesAround } from '../../../src/ui/source.js';
import { analyzeFile } from '../../support/analyze.js';
import { writeRun } from '../../support/write-run.js';

const FLEET = join(import.meta.dirname, '../../../captures/generated/fleet-hour.pcap');
const tmp = () => mkdtempSync(join(tmpdir(), 'coapwatch-ui-'));

function event(over: Partial<DetectionEvent> = {}): DetectionEvent {
  return {
    ts: 1709275000, rule: 'security-object-write', severity: 'high', endpoint: 'meter-00003', src: '10.0.0.1:5683', dst: '10.1.0.4:56830',
    frame: 123, message: 'write to /0/0 outside bootstrap', details: { path: '/0/0' }, count: 1, lastTs: 1709275000,
    id: 1, outcome: null, ...over,
  };
}

/** Inserts events the way the rules engine's writer does (columns of schema 1 and 2). */
function insertEvents(path: string, events: DetectionEvent[], run = 1): void {
  const db = new Database(path);
  const ins = db.prepare('INSERT INTO events (run_id, ts, rule, severity, endpoint, src, dst, frame, message, details, count, last_ts) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)');
  db.transaction(() => {
    for (const e of events) ins.run(run, e.ts, e.rule, e.severity, e.endpoint, e.src, e.dst, e.frame, e.message, JSON.stringify(e.details), e.count, e.lastTs);
  })();
  db.close();
}

let messages: AnalyzedMessage[];
beforeAll(async () => {
  messages = await analyzeFile(FLEET);
});

function storeFleet(storeMessages: boolean): string {
  const path = join(tmp(), 'fleet.db');
  writeRun(path, messages, { source: 'fleet-hour.pcap', storeMessages });
  return path;
}

describe('StoreSource on a generated database', () => {
  let path: string;
  beforeAll(() => {
    path = storeFleet(true);
    insertEvents(path, [event(), event({ severity: 'low', rule: 'odd-lifetime', endpoint: 'meter-00001', ts: 1709275100, message: 'lifetime 5 s' })]);
  });

  it('overview: counts, states, severities, rate series and top talkers', () => {
    const s = StoreSource.open(path);
    const o = s.overview();
    expect(o.messages).toBe(662);
    expect(o.packets).toBe(662);
    expect(o.endpointsByState).toEqual({ registered: 10 });
    expect(o.eventsBySeverity).toEqual({ high: 1, low: 1 });
    expect(o.messageSeries.length).toBeGreaterThan(50);
    expect(o.topTalkers![0].address).toBe('10.0.0.1:5683');
    expect(o.topTalkers!.some((t) => t.endpoint === 'meter-00005')).toBe(true);
    s.close();
  });

  it('endpoints: sorted, filtered, paged, with event counts', () => {
    const s = StoreSource.open(path);
    const byName = s.endpoints({ sort: 'name', descending: false, filter: '', offset: 0, limit: 3 });
    expect(byName.total).toBe(10);
    expect(byName.rows.map((r) => r.name)).toEqual(['meter-00000', 'meter-00001', 'meter-00002']);
    expect(s.endpoints({ sort: 'name', descending: true, filter: '', offset: 9, limit: 3 }).rows.map((r) => r.name)).toEqual(['meter-00000']);
    expect(s.endpoints({ sort: 'events', descending: true, filter: '', offset: 0, limit: 2 }).rows.map((r) => [r.name, r.events])).toEqual([['meter-00003', 1], ['meter-00001', 1]]);
    expect(s.endpoints({ sort: 'name', descending: false, filter: '10.1.0.1', offset: 0, limit: 10 }).rows.map((r) => r.name)).toEqual(['meter-00000', 'meter-00009']);
    expect(s.endpoints({ sort: 'name', descending: false, filter: 'state:expired', offset: 0, limit: 10 }).total).toBe(0);
    expect(s.endpoints({ sort: 'name', descending: false, filter: '%', offset: 0, limit: 10 }).total).toBe(0);
    s.close();
  });

  it('endpoint detail: facts, history, resources with series, observations', () => {
    const s = StoreSource.open(path);
    const d = s.endpoint('meter-00000')!;
    expect(d).toMatchObject({ state: 'registered', address: '10.1.0.1:56830', location: '/rd/1', lifetime: 300, lwm2mVersion: '1.0' });
    expect(d.history![0]).toMatchObject({ operation: 'register', code: '2.01', frame: 1 });
    expect(d.history!.slice(1).every((h) => h.operation === 'update' && h.code === '2.04')).toBe(true);
    const res = s.resources('meter-00000');
    const power = res.find((r) => r.path === '/3305/0/5800')!;
    expect(power.name).toBe('Instantaneous active power');
    expect(power.series.length).toBeGreaterThan(10);
    expect(power.series[power.series.length - 1][1]).toBe(power.value);
    expect(res.map((r) => r.path).indexOf('/3/0/13')).toBeGreaterThan(res.map((r) => r.path).indexOf('/3/0/3'));
    const obs = s.observations('meter-00000');
    expect(obs[0]).toMatchObject({ paths: ['/3305'], state: 'active', attributes: { pmin: 10, pmax: 300 } });
    expect(s.endpoint('nobody')).toBeNull();
    s.close();
  });

  it('flow: the newest messages of one endpoint, oldest first, paged from the newest', () => {
    const s = StoreSource.open(path);
    const page = s.flow('meter-00000', 0, 5);
    expect(page.unavailable).toBeNull();
    expect(page.rows).toHaveLength(5);
    expect(page.total).toBeGreaterThan(30);
    expect(page.rows[0].frame).toBeLessThan(page.rows[4].frame);
    const first = s.flow('meter-00000', page.total - 2, 5);
    expect(first.rows.map((m) => m.operation)).toEqual(['register', 'register']);
    // From the message index: the Register and its answer, linked both ways.
    expect(first.rows[0]).toMatchObject({ frame: 1, role: 'request', responseIn: 2, endpoint: 'meter-00000' });
    expect(first.rows[1]).toMatchObject({ frame: 2, role: 'response', responseTo: 1, code: '2.01' });
    s.close();
  });

  it('events: newest first, by severity, rule, endpoint and text', () => {
    const s = StoreSource.open(path);
    const all = s.events({ minSeverity: 'info', filter: '', offset: 0, limit: 10 });
    expect(all.rows.map((e) => e.rule)).toEqual(['odd-lifetime', 'security-object-write']);
    expect(all.rows[1]).toMatchObject({ frame: 123, details: { path: '/0/0' }, count: 1 });
    expect(s.events({ minSeverity: 'medium', filter: '', offset: 0, limit: 10 }).total).toBe(1);
    expect(s.events({ minSeverity: 'info', filter: 'sev:low', offset: 0, limit: 10 }).total).toBe(1);
    expect(s.events({ minSeverity: 'info', filter: 'rule:security', offset: 0, limit: 10 }).total).toBe(1);
    expect(s.events({ minSeverity: 'info', filter: 'ep:meter-00001', offset: 0, limit: 10 }).total).toBe(1);
    expect(s.events({ minSeverity: 'info', filter: 'ep:00001', offset: 0, limit: 10 }).total).toBe(0);
    expect(s.events({ minSeverity: 'info', filter: 'bootstrap', offset: 0, limit: 10 }).total).toBe(1);
    expect(s.events({ minSeverity: 'info', filter: '', endpoint: 'meter-00003', offset: 0, limit: 10 }).total).toBe(1);
    s.close();
  });

  it('plain report: the overview, endpoints and events as text', () => {
    const s = StoreSource.open(path);
    const text = plainReport(s, 100);
    expect(text).toContain('Top talkers');
    expect(text).toContain('meter-00003');
    expect(text).toContain('security-object-write');
    expect(text).not.toContain('\x1b');
    s.close();
  });

  it('a run stored without --store-messages has its flows from the message index', () => {
    const p = storeFleet(false);
    const s = StoreSource.open(p);
    const flow = s.flow('meter-00000', 0, 10);
    expect(flow.unavailable).toBeNull();
    expect(flow.total).toBe(messages.filter((m) => m.lwm2m?.endpoint === 'meter-00000').length);
    expect(s.endpoint('meter-00000')!.history).toBeNull();
    expect(s.overview().topTalkers).toBeNull();
    expect(s.resources('meter-00000').find((r) => r.path === '/3305/0/5800')!.series.length).toBeGreaterThan(10);
    s.close();
  });

  it('--follow: sees what a writer commits later, looking at most once a second', () => {
    const p = storeFleet(false);
    const s = StoreSource.open(p, undefined, { follow: true });
    const v0 = s.version();
    const q = { minSeverity: 'info', filter: '', offset: 0, limit: 10 };
    const before = s.events(q).total;
    insertEvents(p, [event({ rule: 'later' })]);
    expect(s.version()).toBe(v0); // within the second: not looked at again
    const now = Date.now();
    const clock = vi.spyOn(Date, 'now').mockReturnValue(now + 2000);
    try {
      expect(s.version()).toBeGreaterThan(v0);
      expect(s.events(q).total).toBe(before + 1);
      expect(s.overview().events).toBe(before + 1);
    } finally {
      clock.mockRestore();
    }
    s.close();
  });

  it('a missing database or run is a one-line StoreError', () => {
    expect(() => StoreSource.open(join(tmp(), 'none.db'))).toThrow(/no such file/);
    expect(() => StoreSource.open(path, 7)).toThrow(/has no run 7/);
  });
});

describe('StoreSource with 10,000 endpoints and 100,000 events', () => {
  it('pages deep into 10,000 endpoints and 100,000 events, sorted and filtered', () => {
    const path = storeFleet(false);
    const db = new Database(path);
    const ep = db.prepare(`INSERT INTO endpoints (run_id, endpoint, address, state, lifetime, binding, lwm2m_version, queue_mode, objects, object_versions, expires_at, last_seen)
      VALUES (1, ?, ?, ?, 300, 'U', '1.1', 0, '["/3/0"]', '{}', ?, ?)`);
    const ev = db.prepare('INSERT INTO events (run_id, ts, rule, severity, endpoint, frame, message, details) VALUES (1, ?, ?, ?, ?, ?, ?, ?)');
    const sev = ['info', 'low', 'medium', 'high', 'critical'];
    db.transaction(() => {
      for (let i = 0; i < 10_000; i++) ep.run(`bulk-${String(i).padStart(5, '0')}`, `10.2.${i >> 8}.${i & 255}:5683`, i % 7 ? 'registered' : 'expired', 1709278000 + i, 1709270000 + i);
      for (let i = 0; i < 100_000; i++) ev.run(1709270000 + i / 10, `rule-${i % 13}`, sev[i % 5], `bulk-${String(i % 10_000).padStart(5, '0')}`, i, `event ${i}`, '{}');
    })();
    db.close();
    const s = StoreSource.open(path);
    expect(s.endpoints({ sort: 'lastSeen', descending: true, filter: '', offset: 5000, limit: 25 }).rows).toHaveLength(25);
    expect(s.endpoints({ sort: 'name', descending: false, filter: 'bulk-09', offset: 0, limit: 25 }).rows[0].name).toBe('bulk-09000');
    const page = s.events({ minSeverity: 'high', filter: '', offset: 30_000, limit: 25 });
    expect(page.total).toBe(40_000);
    expect(page.rows).toHaveLength(25);
    expect(s.events({ minSeverity: 'info', filter: '', offset: 0, limit: 25 }).total).toBe(100_000);
    expect(s.events({ minSeverity: 'info', filter: 'ep:bulk-00042', offset: 0, limit: 25 }).total).toBe(10);
    expect(s.endpoints({ sort: 'events', descending: true, filter: '', offset: 0, limit: 1 }).rows[0].events).toBe(10);
    s.close();
  });
});

describe('LiveSource over a running analysis', () => {
  function live(opts: { flowCapacity?: number } = {}): LiveSource {
    const src = new LiveSource({ source: 'fleet-hour.pcap', ...opts });
    const tracker = new StateTracker({}, { content: true });
    let packets = 0;
    src.attach({ tracker, pipeline: { decoder: { stats: { get packets() { return packets; }, malformed: 0 } }, coap: { stats: { malformed: 0, dtlsRecords: 0 } } } });
    for (const m of messages) {
      packets++;
      tracker.handle(m);
      src.onMessage(m);
    }
    return src;
  }

  it('endpoints, detail, resources with series, observations, history', () => {
    const src = live();
    expect(src.endpoints({ sort: 'name', descending: false, filter: '', offset: 0, limit: 20 }).rows.map((r) => r.name)).toHaveLength(10);
    expect(src.endpoints({ sort: 'name', descending: false, filter: '10.1.0.1', offset: 0, limit: 20 }).total).toBe(2);
    const d = src.endpoint('meter-00000')!;
    expect(d.history![0]).toMatchObject({ operation: 'register', code: '2.01' });
    const power = src.resources('meter-00000').find((r) => r.path === '/3305/0/5800')!;
    expect(power.series.length).toBeGreaterThan(10);
    expect(src.observations('meter-00000')[0]).toMatchObject({ paths: ['/3305'], state: 'active', attributes: { pmin: 10, pmax: 300 } });
  });

  it('overview: messages, rates over capture time, top talkers, live until finished', () => {
    const src = live();
    const o = src.overview();
    expect(o.messages).toBe(662);
    expect(o.packets).toBe(662);
    expect(o.live).toBe(true);
    expect(o.messageSeries.length).toBe(120);
    expect(o.topTalkers![0].address).toBe('10.0.0.1:5683');
    expect(o.topTalkers!.slice(1).every((t) => /^meter-\d{5}$/.test(t.endpoint ?? ''))).toBe(true);
    expect(o.topTalkers).toHaveLength(8);
    const counts = o.topTalkers!.map((t) => t.messages);
    expect(counts).toEqual([...counts].sort((a, b) => b - a));
    const stored = StoreSource.open(storeFleet(true)).overview().topTalkers!.map((t) => t.messages);
    expect(counts).toEqual(stored);
    expect(o.endpointsByState).toEqual({ registered: 10 });
    src.finish();
    expect(src.overview().live).toBe(false);
  });

  it('flow: a bounded ring of recent messages per endpoint, with full records', () => {
    const src = live();
    const page = src.flow('meter-00000', 0, 5);
    expect(page.rows).toHaveLength(5);
    expect(page.rows[4].record()!.coap.code).toMatch(/^\d\.\d\d$/);
    const small = live({ flowCapacity: 50 });
    let kept = 0;
    for (let i = 0; i < 10; i++) kept += small.flow(`meter-0000${i}`, 0, 1000).total;
    expect(kept).toBeLessThanOrEqual(50);
    expect(small.flow('meter-00003', 0, 1000).rows.at(-1)!.frame).toBeGreaterThan(600);
  });

  it('events: added by the rules engine, newest first, filtered, suppression counts follow', () => {
    const src = live();
    const v = src.version();
    const first = event();
    src.addEvent(first);
    src.addEvent(event({ severity: 'critical', rule: 'factory-reset', endpoint: 'meter-00001', ts: 1709276000 }));
    expect(src.version()).toBeGreaterThan(v);
    const page = src.events({ minSeverity: 'info', filter: '', offset: 0, limit: 10 });
    expect(page.rows.map((e) => e.rule)).toEqual(['factory-reset', 'security-object-write']);
    expect(src.events({ minSeverity: 'critical', filter: '', offset: 0, limit: 10 }).total).toBe(1);
    expect(src.events({ minSeverity: 'info', filter: 'ep:meter-00003', offset: 0, limit: 10 }).total).toBe(1);
    first.count = 5;
    src.addEvent(first);
    expect(src.events({ minSeverity: 'info', filter: 'rule:security', offset: 0, limit: 10 }).rows[0].count).toBe(5);
    expect(src.overview().events).toBe(2);
    expect(src.endpoints({ sort: 'events', descending: true, filter: '', offset: 0, limit: 1 }).rows[0].events).toBe(1);
  });

  it('events: the answer to the request shows, and a severity it changes moves the counts and the severity filter', () => {
    const src = live();
    const e = event({ outcome: 'pending' });
    src.addEvent(e);
    expect(src.events({ minSeverity: 'info', filter: '', offset: 0, limit: 10 }).rows[0].outcome).toEqual({ outcome: 'pending', code: null, frame: null, ts: null, request: null });
    expect(src.events({ minSeverity: 'high', filter: '', offset: 0, limit: 10 }).total).toBe(1);
    // The engine sets the answer and severity on its object, then the session tells the source.
    e.outcome = { outcome: 'refused', code: '4.01', frame: 124, ts: 1709275000.1, request: 123 };
    e.severity = 'low';
    src.eventSeverityChanged(e, 'high');
    const row = src.events({ minSeverity: 'info', filter: '', offset: 0, limit: 10 }).rows[0];
    expect(row).toMatchObject({ severity: 'low', outcome: { outcome: 'refused', code: '4.01', frame: 124, request: 123 } });
    expect(src.events({ minSeverity: 'high', filter: '', offset: 0, limit: 10 }).total).toBe(0);
    expect(src.overview().eventsBySeverity).toMatchObject({ high: 0, low: 1 });
  });

  it('100,000 events: a filtered page counts the event added since the last one', () => {
    const src = new LiveSource({ source: 'x' });
    const sev = ['info', 'low', 'medium', 'high', 'critical'] as const;
    for (let i = 0; i < 100_000; i++) src.addEvent(event({ ts: i, severity: sev[i % 5], endpoint: `ep-${i % 10_000}`, rule: `rule-${i % 13}` }));
    const first = src.events({ minSeverity: 'high', filter: 'rule:rule-1', offset: 100, limit: 25 });
    expect(first.rows).toHaveLength(25);
    // The next redraw scans only what was added since.
    src.addEvent(event({ ts: 1e6, severity: 'critical', rule: 'rule-1' }));
    const page = src.events({ minSeverity: 'high', filter: 'rule:rule-1', offset: 0, limit: 25 });
    expect(page.total).toBe(first.total + 1);
    expect(page.rows[0].ts).toBe(1e6);
  });
});

describe('from an event to its messages: the flows, frames and searches of both sources', () => {
  const MALFORMED = join(import.meta.dirname, '../../../captures/generated/attack-malformed-coap.pcap');
  let malformed: AnalyzedMessage[];
  beforeAll(async () => {
    malformed = await analyzeFile(MALFORMED);
  });

  function liveOf(list: AnalyzedMessage[], opts: { flowPerEndpoint?: number } = {}): LiveSource {
    const src = new LiveSource({ source: 'x.pcap', captureFile: 'x.pcap', ...opts });
    const tracker = new StateTracker({}, { content: true });
    src.attach({ tracker, pipeline: { decoder: { stats: { packets: list.length, malformed: 0 } }, coap: { stats: { malformed: 0, dtlsRecords: 0 } } } });
    for (const m of list) {
      tracker.handle(m);
      src.onMessage(m);
    }
    return src;
  }

  function storeOf(list: AnalyzedMessage[]): StoreSource {
    const path = join(tmp(), 'run.db');
    writeRun(path, list, { storeMessages: true });
    return StoreSource.open(path);
  }

  it('the live flow says how many of the endpoint\'s messages it keeps and how many the run has (not "45 messages" for a run of 122)', () => {
    const src = liveOf(messages, { flowPerEndpoint: 20 });
    const page = src.flow('meter-00005', 0, 10);
    const ofEndpoint = messages.filter((m) => m.lwm2m?.endpoint === 'meter-00005').length;
    expect(ofEndpoint).toBeGreaterThan(20);
    expect(page).toMatchObject({ total: 20, seen: ofEndpoint, runMessages: 662 });
  });

  it('live and stored: every message of the run is a flow, those of no endpoint too', () => {
    const withoutEndpoint = malformed.filter((m) => m.lwm2m?.endpoint == null).map((m) => m.coap.frame);
    expect(withoutEndpoint.length).toBeGreaterThan(0);
    for (const src of [liveOf(malformed), storeOf(malformed)]) {
      const all = src.flow(null, 0, 1000);
      expect(all.total).toBe(malformed.length);
      expect(all.rows.map((m) => m.frame)).toEqual(malformed.map((m) => m.coap.frame));
      for (const f of withoutEndpoint) expect(all.rows.some((m) => m.frame === f)).toBe(true);
    }
  });

  it('live and stored: where a frame lies in a flow, and the messages around it', () => {
    const frames = messages.filter((m) => m.lwm2m?.endpoint === 'meter-00002').map((m) => m.coap.frame);
    // A message of the endpoint followed by another endpoint's.
    const i = frames.findIndex((f, k) => k >= 10 && frames[k + 1] > f + 1);
    const target = frames[i];
    for (const src of [liveOf(messages), storeOf(messages)]) {
      expect(src.frameOffset('meter-00002', target)).toEqual({ offset: frames.length - 1 - i, exact: true });
      // Not the endpoint's: the nearest of its messages before it.
      expect(src.frameOffset('meter-00002', target + 1)).toEqual({ offset: frames.length - 1 - i, exact: false });
      expect(src.frameOffset(null, 5)).toEqual({ offset: messages.length - 5, exact: true });
      expect(src.frameOffset('nobody', 5)).toBeNull();
      const around = messagesAround(src, target, 'meter-00002', 7)!;
      expect(around.page.rows.map((m) => m.frame)).toEqual(frames.slice(i - 3, i + 4));
      expect(around.page.rows[around.at!].frame).toBe(target);
    }
  });

  it('live and stored: a search finds the next older or newer match from an offset', () => {
    const updates = messages.filter((m) => m.lwm2m?.endpoint === 'meter-00001').map((m) => m.coap.frame);
    const n = updates.length;
    for (const src of [liveOf(messages), storeOf(messages)]) {
      const offsetOf = (o: number | null) => (o === null ? null : src.flow('meter-00001', o, 1).rows[0].frame);
      // The Register and its answer (the operation is register) are the first two of the flow.
      expect(offsetOf(src.searchFlow('meter-00001', 'REGISTER', n - 3, true))).toBe(updates[1]);
      expect(offsetOf(src.searchFlow('meter-00001', 'POST', n - 2, true))).toBe(updates[0]);
      expect(src.searchFlow('meter-00001', 'register', n - 1, true)).toBeNull();
      expect(offsetOf(src.searchFlow('meter-00001', `#${updates[5]}`, n - 1, false))).toBe(updates[5]);
      const update = src.searchFlow('meter-00001', 'update', 0, true)!;
      expect(src.flow('meter-00001', update, 1).rows[0].operation).toBe('update');
      expect(src.searchFlow('meter-00001', 'no-such-thing', 0, true)).toBeNull();
    }
  });

  it('an event by its id; a stored run without --store-messages finds frames in its message index', () => {
    const src = liveOf(messages);
    src.addEvent(event());
    src.addEvent(event({ rule: 'second' }));
    expect(src.event(2)?.rule).toBe('second');
    expect(src.event(3)).toBeNull();
    const path = storeFleet(false);
    insertEvents(path, [event({ rule: 'stored' })]);
    const stored = StoreSource.open(path);
    expect(stored.event(1)?.rule).toBe('stored');
    expect(stored.event(99)).toBeNull();
    // Without --store-messages the message index still places frames.
    expect(stored.frameOffset(null, 5)).toEqual({ offset: messages.length - 5, exact: true });
    expect(stored.searchFlow(null, 'no-such-thing', 0, true)).toBeNull();
    stored.close();
  });

  it('a run being written shows its packets so far and is live until it is finished (not "Packets -", not live forever)', () => {
    const path = join(tmp(), 'live.db');
    const writer = writeRun(path, messages.slice(0, 100), { source: 'eth0', packets: null });
    writer.liveCounters({ interface: 'eth0', packetsReceived: 120, droppedKernel: 0, droppedInterface: 0, droppedPipeline: 0 });
    writer.flush();
    const followed = StoreSource.open(path, undefined, { follow: true });
    followed.version();
    expect(followed.overview()).toMatchObject({ packets: 120, live: true, captureFile: null });
    expect(followed.isLive()).toBe(true);
    // The same run reviewed afterwards, not followed, is not live.
    expect(StoreSource.open(path).isLive()).toBe(false);
    writer.finish(130);
    const clock = vi.spyOn(Date, 'now').mockReturnValue(Date.now() + 2000);
    try {
      followed.version();
      expect(followed.isLive()).toBe(false);
      expect(followed.overview()).toMatchObject({ packets: 130, live: false });
    } finally {
      clock.mockRestore();
    }
    followed.close();
  });
});

describe('StoreSource over a store several sensors write into', () => {
  /** One run of the fleet per sensor given, in order, each with its sensor name. */
  function storeSensors(sensors: string[]): string {
    const path = join(tmp(), 'shared.db');
    for (const sensor of sensors) writeRun(path, messages.slice(0, sensor === 'west' ? 10 : 20), { source: `${sensor}.pcap`, sensor });
    return path;
  }

  it('lists every sensor once, with its newest run, source, messages, events and last capture time', () => {
    const path = storeSensors(['west', 'east', 'west']);
    // The run's own count of its events, as its writer records it.
    const db = new Database(path);
    db.prepare('UPDATE runs SET events = 2 WHERE id = 3').run();
    db.close();
    const src = StoreSource.open(path, undefined, { sensor: 'east' });
    expect(src.overview().sensors).toEqual({
      total: 2,
      rows: [
        { sensor: 'east', run: 2, source: 'east.pcap', live: false, messages: 20, events: 0, captureEnd: messages[19].coap.ts },
        { sensor: 'west', run: 3, source: 'west.pcap', live: false, messages: 10, events: 2, captureEnd: messages[9].coap.ts },
      ],
    });
    const text = plainReport(src, 120);
    expect(text).toMatch(/^Sensors \(2, each its newest run\)$/m);
    expect(text).toMatch(/^ {2}east\s+2 {2}east\.pcap\s+20\s+0 {2}\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/m);
    expect(text).toMatch(/^ {2}west\s+3 {2}west\.pcap\s+10\s+/m);
  });

  it('shows no sensor list for a store of one sensor', () => {
    const path = storeSensors(['west', 'west']);
    expect(StoreSource.open(path).overview().sensors).toBeUndefined();
    expect(plainReport(StoreSource.open(path), 120)).not.toMatch(/^Sensors/m);
  });
});
