import type { TableOverflow } from '../util/bounded-map.js';
import type Database from 'better-sqlite3';
import { eventFromRow, openForReading, StoreError } from '../store/index.js';
import {
  parseEndpointFilter, parseEventFilter, REGISTRATION_OPERATIONS, severitiesFrom, type DashboardSource, type EndpointDetail,
  type EndpointQuery, type EndpointSortKey, type EndpointSummary, type EventQuery, type EventSummary, type FlowMessage, type FlowPage,
  type MessageRecord, type ObservationSummary, type Overview, type Page, type RegistrationEvent, type ResourceValue,
} from './source.js';

type Row = Record<string, unknown>;

/** Samples per resource the detail view asks for (a sparkline is at most a screen wide). */
const SERIES_LIMIT = 120;
/** Registration messages shown in an endpoint's history. */
const HISTORY_LIMIT = 200;
/** Buckets of the overview's messages-per-second sparkline. */
const RATE_BUCKETS = 120;

const SORT_SQL: Record<EndpointSortKey, string> = {
  name: 'e.endpoint',
  state: 'e.state',
  address: 'e.address',
  lifetime: 'e.expires_at',
  lastSeen: 'e.last_seen',
  events: 'events',
  objects: 'json_array_length(e.objects)',
};

/** LIKE pattern for a substring, with the wildcards in it escaped (ESCAPE '\'). */
function contains(text: string): string {
  return '%' + text.replace(/[\\%_]/g, (c) => '\\' + c) + '%';
}

/**
 * The dashboard over a database written by analyze --db, read-only. One run is reviewed (the
 * latest unless told); every list is a LIMIT/OFFSET query on an indexed table, so the cost of
 * a redraw does not grow with the number of endpoints or events.
 */
export class StoreSource implements DashboardSource {
  readonly runId: number;
  private run: Row;
  private readonly hasSamples: boolean;
  private storedMessages: boolean;
  /** --follow: the run is still being written (monitor, a running analyze); looked at once a second. */
  private readonly follow: boolean;
  private changes = 0;
  private lastLook = 0;
  private lastState = '';
  private cachedOverview: Overview | null = null;
  /** Row counts by query: a stored run does not change, and a redraw asks for the count first. */
  private readonly totals = new Map<string, number>();

  constructor(private readonly db: Database.Database, private readonly dbPath: string, run?: number, opts: { follow?: boolean } = {}) {
    this.follow = opts.follow === true;
    const row = (run === undefined
      ? db.prepare('SELECT * FROM runs ORDER BY id DESC LIMIT 1').get()
      : db.prepare('SELECT * FROM runs WHERE id = ?').get(run)) as Row | undefined;
    if (!row) throw new StoreError(run === undefined ? `database ${dbPath} holds no run` : `database ${dbPath} has no run ${run}`);
    this.run = row;
    this.runId = row.id as number;
    this.hasSamples = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'resource_samples'").get() !== undefined;
    this.storedMessages = db.prepare('SELECT 1 FROM messages WHERE run_id = ? LIMIT 1').get(this.runId) !== undefined;
  }

  static open(path: string, run?: number, opts: { follow?: boolean } = {}): StoreSource {
    return new StoreSource(openForReading(path), path, run, opts);
  }

  close(): void {
    this.db.close();
  }

  /**
   * A stored run does not change while it is reviewed; with `follow`, the run's counters and
   * the newest event are looked at (at most once a second) and every cache is dropped when the
   * writer committed more.
   */
  version(): number {
    if (!this.follow) return 0;
    const now = Date.now();
    if (now - this.lastLook < 1000) return this.changes;
    this.lastLook = now;
    const run = this.db.prepare('SELECT * FROM runs WHERE id = ?').get(this.runId) as Row;
    const newest = this.db.prepare('SELECT MAX(id) AS id FROM events').get() as Row;
    const state = `${run.messages}/${run.capture_end}/${run.finished_at}/${run.packets_received ?? ''}/${newest.id}`;
    if (state !== this.lastState) {
      if (this.lastState !== '') this.changes++;
      this.lastState = state;
      this.run = run;
      this.cachedOverview = null;
      this.totals.clear();
      this.storedMessages ||= this.db.prepare('SELECT 1 FROM messages WHERE run_id = ? LIMIT 1').get(this.runId) !== undefined;
    }
    return this.changes;
  }

