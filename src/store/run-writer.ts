import type { AnalyzedMessage } from '../pipeline/index.js';
import { SERIES_CAPACITY, type StateTracker } from '../state/index.js';
import type {
  BootstrapSession, EndpointChange, EndpointState, ObservationState, ResourceState, StateListener,
} from '../state/index.js';
import type { DetectionEvent } from '../rules/index.js';
import type { DtlsSession } from '../dtls/index.js';
import type { OverflowCounters } from '../util/bounded-map.js';
import type { RawPacket } from '../capture/index.js';
import { MessageIndexWriter, type IndexRows } from './message-index.js';
import { PgRunTarget } from './pg/run-target.js';
import { SqliteRunTarget } from './sqlite/run-target.js';
import { isPostgresUrl } from './pg/url.js';
import { hostname } from 'node:os';

/**
 * Messages per transaction, at least. Each commit rewrites every row that changed since the
 * last one (on a busy network: every endpoint, every observation, most resources), so the batch
 * is large.
 */
const BATCH_MESSAGES = 100_000;
/**
 * Live capture, messages per transaction at most. While the batch before is still being written,
 * the next one goes on gathering rather than waiting, up to this: the capture's queue overflows
 * while the decoding waits, and a larger batch costs the database less per message (at a large
 * fleet a commit's cost is mostly the pages it rewrites all over the tables, and the endpoints
 * and observations a batch changes repeat within it), so the database catches up by writing
 * fewer, larger batches. Bounds the memory a batch holds and what a killed monitor loses.
 *
 * A capture file waits instead: nothing is lost by waiting, and a batch written in the time a
 * stopped run waits for (the one being written, then the final one) stays short.
 */
const MAX_BATCH_MESSAGES = 4 * BATCH_MESSAGES;
/** Messages between two checks whether the database is free, once a batch is due. */
const BUSY_CHECK_MESSAGES = 1_000;
/**
 * Samples written per changed resource at an interim commit (the final one writes the whole
 * ring): enough for the dashboard's sparklines, a quarter of the inserts.
 */
const INTERIM_SAMPLES = 8;

/**
 * Writes one run (one capture file, one sensor) into the database. It listens to the state
 * tracker and remembers which rows changed; every BATCH_MESSAGES messages (live, more while the
 * database is busy: see MAX_BATCH_MESSAGES) the changed rows are turned into plain rows and
 * handed to the database's own thread, which writes them in one transaction while the analysis
 * goes on, so the database on disk always holds a consistent snapshot and the per-message cost
 * is a Set insert.
 */
export class RunWriter implements StateListener {
  readonly runId: number;
  private readonly endpoints = new Set<EndpointState>();
  /** Endpoints whose only change is their last-seen time: a narrow update, which leaves every other index alone. */
  private readonly seen = new Set<EndpointState>();
  private readonly observations = new Set<ObservationState>();
  private readonly resources = new Set<ResourceState>();
  private readonly sessions = new Set<BootstrapSession>();
  private readonly dtlsSessions = new Set<DtlsSession>();
  private rows = emptyRows();
  /** Events new or grown since the last commit. */
  private readonly events = new Set<DetectionEvent>();
  private eventCount = 0;
  private messages = 0;
  private sinceFlush = 0;
  /** sinceFlush at which to hand the batch over, or to check again whether the database is free. */
  private batchDueAt = BATCH_MESSAGES;
  private captureStart: number | null = null;
  private captureEnd: number | null = null;
  private tracker: StateTracker | null = null;
  /** Live runs: the capture interface and libpcap's counters, written with the next batch. */
  private live: LiveCounters | null = null;
  /** Object lists and versions are shared between endpoints (interned): serialise each once. */
  private readonly json = new WeakMap<object, string>();
  /**
   * Numeric samples since the last commit, per resource: interleaved time and value, the newest
   * SERIES_CAPACITY of them. Kept here rather than read from a ring in the twin, so that a fleet's
   * resources cost nothing between batches.
   */
  private readonly samples = new Map<ResourceState, number[]>();

  /** The message index: every message, compact, with where its frame lies in `recordFile`. */
  private readonly index: MessageIndexWriter;

