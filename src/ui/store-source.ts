import type { TableOverflow } from '../util/bounded-map.js';
import type Database from 'better-sqlite3';
import { BoundedMap } from '../util/bounded-map.js';
import { sanitizeForTerminal } from '../util/terminal-text.js';
import { displayLocation, eventFromRow, openForReading, storeCall, StoreError } from '../store/index.js';
import {
  parseEndpointFilter, parseEventFilter, REGISTRATION_OPERATIONS, severitiesFrom, type DashboardSource, type EndpointDetail,
  type EndpointQuery, type EndpointSortKey, type EndpointSummary, type EventQuery, type EventSummary, flowMatches, type FlowMessage, METHOD_NAMES,
  type FlowPage, type FramePlace, type MessageRecord, type ObservationSummary, type Overview, type Page, type RegistrationEvent, type ResourceValue,
} from './source.js';

type Row = Record<string, unknown>;

/** Samples per resource the detail view asks for (a sparkline is at most a screen wide). */
const SERIES_LIMIT = 120;
/** Registration messages shown in an endpoint's history. */
const HISTORY_LIMIT = 200;
/** Buckets of the overview's messages-per-second sparkline. */
const RATE_BUCKETS = 120;
/** Candidate messages (records holding the text) a search of the flow parses at most. */
const SEARCH_LIMIT = 100_000;
const SEARCH_BATCH = 1000;

/** The schema version that brought the message index and capture_files. */
const MESSAGE_INDEX_VERSION = 8;

/** ORDER BY of each sort key but events (see countEventsByEndpoint); the schema has an index on (run_id, expression, endpoint) for each. */
const SORT_SQL: Record<Exclude<EndpointSortKey, 'events'>, string> = {
  name: 'e.endpoint',
  state: 'e.state',
  address: 'e.address',
  // Deregistered endpoints have no expiry: they sort below every time, as NULL would.
  lifetime: 'IFNULL(e.expires_at, -1)',
  lastSeen: 'e.last_seen',
  objects: 'json_array_length(e.objects)',
};
/**
 * Sorts whose key is a plain column: a page next to the last one is read from the last one's
 * boundary row (a row-value range of the index), whatever its depth. Expression keys cannot
 * bound an index range that way and page from the nearer end of the list instead.
 */
const KEYSET_SORTS = new Set<EndpointSortKey>(['name', 'state', 'address', 'lastSeen']);

/** Matches of a text filter few enough to be sorted after they are found, rather than found along the sort index. */
const FEW_MATCHES = 10_000;

/** An ordered list query, paged by the store source (see StoreSource.window). */
interface OrderedQuery {
  /** What identifies the list (filters and sort, not the offset): pages of one list share boundaries. */
  list: string;
  /** SELECT ... FROM ... WHERE ..., without ORDER BY; `args` are its parameters. */
  select: string;
  args: Array<string | number>;
  /** Two sort expressions, the second unique (the tie-breaker), both selected as k0 and k1. */
  keys: [string, string];
  descending: boolean;
  /** The keys are plain indexed columns: row-value ranges from a boundary row use the index. */
  keyset: boolean;
}

/** The first row of the page of a list shown last, and its place: where a page near it starts. */
interface Boundary {
  offset: number;
  first: [unknown, unknown];
}
/** Lists whose last page is remembered, and pages kept (views, sorts, filters lately looked at). */
const BOUNDARY_LISTS = 16;

/** LIKE pattern for a substring, with the wildcards in it escaped (ESCAPE '\'). */
function contains(text: string): string {
  return '%' + text.replace(/[\\%_]/g, (c) => '\\' + c) + '%';
}