  now(): number {
    const end = this.run.capture_end as number | null;
    if (end !== null) return end;
    const r = this.db.prepare('SELECT MAX(last_seen) AS t FROM endpoints WHERE run_id = ?').get(this.runId) as Row;
    return (r.t as number | null) ?? (this.run.started_at as number);
  }

  overview(): Overview {
    if (this.cachedOverview) return this.cachedOverview;
    const run = this.run;
    const id = this.runId;
    const start = run.capture_start as number | null;
    const end = run.capture_end as number | null;
    const messages = run.messages as number;
    const packets = run.packets as number | null;
    const duration = start !== null && end !== null && end > start ? end - start : null;
    const byState: Record<string, number> = {};
    for (const r of this.db.prepare('SELECT state, COUNT(*) AS n FROM endpoints WHERE run_id = ? GROUP BY state').all(id) as Row[]) {
      byState[r.state as string] = r.n as number;
    }
    const bySeverity: Record<string, number> = {};
    let events = 0;
    for (const r of this.db.prepare('SELECT severity, COUNT(*) AS n FROM events WHERE run_id = ? OR run_id IS NULL GROUP BY severity').all(id) as Row[]) {
      bySeverity[r.severity as string] = r.n as number;
      events += r.n as number;
    }
    let series: number[] = [];
    let topTalkers: Overview['topTalkers'] = null;
    if (this.storedMessages && start !== null && duration !== null) {
      const bucket = Math.max(1, Math.ceil(duration / RATE_BUCKETS));
      series = new Array<number>(Math.floor(duration / bucket) + 1).fill(0);
      const rows = this.db.prepare('SELECT CAST((ts - ?) / ? AS INTEGER) AS b, COUNT(*) AS n FROM messages WHERE run_id = ? GROUP BY b').all(start, bucket, id) as Row[];
      for (const r of rows) {
        const b = r.b as number;
        if (b >= 0 && b < series.length) series[b] = (r.n as number) / bucket;
      }
      topTalkers = (this.db.prepare(`SELECT m.src AS address, COUNT(*) AS n,
          (SELECT endpoint FROM endpoints e WHERE e.run_id = m.run_id AND e.address = m.src LIMIT 1) AS endpoint
        FROM messages m WHERE m.run_id = ? GROUP BY m.src ORDER BY n DESC LIMIT 8`).all(id) as Row[])
        .map((r) => ({ address: r.address as string, endpoint: r.endpoint as string | null, messages: r.n as number }));
    }
    const drops: Array<[string, number]> = [];
    for (const [label, column] of [['kernel', 'dropped_kernel'], ['interface', 'dropped_interface'], ['coapwatch', 'dropped_pipeline']] as const) {
      const v = run[column] as number | null | undefined;
      if (v !== null && v !== undefined) drops.push([label, v]);
    }
    const notes: Array<[string, string]> = [
      ['database', this.dbPath],
      ['run', `${id}${run.finished_at === null ? ' (unfinished)' : ''}`],
    ];
    if (!this.storedMessages) notes.push(['messages', 'not stored (analyze --store-messages keeps them)']);
    this.cachedOverview = {
      source: (run.interface as string | null | undefined) ?? (run.source as string),
      live: false,
      packets,
      messages,
      messageRate: duration ? messages / duration : null,
      packetRate: duration && packets !== null ? packets / duration : null,
      messageSeries: series,
      captureStart: start,
      captureEnd: end,
      endpointsByState: byState,
      eventsBySeverity: bySeverity,
      events,
      topTalkers,
      drops,
      notes,
      overflow: overflowOf(run.overflow),
    };
    return this.cachedOverview;
  }