  /**
   * `target`: the database (SQLite or PostgreSQL). `sensor`: the name of the sensor writing the
   * run. `overflow`: the run's table counters, written to runs.overflow at every commit.
   * `recordFile`: absolute path of the file the frames lie in (the capture read, or monitor's
   * --write file, whose rotations are named from it); null when they lie in none.
   */
  constructor(
    private readonly target: RunTarget, source: string, private readonly storeMessages: boolean,
    private readonly overflow?: OverflowCounters, recordFile: string | null = null, sensor: string = hostname(),
    private readonly liveCapture = false,
  ) {
    this.runId = target.startRun(source, Date.now() / 1000, sensor);
    this.index = new MessageIndexWriter(this.runId, recordFile);
    this.index.start();
  }

  /**
   * Opens `location` (a SQLite file, or a postgres:// URL) and starts a run in it. `liveCapture`: the
   * messages come from a capture interface, whose queue overflows while the analysis waits for
   * the database; batches then grow while the one before is written (see MAX_BATCH_MESSAGES).
   */
  static open(location: string, source: string, storeMessages: boolean, overflow?: OverflowCounters, recordFile: string | null = null,
    sensor: string = hostname(), liveCapture = false): RunWriter {
    const target = isPostgresUrl(location) ? new PgRunTarget(location) : new SqliteRunTarget(location);
    return new RunWriter(target, source, storeMessages, overflow, recordFile, sensor, liveCapture);
  }

  /** Where the run is written, as it may be shown (a URL without its credentials). */
  get location(): string {
    return this.target.location;
  }

  /** The frame about to be decoded (its messages and events lie where it does). */
  frame(p: RawPacket): void {
    this.index.frame(p);
  }

  /** The tracker whose attribute table observations are written with. */
  attach(tracker: StateTracker): void {
    this.tracker = tracker;
  }

  endpointChanged(c: EndpointChange): void {
    this.endpoints.add(c.endpoint);
  }

  endpointTouched(ep: EndpointState): void {
    this.endpoints.add(ep);
  }

  endpointSeen(ep: EndpointState): void {
    this.seen.add(ep);
  }

  observationChanged(obs: ObservationState): void {
    this.observations.add(obs);
  }

  resourceChanged(res: ResourceState): void {
    this.resources.add(res);
    const value = res.value;
    if (typeof value !== 'number' || !Number.isFinite(value) || !Number.isFinite(res.updatedAt)) return;
    let pending = this.samples.get(res);
    if (pending === undefined) this.samples.set(res, (pending = []));
    if (pending.length === 2 * SERIES_CAPACITY) pending.splice(0, 2);
    pending.push(res.updatedAt, value);
  }

  bootstrapChanged(session: BootstrapSession): void {
    this.sessions.add(session);
  }

  /** A DTLS session changed (from the pipeline's DTLS stage); its row is written with the next batch. */
  dtlsChanged(session: DtlsSession): void {
    this.dtlsSessions.add(session);
  }

  /** A new event (from the rule engine). */
  event(e: DetectionEvent): void {
    this.eventCount++;
    this.events.add(e);
    this.index.event(e.frame);
  }

  /** An event whose count, severity or outcome changed. */
  eventRepeated(e: DetectionEvent): void {
    this.events.add(e);
  }

  /** Counts a message (and keeps its NDJSON record with --store-messages); may commit a batch. */
  message(m: AnalyzedMessage, record: (m: AnalyzedMessage) => string): void {
    const ts = m.coap.ts;
    this.captureStart ??= ts;
    this.captureEnd = ts;
    this.messages++;
    this.index.message(m);
    if (this.storeMessages) {
      const l = m.lwm2m;
      this.rows.message.push([this.runId, m.coap.frame, ts, m.coap.src, m.coap.dst, l?.operation ?? null, l?.endpoint ?? null, record(m).trimEnd()]);
    }
    if (++this.sinceFlush >= this.batchDueAt) {
      if (this.gathersOn()) this.batchDueAt = this.sinceFlush + BUSY_CHECK_MESSAGES;
      else this.commit(INTERIM_SAMPLES);
    }
  }

  /** Live runs: the latest capture counters; they reach the runs row with the next flush. */
  liveCounters(counters: LiveCounters): void {
    this.live = counters;
  }

  /**
   * Hands every changed row to the database's thread, to be written in one transaction while
   * the analysis goes on. Live, while the batch before is still being written, does nothing (the
   * rows go with a later post, or at the batch's size) rather than wait.
   */
  post(): void {
    if (!this.gathersOn()) this.commit(INTERIM_SAMPLES);
  }