/**
 * The dashboard over a database written by analyze --db, read-only. One run is reviewed (the
 * latest unless told); every page of a list is one range of an index read for LIMIT rows (see
 * window()), counts are cached per version of the data, so a redraw reads a screen of rows
 * whether the run has a thousand endpoints or a million. Databases written before schema 5 lack
 * the sort indexes (a reader cannot add them): the next analyze or monitor --db run adds them.
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
  private readonly statements = new Map<string, Database.Statement>();
  /** The last page read of each list lately shown (a view's list keeps its place while another is looked at). */
  private readonly boundaries = new BoundedMap<string, Boundary>('dashboard page boundaries', BOUNDARY_LISTS);
  /** temp.event_counts holds the counts of this version of the data. */
  private eventCountsBuilt = false;
  /** The pages last read, each a screen of rows. */
  private readonly pages = new BoundedMap<string, Row[]>('dashboard pages', BOUNDARY_LISTS);

  constructor(private readonly db: Database.Database, private readonly dbPath: string, run?: number, opts: { follow?: boolean; sensor?: string } = {}) {
    this.follow = opts.follow === true;
    // --sensor: the runs of one sensor of a store many write into (its latest, unless told which).
    const bySensor = opts.sensor === undefined ? '' : ' AND sensor = ?';
    const sensorArgs = opts.sensor === undefined ? [] : [opts.sensor];
    const row = (run === undefined
      ? this.query(`SELECT * FROM runs WHERE 1 = 1${bySensor} ORDER BY id DESC LIMIT 1`).get(...sensorArgs)
      : this.query(`SELECT * FROM runs WHERE id = ?${bySensor}`).get(run, ...sensorArgs)) as Row | undefined;
    const where = displayLocation(dbPath);
    const ofSensor = opts.sensor === undefined ? '' : ` of sensor ${sanitizeForTerminal(opts.sensor)}`;
    if (!row) throw new StoreError(run === undefined ? `database ${where} holds no run${ofSensor}` : `database ${where} has no run ${run}${ofSensor}`);
    this.run = row;
    this.runId = row.id as number;
    this.hasSamples = this.query("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'resource_samples'").get() !== undefined;
    this.storedMessages = this.query('SELECT 1 FROM messages WHERE run_id = ? LIMIT 1').get(this.runId) !== undefined;
  }

  /**
   * A query whose failure (a damaged file, a lock that outlasts the busy timeout) becomes one
   * StoreError line. Statements are kept by text: their number is fixed by the code.
   */
  private query(sql: string): { get(...args: unknown[]): unknown; all(...args: unknown[]): unknown[] } {
    let statement = this.statements.get(sql);
    if (statement === undefined) {
      statement = storeCall(this.dbPath, () => this.db.prepare(sql));
      this.statements.set(sql, statement);
    }
    const s = statement;
    return {
      get: (...args) => storeCall(this.dbPath, () => s.get(...args)),
      all: (...args) => storeCall(this.dbPath, () => s.all(...args)),
    };
  }

  static open(path: string, run?: number, opts: { follow?: boolean; sensor?: string } = {}): StoreSource {
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
    const run = this.query('SELECT * FROM runs WHERE id = ?').get(this.runId) as Row;
    const newest = this.query('SELECT MAX(id) AS id FROM events').get() as Row;
    const state = `${run.messages}/${run.capture_end}/${run.finished_at}/${run.packets_received ?? ''}/${newest.id}`;
    if (state !== this.lastState) {
      if (this.lastState !== '') this.changes++;
      this.lastState = state;
      this.run = run;
      this.cachedOverview = null;
      this.totals.clear();
      this.boundaries.clear();
      this.pages.clear();
      this.eventCountsBuilt = false;
      this.storedMessages ||= this.query('SELECT 1 FROM messages WHERE run_id = ? LIMIT 1').get(this.runId) !== undefined;
    }
    return this.changes;
  }

  now(): number {
    const end = this.run.capture_end as number | null;
    if (end !== null) return end;
    const r = this.query('SELECT MAX(last_seen) AS t FROM endpoints WHERE run_id = ?').get(this.runId) as Row;
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
    for (const r of this.query('SELECT state, COUNT(*) AS n FROM endpoints WHERE run_id = ? GROUP BY state').all(id) as Row[]) {
      byState[r.state as string] = r.n as number;
    }
    const bySeverity: Record<string, number> = {};
    let events = 0;
    // Two grouped counts, each one range of an index (an OR of both would not be).
    const severityCounts = [
      ...this.query('SELECT severity, COUNT(*) AS n FROM events WHERE run_id = ? GROUP BY severity').all(id),
      ...this.query('SELECT severity, COUNT(*) AS n FROM events WHERE run_id IS NULL GROUP BY severity').all(),
    ] as Row[];
    for (const r of severityCounts) {
      bySeverity[r.severity as string] = (bySeverity[r.severity as string] ?? 0) + (r.n as number);
      events += r.n as number;
    }
    let series: number[] = [];
    let topTalkers: Overview['topTalkers'] = null;
    if (this.storedMessages && start !== null && duration !== null) {
      const bucket = Math.max(1, Math.ceil(duration / RATE_BUCKETS));
      series = new Array<number>(Math.floor(duration / bucket) + 1).fill(0);
      const rows = this.query('SELECT CAST((ts - ?) / ? AS INTEGER) AS b, COUNT(*) AS n FROM messages WHERE run_id = ? GROUP BY b').all(start, bucket, id) as Row[];
      for (const r of rows) {
        const b = r.b as number;
        if (b >= 0 && b < series.length) series[b] = (r.n as number) / bucket;
      }
      topTalkers = (this.query(`SELECT m.src AS address, COUNT(*) AS n,
          (SELECT endpoint FROM endpoints e WHERE e.run_id = ? AND e.address = m.src LIMIT 1) AS endpoint
        FROM messages m WHERE m.run_id = ? GROUP BY m.src ORDER BY n DESC LIMIT 8`).all(id, id) as Row[])
        .map((r) => ({ address: r.address as string, endpoint: r.endpoint as string | null, messages: r.n as number }));
    }
    const drops: Array<[string, number]> = [];
    for (const [label, column] of [['kernel', 'dropped_kernel'], ['interface', 'dropped_interface'], ['coapwatch', 'dropped_pipeline']] as const) {
      const v = run[column] as number | null | undefined;
      if (v !== null && v !== undefined) drops.push([label, v]);
    }
    const notes: Array<[string, string]> = [
      ['database', displayLocation(this.dbPath)],
      ['run', `${id}${run.finished_at === null ? ' (unfinished)' : ''}`],
    ];
    if (typeof run.sensor === 'string') notes.push(['sensor', run.sensor]);
    if (!this.storedMessages) notes.push(['messages', 'not stored (analyze --store-messages keeps them)']);
    const iface = (run.interface as string | null | undefined) ?? null;
    this.cachedOverview = {
      source: iface ?? (run.source as string),
      captureFile: iface === null ? (run.source as string) : null,
      live: this.isLive(),
      // A run being written has its packet count at the end; a live capture's counters come with every commit.
      packets: packets ?? (run.packets_received as number | null | undefined) ?? null,
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
      n = (this.query(sql).get(...args) as Row).n as number;
      if (this.totals.size > 1000) this.totals.clear();
      this.totals.set(key, n);
    }
    return n;
  }

  /**
   * Events per endpoint of the run, in a table of this connection's own (temp: the file is only
   * read), indexed by count: built once per version of the data, the first time the endpoints
   * are sorted by events (one grouped pass over an index of the events), then paged like a column.
   */
  private countEventsByEndpoint(): void {
    if (this.eventCountsBuilt) return;
    storeCall(this.dbPath, () => {
      this.db.exec('DROP TABLE IF EXISTS temp.event_counts');
      this.db.prepare(`CREATE TEMP TABLE event_counts AS SELECT endpoint, SUM(n) AS n FROM (
          SELECT endpoint, COUNT(*) AS n FROM events WHERE run_id = ? AND endpoint IS NOT NULL GROUP BY endpoint
          UNION ALL SELECT endpoint, COUNT(*) AS n FROM events WHERE run_id IS NULL AND endpoint IS NOT NULL GROUP BY endpoint) AS counts
        GROUP BY endpoint`).run(this.runId);
      this.db.exec(`CREATE UNIQUE INDEX temp.event_counts_by_endpoint ON event_counts(endpoint);
        CREATE INDEX temp.event_counts_by_count ON event_counts(n, endpoint);`);
    });
    this.eventCountsBuilt = true;
  }

  /**
   * Rows offset..offset+limit of an ordered list of `total` rows without reading the rows before
   * them: next to the last page, from its boundary row (keyset); otherwise from the nearer end of
   * the list, where OFFSET walks the index at most half the list. Every query is one index range
   * and LIMIT rows, so paging costs the same on the millionth row as on the first.
   */
  private window(o: OrderedQuery, total: number, offset: number, limit: number): Row[] {
    if (limit <= 0 || offset >= total) return [];
    // A redraw without a move (a key that changed nothing else, a live tick) asks for the same page again.
    const pageKey = `${o.list}\u0000${offset}\u0000${limit}`;
    const cached = this.pages.get(pageKey);
    if (cached !== undefined) return cached;
    const [k0, k1] = o.keys;
    const run = (descending: boolean, after: { key: [unknown, unknown]; inclusive: boolean } | null, lim: number, off: number): Row[] => {
      const dir = descending ? 'DESC' : 'ASC';
      const range = after === null ? '' : ` AND (${k0}, ${k1}) ${descending ? '<' : '>'}${after.inclusive ? '=' : ''} (?, ?)`;
      const sql = `${o.select}${range} ORDER BY ${k0} ${dir}, ${k1} ${dir} LIMIT ? OFFSET ?`;
      return this.query(sql).all(...o.args, ...(after === null ? [] : after.key), lim, off) as Row[];
    };
    const b = o.keyset ? this.boundaries.get(o.list) : undefined;
    const fromEnd = total - offset - limit;
    // Rows OFFSET has to walk past, from the nearer end of the list.
    const endCost = Math.min(offset, Math.max(0, fromEnd));
    let rows: Row[];
    if (b !== undefined && offset >= b.offset && offset - b.offset < endCost) {
      // At or after the last page: forward from its first row.
      rows = run(o.descending, { key: b.first, inclusive: true }, limit, offset - b.offset);
    } else if (b !== undefined && offset < b.offset && b.offset - offset < endCost) {
      // Before the last page: backwards from its first row (then forward from it when the page overlaps it).
      const gap = b.offset - offset;
      if (gap >= limit) rows = run(!o.descending, { key: b.first, inclusive: false }, limit, gap - limit).reverse();
      else {
        rows = run(!o.descending, { key: b.first, inclusive: false }, gap, 0).reverse();
        rows = rows.concat(run(o.descending, { key: b.first, inclusive: true }, limit - rows.length, 0));
      }
    } else if (fromEnd > offset || fromEnd < 0) {
      rows = run(o.descending, null, limit, offset);
    } else {
      rows = run(!o.descending, null, limit, fromEnd).reverse();
    }
    if (rows.length > 0) this.boundaries.set(o.list, { offset, first: [rows[0].k0, rows[0].k1] });
    else this.boundaries.delete(o.list);
    this.pages.set(pageKey, rows);
    return rows;
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
    let rows: Row[];
    if (q.sort === 'events') {
      // Two lists one after the other: endpoints with events, in the order of the counts' index,
      // and those without, in the order of the name's (descending: the counted ones first).
      this.countEventsByEndpoint();
      const list = `endpoints\u0000events\u0000${q.descending}\u0000${q.filter}`;
      const counted: OrderedQuery = {
        list: list + '\u0000counted', args,
        select: `SELECT e.*, json_array_length(e.objects) AS object_count, c.n AS events, c.n AS k0, c.endpoint AS k1
          FROM temp.event_counts c CROSS JOIN endpoints e ON e.endpoint = c.endpoint ${where}`,
        keys: ['c.n', 'c.endpoint'], descending: q.descending, keyset: true,
      };
      const none: OrderedQuery = {
        list: list + '\u0000none', args,
        select: `SELECT e.*, json_array_length(e.objects) AS object_count, 0 AS events, e.run_id AS k0, e.endpoint AS k1 FROM endpoints e
          ${where} AND NOT EXISTS (SELECT 1 FROM temp.event_counts c WHERE c.endpoint = e.endpoint)`,
        keys: ['e.run_id', 'e.endpoint'], descending: q.descending, keyset: true,
      };
      const countedTotal = this.count(`SELECT COUNT(*) AS n FROM temp.event_counts c CROSS JOIN endpoints e ON e.endpoint = c.endpoint ${where}`, args);
      const [first, second] = q.descending ? [counted, none] : [none, counted];
      const firstTotal = q.descending ? countedTotal : total - countedTotal;
      rows = this.window(first, firstTotal, q.offset, Math.min(q.limit, firstTotal - q.offset));
      if (rows.length < q.limit) rows = rows.concat(this.window(second, total - firstTotal, Math.max(0, q.offset - firstTotal), q.limit - rows.length));
    } else {
      // Event counts are looked up for the page's rows only.
      // Few rows match a text filter: walking the sort index for them would read most of the
      // table. Their row ids come from one pass over an index holding name and address, and only
      // they are sorted (the + keeps the planner off the sort index).
      const few = f.text !== undefined && f.text !== '' && total <= FEW_MATCHES;
      const [fromWhere, fromArgs, sortKey, nameKey] = few
        ? [`WHERE e.rowid IN (SELECT e.rowid FROM endpoints e ${where})`, args, `+${SORT_SQL[q.sort]}`, '+e.endpoint']
        : [where, args, SORT_SQL[q.sort], 'e.endpoint'];
      rows = this.window({
        list: `endpoints\u0000${q.sort}\u0000${q.descending}\u0000${q.filter}\u0000${few}`,
        select: `SELECT e.*, json_array_length(e.objects) AS object_count, ${eventCount} AS events,
          ${sortKey} AS k0, ${nameKey} AS k1 FROM endpoints e ${fromWhere}`,
        args: fromArgs, keys: [sortKey, nameKey], descending: q.descending, keyset: !few && KEYSET_SORTS.has(q.sort),
      }, total, q.offset, q.limit);
    }
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
    const r = this.query('SELECT * FROM endpoints WHERE run_id = ? AND endpoint = ?').get(this.runId, name) as Row | undefined;
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
    const rows = this.query(`SELECT frame, ts, src, operation, record FROM messages
      WHERE run_id = ? AND endpoint = ? AND operation IN ('register', 'update', 'deregister') ORDER BY frame DESC LIMIT ?`)
      .all(this.runId, name, HISTORY_LIMIT * 2) as Row[];
    return registrationHistory(rows.reverse().map((r) => parseRecord(r.record as string)).filter((m): m is MessageRecord => m !== null));
  }

  resources(name: string): ResourceValue[] {
    const rows = this.query('SELECT * FROM resources WHERE run_id = ? AND endpoint = ?').all(this.runId, name) as Row[];
    const series = new Map<string, Array<[number, number]>>();
    if (this.hasSamples) {
      const samples = this.query(`SELECT path, ts, value FROM (
          SELECT path, ts, value, ROW_NUMBER() OVER (PARTITION BY path ORDER BY ts DESC) AS rn
          FROM resource_samples WHERE run_id = ? AND endpoint = ?) AS ranked WHERE rn <= ? ORDER BY path, ts`)
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
    const rows = this.query('SELECT * FROM observations WHERE run_id = ? AND endpoint = ? ORDER BY id').all(this.runId, name) as Row[];
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

  isLive(): boolean {
    return this.follow && this.run.finished_at === null;
  }

  /** WHERE of a flow's messages (an endpoint's, or the run's with null) and its arguments: one range of an index by frame. */
  private flowWhere(endpoint: string | null): [string, Array<string | number>] {
    return endpoint === null ? ['run_id = ?', [this.runId]] : ['run_id = ? AND endpoint = ?', [this.runId, endpoint]];
  }

  flow(endpoint: string | null, offset: number, limit: number): FlowPage {
    const runMessages = this.run.messages as number;
    if (!this.storedMessages) {
      return {
        rows: [], total: 0, offset: 0, seen: null, runMessages,
        unavailable: 'this run was stored without its messages: analyze FILE --db PATH --store-messages keeps them for the message flow',
      };
    }
    const [where, args] = this.flowWhere(endpoint);
    const total = this.count(`SELECT COUNT(*) AS n FROM messages WHERE ${where}`, args);
    const rows = this.query(`SELECT record FROM messages WHERE ${where} ORDER BY frame DESC LIMIT ? OFFSET ?`).all(...args, limit, offset) as Row[];
    const messages: FlowMessage[] = [];
    for (const r of rows.reverse()) {
      const rec = parseRecord(r.record as string);
      if (rec) messages.push(flowMessageOf(rec));
    }
    return { rows: messages, total, offset, unavailable: null, seen: total, runMessages };
  }

  frameOffset(endpoint: string | null, frame: number): FramePlace | null {
    if (!this.storedMessages) return null;
    const [where, args] = this.flowWhere(endpoint);
    const at = (this.query(`SELECT frame FROM messages WHERE ${where} AND frame <= ? ORDER BY frame DESC LIMIT 1`).get(...args, frame) as Row | undefined)
      ?? (this.query(`SELECT frame FROM messages WHERE ${where} ORDER BY frame ASC LIMIT 1`).get(...args) as Row | undefined);
    if (at === undefined) return null;
    const f = at.frame as number;
    const newer = (this.query(`SELECT COUNT(*) AS n FROM messages WHERE ${where} AND frame > ?`).get(...args, f) as Row).n as number;
    return { offset: newer, exact: f === frame };
  }

  searchFlow(endpoint: string | null, text: string, from: number, older: boolean): number | null {
    if (!this.storedMessages) return null;
    const [where, args] = this.flowWhere(endpoint);
    const start = this.query(`SELECT frame FROM messages WHERE ${where} ORDER BY frame DESC LIMIT 1 OFFSET ?`).get(...args, Math.max(0, from)) as Row | undefined;
    if (start === undefined) return null;
    // SQLite narrows the rows to those whose record holds the text (or the code of a method
    // matching it) without parsing them; flowMatches then decides on the fields it names.
    const t = text.trim().toLowerCase();
    const frame = /^#(\d+)$/.exec(t);
    const codes = Object.keys(METHOD_NAMES).filter((c) => METHOD_NAMES[c].toLowerCase().includes(t));
    const likes = frame ? [] : [contains(t), ...codes.map((c) => contains(`"code":"${c}"`))];
    const narrow = frame ? ' AND frame = ?' : ` AND (${likes.map(() => "record LIKE ? ESCAPE '\\'").join(' OR ')})`;
    const narrowArgs = frame ? [Number(frame[1])] : likes;
    const sql = older
      ? `SELECT frame, record FROM messages WHERE ${where}${narrow} AND frame < ? ORDER BY frame DESC LIMIT ?`
      : `SELECT frame, record FROM messages WHERE ${where}${narrow} AND frame > ? ORDER BY frame ASC LIMIT ?`;
    // A batch at a time, from the last frame read: the search stops at the first match, whose
    // offset is counted in the index (the rows skipped by the LIKE were not read).
    let after = start.frame as number;
    for (let read = 0; read < SEARCH_LIMIT;) {
      const rows = this.query(sql).all(...args, ...narrowArgs, after, SEARCH_BATCH) as Row[];
      for (const r of rows) {
        read++;
        const rec = parseRecord(r.record as string);
        if (rec === null || !flowMatches(flowMessageOf(rec), text)) continue;
        const between = (this.query(`SELECT COUNT(*) AS n FROM messages WHERE ${where} AND frame > ? AND frame < ?`)
          .get(...args, ...(older ? [r.frame, start.frame] : [start.frame, r.frame])) as Row).n as number;
        return older ? from + between + 1 : from - between - 1;
      }
      if (rows.length < SEARCH_BATCH) break;
      after = rows[rows.length - 1].frame as number;
    }
    return null;
  }

  event(id: number): EventSummary | null {
    const r = this.query('SELECT * FROM events WHERE id = ? AND (run_id = ? OR run_id IS NULL)').get(id, this.runId) as Row | undefined;
    return r === undefined ? null : eventFromRow(r);
  }

  events(q: EventQuery): Page<EventSummary> {
    const f = parseEventFilter(q.filter);
    // Rows of the run or of none. The + keeps the planner off the run index for the list (which
    // the time index orders); the count adds two index ranges instead (see countEvents).
    let where = 'WHERE (+run_id = ? OR +run_id IS NULL)';
    const args: Array<string | number> = [this.runId];
    const severities = f.severity ? [f.severity] : severitiesFrom(q.minSeverity);
    where += ` AND severity IN (${severities.map(() => '?').join(', ')})`;
    args.push(...severities);
    const onlySeverity = q.endpoint === undefined && !f.rule && !f.endpoint && !f.text;
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
    const inList = severities.map(() => '?').join(', ');
    const total = onlySeverity
      ? this.count(`SELECT COUNT(*) AS n FROM events WHERE run_id = ? AND severity IN (${inList})`, [this.runId, ...severities]) +
        this.count(`SELECT COUNT(*) AS n FROM events WHERE run_id IS NULL AND severity IN (${inList})`, severities)
      : this.count(`SELECT COUNT(*) AS n FROM events ${where}`, args);
    const rows = this.window({
      list: `events\u0000${q.minSeverity}\u0000${q.filter}\u0000${q.endpoint ?? ''}`,
      select: `SELECT *, ts AS k0, id AS k1 FROM events ${where}`,
      args, keys: ['ts', 'id'], descending: true, keyset: true,
    }, total, q.offset, q.limit);
    return {
      total,
      offset: q.offset,
      rows: rows.map((r) => ({ ...eventFromRow(r), capture: this.captureOf(r.run_id as number | null, r.frame as number | null) })),
    };
  }

  /**
   * The capture file an event's frame number counts in, for the detail's tshark hint: the first
   * file of the run (analyze's capture, monitor's first --write file), when the frame lies in it;
   * null when unknown (a database from before the message index, a later rotation).
   */
  private captureOf(run: number | null, frame: number | null): string | null {
    if (run === null || frame === null || (this.db.pragma('user_version', { simple: true }) as number) < MESSAGE_INDEX_VERSION) return null;
    const r = this.query(`SELECT c.path FROM event_frames f JOIN capture_files c ON c.run_id = f.run_id AND c.file = f.file
      WHERE f.run_id = ? AND f.frame = ? AND f.file = 0`).get(run, frame) as Row | undefined;
    return r === undefined ? null : (r.path as string);
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