  private count(sql: string, args: Array<string | number>): number {
    const key = sql + '\u0000' + args.join('\u0000');
    let n = this.totals.get(key);
    if (n === undefined) {
      n = (this.db.prepare(sql).get(...args) as Row).n as number;
      if (this.totals.size > 1000) this.totals.clear();
      this.totals.set(key, n);
    }
    return n;
  }

  endpoints(q: EndpointQuery): Page<EndpointSummary> {
    const f = parseEndpointFilter(q.filter);
    let where = 'WHERE e.run_id = ?';
    const args: Array<string | number> = [this.runId];
    if (f.state) {
      where += ' AND e.state = ?';
      args.push(f.state);
    }
    if (f.text) {
      where += " AND (e.endpoint LIKE ? ESCAPE '\\' OR e.address LIKE ? ESCAPE '\\')";
      args.push(contains(f.text), contains(f.text));
    }
    const total = this.count(`SELECT COUNT(*) AS n FROM endpoints e ${where}`, args);
    const dir = q.descending ? 'DESC' : 'ASC';
    const eventCount = '(SELECT COUNT(*) FROM events v WHERE v.endpoint = e.endpoint AND (v.run_id = e.run_id OR v.run_id IS NULL))';
    // Event counts are looked up for the page only, unless they are the sort key (then once, grouped).
    const sql = q.sort === 'events'
      ? `SELECT e.*, json_array_length(e.objects) AS object_count, COALESCE(c.n, 0) AS events FROM endpoints e
          LEFT JOIN (SELECT endpoint, COUNT(*) AS n FROM events WHERE run_id = ? OR run_id IS NULL GROUP BY endpoint) c ON c.endpoint = e.endpoint
          ${where} ORDER BY events ${dir}, e.endpoint ${dir} LIMIT ? OFFSET ?`
      : `SELECT p.*, json_array_length(p.objects) AS object_count, ${eventCount.replaceAll('e.', 'p.')} AS events FROM (
          SELECT e.* FROM endpoints e ${where} ORDER BY ${SORT_SQL[q.sort]} ${dir}, e.endpoint ${dir} LIMIT ? OFFSET ?) p
          ORDER BY ${SORT_SQL[q.sort].replaceAll('e.', 'p.')} ${dir}, p.endpoint ${dir}`;
    const rows = (q.sort === 'events'
      ? this.db.prepare(sql).all(this.runId, ...args, q.limit, q.offset)
      : this.db.prepare(sql).all(...args, q.limit, q.offset)) as Row[];
    return {
      total,
      offset: q.offset,
      rows: rows.map((r) => ({
        name: r.endpoint as string,
        address: r.address as string,
        state: r.state as string,
        lifetime: r.lifetime as number,
        expiresAt: r.expires_at as number | null,
        lwm2mVersion: r.lwm2m_version as string,
        binding: r.binding as string,
        objects: r.object_count as number,
        lastSeen: r.last_seen as number,
        events: r.events as number,
      })),
    };
  }

  endpoint(name: string): EndpointDetail | null {
    const r = this.db.prepare('SELECT * FROM endpoints WHERE run_id = ? AND endpoint = ?').get(this.runId, name) as Row | undefined;
    if (!r) return null;
    return {
      name,
      state: r.state as string,
      address: r.address as string,
      previousAddresses: r.previous_addresses ? (JSON.parse(r.previous_addresses as string) as string[]) : [],
      location: r.location as string | null,
      lifetime: r.lifetime as number,
      binding: r.binding as string,
      lwm2mVersion: r.lwm2m_version as string,
      sms: r.sms as string | null,
      queueMode: r.queue_mode === 1,
      objects: JSON.parse(r.objects as string) as string[],
      registeredAt: r.registered_at as number | null,
      updatedAt: r.updated_at as number | null,
      expiresAt: r.expires_at as number | null,
      lastSeen: r.last_seen as number,
      history: this.storedMessages ? this.history(name) : null,
    };
  }