  /** Live, while the batch before is still being written and this one is below MAX_BATCH_MESSAGES: gather on rather than wait. */
  private gathersOn(): boolean {
    return this.liveCapture && this.sinceFlush < MAX_BATCH_MESSAGES && this.target.busy();
  }

  /** Waits until every batch handed over is written; throws the failure of any. */
  sync(): void {
    this.target.sync();
  }

  /** Writes every changed row in one transaction, and waits until it is written. */
  flush(): void {
    this.commit(INTERIM_SAMPLES);
    this.target.sync();
  }

  private commit(samplesPerResource: number, finish: unknown[] | null = null): void {
    this.sinceFlush = 0;
    this.batchDueAt = BATCH_MESSAGES;
    this.collectChanges(samplesPerResource);
    const rows = this.rows;
    this.rows = emptyRows();
    const index = this.index.take();
    rows.eventFrame = index.eventFrames;
    rows.file = index.files;
    const l = this.live;
    this.target.commit({
      rows, index: index.rows, answered: index.answered, finish,
      progress: [this.messages, this.captureStart, this.captureEnd, this.eventCount, JSON.stringify(this.overflow?.overflows() ?? [])],
      live: l ? [l.interface, l.packetsReceived, l.droppedKernel, l.droppedInterface, l.droppedPipeline] : null,
    });
  }

  /**
   * Final commit: the run is marked finished with its packet count, and with the signal that
   * stopped it early, if one did.
   */
  finish(packets: number | null, interruptedBy: string | null = null): void {
    this.commit(SERIES_CAPACITY, [Date.now() / 1000, packets, interruptedBy]);
    this.target.close();
  }

  /**
   * finish() for a run stopped by a signal: the batch being written, then the final one, are
   * waited for without blocking this thread's events, so that a second signal can still end the
   * process at once (the database then holds the run as of its last commit).
   */
  async interrupted(packets: number, signal: string): Promise<void> {
    await this.target.drained();
    this.commit(SERIES_CAPACITY, [Date.now() / 1000, packets, signal]);
    await this.target.drained();
    this.target.close();
  }

  private jsonOf(value: object): string {
    let text = this.json.get(value);
    if (text === undefined) this.json.set(value, (text = JSON.stringify(value)));
    return text;
  }

  private collectChanges(samplesPerResource: number): void {
    const s = this.rows;
    const run = this.runId;
    for (const e of this.endpoints) {
      s.endpoint.push([run, e.name, e.address, e.previousAddresses ? JSON.stringify(e.previousAddresses) : null, e.location, e.state,
        e.lifetime, e.binding, e.lwm2mVersion, e.sms, e.queueMode ? 1 : 0, this.jsonOf(e.objects), this.jsonOf(e.objectVersions),
        e.registeredAt, e.updatedAt, e.expiresAt, e.lastSeen, e.dtls === null ? null : JSON.stringify(e.dtls)]);
    }
    for (const e of this.seen) {
      if (!this.endpoints.has(e)) s.endpointSeen.push([e.lastSeen, run, e.name]);
    }
    for (const o of this.observations) {
      const attrs = o.paths.length === 1 && this.tracker ? this.tracker.observations.attributes.inForce(o.endpoint, o.paths[0]) : {};
      s.observation.push([run, o.id, o.endpoint, o.token, o.client, o.server, JSON.stringify(o.paths), JSON.stringify(attrs), o.state,
        o.endedBy, o.notifications, o.lastSeq, o.reordered, o.lateNotifications, o.startedAt, o.lastNotifiedAt, o.endedAt]);
    }
    for (const r of this.resources) {
      s.resource.push([run, r.endpoint, r.path, r.name, r.type, typeof r.value === 'boolean' ? (r.value ? 1 : 0) : r.value, r.updatedAt]);
      // The samples since the last batch, thinned to `samplesPerResource` evenly spread (newest
      // kept): at one insert each, every sample of every resource at every batch was most of what
      // --db cost.
      const fresh = this.samples.get(r);
      if (fresh === undefined) continue;
      const count = fresh.length / 2;
      const step = count / samplesPerResource;
      for (let k = Math.min(count, samplesPerResource); k >= 1; k--) {
        const i = step > 1 ? Math.ceil(count - 1 - (k - 1) * step) : count - k;
        s.sample.push([run, r.endpoint, r.path, fresh[2 * i], fresh[2 * i + 1]]);
      }
    }
    for (const b of this.sessions) {
      s.session.push([run, b.id, b.endpoint, b.client, b.server, b.state, b.error, JSON.stringify(b.steps), b.startedAt, b.finishedAt]);
    }
    for (const d of this.dtlsSessions) {
      const certificates = d.certificates.map((c) => ({ subject: c.subject, issuer: c.issuer, not_before: c.notBefore, not_after: c.notAfter, error: c.error }));
      const alerts = d.alerts.map((a) => ({ ts: a.ts, frame: a.frame, level: a.level, description: a.description, from: a.from }));
      s.dtls.push([run, d.id, d.client, d.server, d.endpoint, d.version, d.state, d.cipherSuite, JSON.stringify(d.offeredSuites), d.pskIdentity,
        d.pskIdentityHint, d.sni, JSON.stringify(certificates), JSON.stringify(alerts), d.decryption, d.records, d.appDataBytes, d.startedAt, d.lastSeen]);
    }
    for (const e of this.events) {
      const o = e.outcome;
      const answer = o === null || o === 'pending' ? [o, null, null, null, null] : [o.outcome, o.code, o.frame, o.ts, o.request];
      s.event.push([run, e.ts, e.rule, e.severity, e.endpoint, e.src, e.dst, e.frame, e.message, JSON.stringify(e.details), e.count, e.lastTs,
        e.id, ...answer]);
    }
    this.endpoints.clear();
    this.seen.clear();
    this.samples.clear();
    this.observations.clear();
    this.resources.clear();
    this.sessions.clear();
    this.dtlsSessions.clear();
    this.events.clear();
  }
}

