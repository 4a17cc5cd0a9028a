import type { TableOverflow } from '../util/bounded-map.js';
import type Database from 'better-sqlite3';
import { BoundedMap } from '../util/bounded-map.js';
import { resolve } from 'node:path';
import { EvidenceError, overwritesSource, RunSource, writeFramesPcap } from '../evidence/index.js';
import {
  displayLocation, eventFromRow, indexedMessageOf, MESSAGE_SELECT, messagesOfFrame, openForReading, storeCall, StoreError, type FramePlace as EvidencePlace,
  type IndexedMessage,
} from '../store/index.js';
import { sanitizeForTerminal } from '../util/terminal-text.js';
import {
  parseEndpointFilter, parseEventFilter, REGISTRATION_OPERATIONS, severitiesFrom, type DashboardSource, type EndpointDetail,
  type EndpointQuery, type EndpointSortKey, type EndpointSummary, type EventQuery, type EventSummary, flowMatches, type FlowMessage, METHOD_NAMES,
  type FlowPage, type FramePlace, type MessageDetail, type MessageQuery, type MessageRecord, type ObservationSummary, type Overview, type Page, type SensorRuns,
  parseMessageFilter, type RegistrationEvent, type ResourceValue, type SaveOffer, type SaveSelection,
} from './source.js';

type Row = Record<string, unknown>;

/** Sensors the overview lists (each its newest run); more are counted, not listed. */
export const SENSORS_LISTED = 50;
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
/** The id of an interned string (index_strings), for a column of the message index. */
const STRING_ID = '(SELECT id FROM index_strings WHERE text = ?)';
/** MESSAGE_SELECT with the paging keys StoreSource.window() reads (k0, k1). */
const KEYED_SELECT = MESSAGE_SELECT.replace('SELECT ', 'SELECT m.frame AS k0, m.n AS k1, ');
/**
 * The same along the endpoint's index, for an endpoint's messages: with the whole row selected
 * the planner would walk the primary key in frame order and test every message of the run.
 */
const BY_ENDPOINT = (select: string) => select.replace('FROM message_index m', 'FROM message_index m INDEXED BY message_index_by_endpoint');
/** Frames `s` saves at once: each is read from the capture and held until the file is written. */
const MAX_SAVED = 100_000;
/** Message details kept (a redraw draws the same one again; each is a read and a decoding). */
const DETAILS_KEPT = 8;

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

export interface StoreSourceOptions {
  /** The run is still being written (monitor, a running analyze): looked at once a second. */
  follow?: boolean;
  /** Where the run's capture file is now, when it moved (ui --source). */
  source?: string;
  /** The runs of this sensor only (its latest, unless a run is given). */
  sensor?: string;
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
  /** Runs record their sensor (a SQLite file from before that column has none). */
  private readonly hasSensor: boolean;
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

  /** The run has a message index (a database from before it has none: no flows, no Messages). */
  private readonly hasIndex: boolean;
  /** ui --source: where the run's capture is now. */
  private readonly captureSource: string | undefined;
  private runSource: RunSource | null = null;
  private readonly details = new BoundedMap<string, MessageDetail>('dashboard message details', DETAILS_KEPT);