  private history(name: string): RegistrationEvent[] {
    const rows = this.db.prepare(`SELECT frame, ts, src, operation, record FROM messages
      WHERE run_id = ? AND endpoint = ? AND operation IN ('register', 'update', 'deregister') ORDER BY frame DESC LIMIT ?`)
      .all(this.runId, name, HISTORY_LIMIT * 2) as Row[];
    return registrationHistory(rows.reverse().map((r) => parseRecord(r.record as string)).filter((m): m is MessageRecord => m !== null));
  }

  resources(name: string): ResourceValue[] {
    const rows = this.db.prepare('SELECT * FROM resources WHERE run_id = ? AND endpoint = ?').all(this.runId, name) as Row[];
    const series = new Map<string, Array<[number, number]>>();
    if (this.hasSamples) {
      const samples = this.db.prepare(`SELECT path, ts, value FROM (
          SELECT path, ts, value, ROW_NUMBER() OVER (PARTITION BY path ORDER BY ts DESC) AS rn
          FROM resource_samples WHERE run_id = ? AND endpoint = ?) WHERE rn <= ? ORDER BY path, ts`)
        .all(this.runId, name, SERIES_LIMIT) as Row[];
      for (const s of samples) {
        let list = series.get(s.path as string);
        if (!list) series.set(s.path as string, (list = []));
        list.push([s.ts as number, s.value as number]);
      }
    }
    return rows.map((r) => ({
      path: r.path as string,
      name: r.name as string | null,
      type: r.type as string,
      value: r.type === 'boolean' ? r.value === 1 : (r.value as number | string | null),
      updatedAt: r.updated_at as number,
      series: series.get(r.path as string) ?? [],
    })).sort((a, b) => comparePaths(a.path, b.path));
  }

  observations(name: string): ObservationSummary[] {
    const rows = this.db.prepare('SELECT * FROM observations WHERE run_id = ? AND endpoint = ? ORDER BY id').all(this.runId, name) as Row[];
    return rows.map((r) => ({
      id: r.id as number,
      token: r.token as string,
      paths: JSON.parse(r.paths as string) as string[],
      attributes: JSON.parse(r.attributes as string) as Record<string, number>,
      state: r.state as string,
      endedBy: r.ended_by as string | null,
      notifications: r.notifications as number,
      lastSeq: r.last_seq as number | null,
      reordered: r.reordered as number,
      lateNotifications: r.late_notifications as number,
      startedAt: r.started_at as number,
      lastNotifiedAt: r.last_notified_at as number | null,
    }));
  }

  flow(name: string, offset: number, limit: number): FlowPage {
    if (!this.storedMessages) {
      return {
        rows: [], total: 0, offset: 0,
        unavailable: 'this run was stored without its messages: analyze FILE --db PATH --store-messages keeps them for the message flow',
      };
    }
    const total = this.count('SELECT COUNT(*) AS n FROM messages WHERE run_id = ? AND endpoint = ?', [this.runId, name]);
    const rows = this.db.prepare('SELECT record FROM messages WHERE run_id = ? AND endpoint = ? ORDER BY frame DESC LIMIT ? OFFSET ?')
      .all(this.runId, name, limit, offset) as Row[];
    const messages: FlowMessage[] = [];
    for (const r of rows.reverse()) {
      const rec = parseRecord(r.record as string);
      if (rec) messages.push(flowMessageOf(rec));
    }
    return { rows: messages, total, offset, unavailable: null };
  }