/** What a live run counts at the capture end (see LiveStats); null where it cannot be known. */
export interface LiveCounters {
  interface: string;
  packetsReceived: number;
  droppedKernel: number | null;
  droppedInterface: number | null;
  droppedPipeline: number;
}

/**
 * The rows of one batch, per table, run_id first, in the parameter order of the SQLite
 * statements (src/store/sqlite/worker.ts); plain values only, as they are posted to the
 * database's thread.
 */
export interface RunRows {
  endpoint: unknown[][];
  /** Endpoints whose last-seen time alone changed: [last_seen, run_id, endpoint]. */
  endpointSeen: unknown[][];
  observation: unknown[][];
  resource: unknown[][];
  sample: unknown[][];
  session: unknown[][];
  dtls: unknown[][];
  message: unknown[][];
  eventFrame: unknown[][];
  file: unknown[][];
  /** New or changed events, each with its full row; the event's NDJSON id (seq) is how a later batch finds it again. */
  event: unknown[][];
}

function emptyRows(): RunRows {
  return { endpoint: [], endpointSeen: [], observation: [], resource: [], sample: [], session: [], dtls: [], message: [], eventFrame: [], file: [], event: [] };
}

/** One batch as a run writer hands it to its database. */
export interface RunBatch {
  rows: RunRows;
  /** The message index's rows (see MessageIndexWriter.take): strings not yet interned, a late frame's n = -1. */
  index: IndexRows;
  /** Late answers to requests of earlier batches: [response frame, request frame]. */
  answered: Array<[number, number]>;
  /** runs: [messages, capture_start, capture_end, events, overflow]. */
  progress: unknown[];
  /** runs, live runs: [interface, packets_received, dropped_kernel, dropped_interface, dropped_pipeline]. */
  live: unknown[] | null;
  /** runs, the last batch: [finished_at, packets, interrupted_by]. */
  finish: unknown[] | null;
}

/**
 * A database a run is written into: SQLite (src/store/sqlite/run-target.ts) or PostgreSQL
 * (src/store/pg/run-target.ts), each written in a thread of its own.
 */
export interface RunTarget {
  /** As it may be shown: a file name, or a URL without its credentials. */
  readonly location: string;
  /** Creates the run's row; its id. */
  startRun(source: string, startedAt: number, sensor: string): number;
  /** Hands a batch over, to be written in one transaction; returns before it is written (see sync). */
  commit(batch: RunBatch): void;
  /** Whether a committed batch is still being written (a commit now would wait for it). */
  busy(): boolean;
  /** Returns once every committed batch is written; throws the failure of any. */
  sync(): void;
  /** After the last commit: waits for it and closes the database. */
  close(): void;
  /** Waits, without blocking this thread's events, until no batch is being written; throws the failure of any. */
  drained(): Promise<void>;
}