  constructor(private readonly db: Database.Database, private readonly dbPath: string, run?: number, opts: StoreSourceOptions = {}) {
    this.follow = opts.follow === true;
    this.captureSource = opts.source;
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
    this.hasSensor = 'sensor' in row;
    this.hasSamples = this.query("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'resource_samples'").get() !== undefined;
    this.storedMessages = this.query('SELECT 1 FROM messages WHERE run_id = ? LIMIT 1').get(this.runId) !== undefined;
    this.hasIndex = this.query("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'message_index'").get() !== undefined;
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

  static open(path: string, run?: number, opts: StoreSourceOptions = {}): StoreSource {
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
      this.details.clear();
      // A run being written records further capture files (monitor's rotations) at its commits.
      this.runSource = null;
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
    if (!this.storedMessages) notes.push(['messages', 'indexed (6 Messages); --store-messages adds the rate sparkline, top talkers and registration history']);
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
    const sensors = this.sensorRuns();
    if (sensors) this.cachedOverview.sensors = sensors;
    return this.cachedOverview;
  }

  /** Each sensor's newest run, when more than one sensor writes into the store (one row a sensor). */
  private sensorRuns(): SensorRuns | undefined {
    if (!this.hasSensor) return undefined;
    const total = (this.query('SELECT COUNT(DISTINCT sensor) AS n FROM runs').get() as Row).n as number;
    if (total < 2) return undefined;
    const rows = this.query(`SELECT sensor, id, source, interface, finished_at, messages, events, capture_end FROM runs
      WHERE id IN (SELECT MAX(id) FROM runs WHERE sensor IS NOT NULL GROUP BY sensor) ORDER BY sensor LIMIT ?`).all(SENSORS_LISTED) as Row[];
    return {
      total,
      rows: rows.map((r) => ({
        sensor: r.sensor as string, run: r.id as number, source: (r.interface as string | null) ?? (r.source as string),
        live: r.interface !== null && r.finished_at === null, messages: r.messages as number, events: (r.events as number | null) ?? 0,
        captureEnd: r.capture_end as number | null,
      })),
    };
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

  /**
   * WHERE of a flow's messages in the message index (an endpoint's, or the run's with null) and
   * its arguments: one range of an index by frame.
   */
  private flowWhere(endpoint: string | null): [string, Array<string | number>] {
    return endpoint === null ? ['WHERE m.run_id = ?', [this.runId]] : [`WHERE m.run_id = ? AND m.endpoint = ${STRING_ID}`, [this.runId, endpoint]];
  }

  /** `select` along the endpoint's index when `where` names an endpoint. */
  private static along(select: string, where: string): string {
    return where.includes(`m.endpoint = ${STRING_ID}`) ? BY_ENDPOINT(select) : select;
  }

  /** WHERE of the Messages view's filter (see parseMessageFilter) and its arguments. */
  private messagesWhere(text: string): [string, Array<string | number>] {
    const f = parseMessageFilter(text);
    const where = ['m.run_id = ?'];
    const args: Array<string | number> = [this.runId];
    const like = `(SELECT id FROM index_strings WHERE text LIKE ? ESCAPE '\\')`;
    const code = f.code === undefined ? null : /^([0-7])\.(\d\d)$/.exec(f.code);
    // Words that are not a filter select nothing: the title shows them.
    if (f.invalid.length > 0 || (f.code !== undefined && (code === null || Number(code[2]) > 31))) where.push('0');
    if (f.endpoint !== undefined) (where.push(`m.endpoint = ${STRING_ID}`), args.push(f.endpoint));
    if (f.operation !== undefined) (where.push(`m.operation = ${STRING_ID}`), args.push(f.operation));
    if (code !== null) (where.push('m.code = ?'), args.push((Number(code[1]) << 5) | Number(code[2])));
    if (f.frames !== undefined) (where.push('m.frame BETWEEN ? AND ?'), args.push(...f.frames));
    if (f.address !== undefined) (where.push(`(m.src IN ${like} OR m.dst IN ${like})`), args.push(contains(f.address), contains(f.address)));
    if (f.text !== '') {
      where.push(`(m.src IN ${like} OR m.dst IN ${like} OR m.endpoint IN ${like} OR m.path IN ${like})`);
      args.push(...new Array<string>(4).fill(contains(f.text)));
    }
    return [`WHERE ${where.join(' AND ')}`, args];
  }

  private whereOf(sel: SaveSelection): [string, Array<string | number>] {
    return sel.kind === 'flow' ? this.flowWhere(sel.endpoint) : this.messagesWhere(sel.filter);
  }

  /**
   * Messages matching `where`: all of a finished run's are its message count (counting a million
   * index rows takes most of a second); others are counted once per version of the data.
   */
  private messageCount(where: string, args: Array<string | number>): number {
    if (where === 'WHERE m.run_id = ?' && this.run.finished_at !== null && typeof this.run.messages === 'number') return this.run.messages;
    return this.count(`SELECT COUNT(*) AS n FROM message_index m ${where}`, args);
  }

  /** Why there are no messages to show: a database from before the message index; null when there is one. */
  private unavailable(): string | null {
    return this.hasIndex ? null : `${this.dbPath} was written before coapwatch kept a message index: run analyze --db on the capture again for its messages`;
  }

  flow(endpoint: string | null, offset: number, limit: number): FlowPage {
    const runMessages = this.run.messages as number;
    const unavailable = this.unavailable();
    if (unavailable !== null) return { rows: [], total: 0, offset: 0, seen: null, runMessages, unavailable };
    const [where, args] = this.flowWhere(endpoint);
    const total = this.messageCount(where, args);
    const rows = this.window({
      list: `flow\u0000${endpoint ?? '\u0001'}`, select: `${StoreSource.along(KEYED_SELECT, where)} ${where}`, args, keys: ['m.frame', 'm.n'], descending: true, keyset: true,
    }, total, offset, limit);
    return { rows: rows.map((r) => indexFlowMessage(indexedMessageOf(r))).reverse(), total, offset, unavailable: null, seen: total, runMessages };
  }

  messages(q: MessageQuery): FlowPage {
    const runMessages = this.run.messages as number;
    const unavailable = this.unavailable();
    if (unavailable !== null) return { rows: [], total: 0, offset: 0, seen: null, runMessages, unavailable };
    const [where, args] = this.messagesWhere(q.filter);
    const total = this.messageCount(where, args);
    const rows = this.window({
      list: `messages\u0000${q.filter}`, select: `${StoreSource.along(KEYED_SELECT, where)} ${where}`, args, keys: ['m.frame', 'm.n'], descending: false, keyset: true,
    }, total, q.offset, q.limit);
    return { rows: rows.map((r) => indexFlowMessage(indexedMessageOf(r))), total, offset: q.offset, unavailable: null, seen: total, runMessages };
  }

  frameOffset(endpoint: string | null, frame: number): FramePlace | null {
    if (!this.hasIndex) return null;
    const [where, args] = this.flowWhere(endpoint);
    const at = (this.query(`SELECT m.frame FROM message_index m ${where} AND m.frame <= ? ORDER BY m.frame DESC LIMIT 1`).get(...args, frame) as Row | undefined)
      ?? (this.query(`SELECT m.frame FROM message_index m ${where} ORDER BY m.frame ASC LIMIT 1`).get(...args) as Row | undefined);
    if (at === undefined) return null;
    const f = at.frame as number;
    const newer = (this.query(`SELECT COUNT(*) AS n FROM message_index m ${where} AND m.frame > ?`).get(...args, f) as Row).n as number;
    return { offset: newer, exact: f === frame };
  }

  searchFlow(endpoint: string | null, text: string, from: number, older: boolean): number | null {
    if (!this.hasIndex) return null;
    const [where, args] = this.flowWhere(endpoint);
    const start = this.query(`SELECT m.frame, m.n FROM message_index m ${where} ORDER BY m.frame DESC, m.n DESC LIMIT 1 OFFSET ?`).get(...args, Math.max(0, from)) as Row | undefined;
    if (start === undefined) return null;
    const select = StoreSource.along(MESSAGE_SELECT, where);
    const sql = older
      ? `${select} ${where} AND (m.frame, m.n) < (?, ?) ORDER BY m.frame DESC, m.n DESC LIMIT ?`
      : `${select} ${where} AND (m.frame, m.n) > (?, ?) ORDER BY m.frame ASC, m.n ASC LIMIT ?`;
    // A batch at a time from the last row read, each row tested as the live source tests it; the
    // match's offset is then counted in the index.
    let after: [unknown, unknown] = [start.frame, start.n];
    for (let read = 0; read < SEARCH_LIMIT;) {
      const rows = this.query(sql).all(...args, ...after, SEARCH_BATCH) as Row[];
      for (const r of rows) {
        read++;
        if (!flowMatches(indexFlowMessage(indexedMessageOf(r)), text)) continue;
        const [lo, hi] = older ? [[r.frame, r.n], [start.frame, start.n]] : [[start.frame, start.n], [r.frame, r.n]];
        const between = (this.query(`SELECT COUNT(*) AS n FROM message_index m ${where} AND (m.frame, m.n) > (?, ?) AND (m.frame, m.n) < (?, ?)`)
          .get(...args, ...lo, ...hi) as Row).n as number;
        return older ? from + between + 1 : from - between - 1;
      }
      if (rows.length < SEARCH_BATCH) break;
      const last = rows[rows.length - 1];
      after = [last.frame, last.n];
    }
    return null;
  }

  /** The run's frames, read again from its capture (opened on first use; --source names where it is now). */
  private evidence(): RunSource {
    this.runSource ??= RunSource.open(this.db, this.dbPath, this.runId, { source: this.captureSource });
    return this.runSource;
  }

  messageDetail(m: FlowMessage): MessageDetail {
    const key = `${m.frame}\u0000${m.n}`;
    const cached = this.details.get(key);
    if (cached !== undefined) return cached;
    const indexed = this.hasIndex ? messagesOfFrame(this.db, this.dbPath, this.runId, m.frame) : [];
    const own = indexed.find((x) => x.n === m.n) ?? indexed[0];
    const answer = m.responseIn === null ? undefined : messagesOfFrame(this.db, this.dbPath, this.runId, m.responseIn)[0];
    const detail: MessageDetail = { record: null, bytes: null, note: null, response: answer === undefined ? null : { frame: answer.frame, code: answer.code } };
    if (own === undefined) detail.note = `frame ${m.frame} is not in the message index of run ${this.runId}`;
    else {
      try {
        const d = this.evidence().dissect(own);
        detail.bytes = d.frame.data;
        detail.record = (d.records[Math.min(own.n, d.records.length - 1)] as unknown as MessageRecord | undefined) ?? null;
        detail.note = d.note;
      } catch (err) {
        if (!(err instanceof EvidenceError || err instanceof StoreError)) throw err;
        detail.note = err.message.replace('--source PATH', 'ui --source PATH');
      }
    }
    this.details.set(key, detail);
    return detail;
  }

  saveOffer(sel: SaveSelection): SaveOffer {
    if (!this.hasIndex) return { error: this.unavailable()! };
    const [where, args] = this.whereOf(sel);
    const r = this.query(`SELECT MIN(m.frame) AS first, MAX(m.frame) AS last, MIN(m.file) AS file FROM message_index m ${where}`).get(...args) as Row;
    if (r.first === null) return { error: 'no messages to save' };
    if (r.file === null) return { error: 'the messages shown have no recorded place in a capture file (a live run without --write)' };
    try {
      // A capture that moved is said before a name is asked for.
      this.evidence().pathOf(r.file as number);
    } catch (err) {
      if (err instanceof EvidenceError) return { error: err.message.replace('--source PATH', 'ui --source PATH') };
      throw err;
    }
    return { name: `coapwatch-${this.runId}-${r.first}${r.last === r.first ? '' : `-${r.last}`}.pcap` };
  }

  save(sel: SaveSelection, path: string): string {
    const [where, args] = this.whereOf(sel);
    const places = new Map<number, EvidencePlace>();
    let unplaced = 0;
    for (const r of this.query(`SELECT m.frame, m.ts, m.file, m.offset, m.link_type FROM message_index m ${where} ORDER BY m.frame, m.n`).all(...args) as Row[]) {
      const frame = r.frame as number;
      if (places.has(frame)) continue;
      if (r.file === null || r.offset === null || r.link_type === null) {
        unplaced++;
        continue;
      }
      if (places.size === MAX_SAVED) throw new EvidenceError(`s saves at most ${MAX_SAVED} frames at once: narrow the list with / (or use coapwatch export)`);
      places.set(frame, { run: this.runId, frame, ts: r.ts as number, file: r.file as number, offset: r.offset as number, linkType: r.link_type as number });
    }
    if (places.size === 0) throw new EvidenceError(unplaced > 0 ? `the ${unplaced} frames shown have no recorded place in a capture file` : 'no messages to save');
    const source = this.evidence();
    const frames = [...places.values()].map((p) => source.frame(p));
    const out = resolve(path);
    // Writing starts by emptying the file: never the capture the frames come from.
    if (overwritesSource(frames, out)) throw new EvidenceError(`${out} is the run's capture itself: save elsewhere`);
    writeFramesPcap(frames, out);
    const first = frames[0].frame;
    const last = frames[frames.length - 1].frame;
    const left = unplaced > 0 ? `; ${unplaced} without a recorded place left out` : '';
    return `wrote ${frames.length} frame${frames.length === 1 ? '' : 's'} (${first === last ? `#${first}` : `#${first}-#${last}`}) to ${out}${left}`;
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
export function flowMessageOf(rec: MessageRecord, size: number): FlowMessage {
  return {
    frame: rec.frame,
    n: 0,
    ts: rec.ts,
    src: rec.src,
    dst: rec.dst,
    type: rec.coap.type,
    code: rec.coap.code,
    operation: rec.lwm2m?.operation ?? null,
    path: rec.lwm2m?.path ?? rec.coap.uriPath,
    contentFormat: rec.coap.contentFormat,
    size,
    role: rec.coap.role,
    endpoint: rec.lwm2m?.endpoint ?? null,
    responseTo: rec.coap.responseTo,
    responseIn: null,
    retransmissionOf: rec.coap.retransmissionOf,
    record: () => rec,
  };
}

/** A flow row from a row of the message index: its record is read again from the capture for the detail. */
export function indexFlowMessage(m: IndexedMessage): FlowMessage {
  return {
    frame: m.frame, n: m.n, ts: m.ts, src: m.src, dst: m.dst, type: m.type, code: m.code, operation: m.operation, path: m.path,
    contentFormat: m.contentFormat, size: m.size, role: m.role, endpoint: m.endpoint, responseTo: m.responseTo, responseIn: m.responseIn,
    retransmissionOf: m.retransmissionOf, record: () => null,
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