  events(q: EventQuery): Page<EventSummary> {
    const f = parseEventFilter(q.filter);
    let where = 'WHERE (run_id = ? OR run_id IS NULL)';
    const args: Array<string | number> = [this.runId];
    const severities = f.severity ? [f.severity] : severitiesFrom(q.minSeverity);
    where += ` AND severity IN (${severities.map(() => '?').join(', ')})`;
    args.push(...severities);
    if (q.endpoint !== undefined) {
      where += ' AND endpoint = ?';
      args.push(q.endpoint);
    }
    if (f.rule) {
      where += " AND rule LIKE ? ESCAPE '\\'";
      args.push(contains(f.rule));
    }
    if (f.endpoint) {
      // The endpoint's name in full: the index answers it, whatever the number of events.
      where += ' AND endpoint = ?';
      args.push(f.endpoint);
    }
    if (f.text) {
      where += " AND (rule LIKE ? ESCAPE '\\' OR endpoint LIKE ? ESCAPE '\\' OR message LIKE ? ESCAPE '\\')";
      args.push(contains(f.text), contains(f.text), contains(f.text));
    }
    const total = this.count(`SELECT COUNT(*) AS n FROM events ${where}`, args);
    const rows = this.db.prepare(`SELECT * FROM events ${where} ORDER BY ts DESC, id DESC LIMIT ? OFFSET ?`).all(...args, q.limit, q.offset) as Row[];
    return {
      total,
      offset: q.offset,
      rows: rows.map(eventFromRow),
    };
  }
}

function parseRecord(text: string): MessageRecord | null {
  try {
    return JSON.parse(text) as MessageRecord;
  } catch {
    return null;
  }
}

/** A flow row from a parsed NDJSON message record. */
export function flowMessageOf(rec: MessageRecord): FlowMessage {
  return {
    frame: rec.frame,
    ts: rec.ts,
    src: rec.src,
    dst: rec.dst,
    type: rec.coap.type,
    code: rec.coap.code,
    operation: rec.lwm2m?.operation ?? null,
    path: rec.lwm2m?.path ?? rec.coap.uriPath,
    contentFormat: rec.coap.contentFormat,
    payloadLength: rec.coap.payloadLength,
    role: rec.coap.role,
    record: () => rec,
  };
}

/**
 * Registration history from the registration interface's messages in frame order: one entry per
 * request (retransmissions skipped), with the code of its first answer.
 */
export function registrationHistory(messages: MessageRecord[]): RegistrationEvent[] {
  const out: RegistrationEvent[] = [];
  const byFrame = new Map<number, RegistrationEvent>();
  for (const m of messages) {
    const op = m.lwm2m?.operation;
    if (!op || !REGISTRATION_OPERATIONS.has(op)) continue;
    if (m.coap.role === 'request' && !m.coap.retransmission) {
      const q = m.coap.uriQuery.filter((p) => /^(lt|b|lwm2m|Q|sms)(=|$)/.test(p)).join(' ');
      const objects = m.lwm2m?.objects ? `${m.lwm2m.objects.length} objects` : '';
      const e: RegistrationEvent = { ts: m.ts, frame: m.frame, operation: op, code: null, address: m.src, detail: [q, objects].filter(Boolean).join(', ') };
      out.push(e);
      byFrame.set(m.frame, e);
    } else if (m.coap.responseTo !== null) {
      const e = byFrame.get(m.coap.responseTo);
      if (e && e.code === null) e.code = m.coap.code;
    }
  }
  return out.slice(-HISTORY_LIMIT);
}

/** Object-model paths in numeric order (/3/0/13 after /3/0/2). */
export function comparePaths(a: string, b: string): number {
  const pa = a.split('/');
  const pb = b.split('/');
  for (let i = 1; i < Math.max(pa.length, pb.length); i++) {
    if (pa[i] === undefined) return -1;
    if (pb[i] === undefined) return 1;
    const d = Number(pa[i]) - Number(pb[i]);
    if (d !== 0 && !Number.isNaN(d)) return d;
    if (pa[i] !== pb[i]) return pa[i] < pb[i] ? -1 : 1;
  }
  return 0;
}

/**
 * runs.overflow as written by the run: null for runs from before it was recorded, or a value
 * that is not the list the writer makes (the database may come from anywhere).
 */
function overflowOf(text: unknown): TableOverflow[] | null {
  if (typeof text !== 'string') return null;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  if (!Array.isArray(value)) return null;
  const out: TableOverflow[] = [];
  for (const v of value.slice(0, 100)) {
    const { table, bound, evicted } = (v ?? {}) as Record<string, unknown>;
    if (typeof table === 'string' && typeof bound === 'number' && typeof evicted === 'number') out.push({ table: table.slice(0, 64), bound, evicted });
  }
  return out;
}
