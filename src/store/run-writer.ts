import type Database from 'better-sqlite3';
import type { AnalyzedMessage } from '../pipeline/index.js';
import { samples, SERIES_CAPACITY, type StateTracker } from '../state/index.js';
import type {
  BootstrapSession, EndpointChange, EndpointState, ObservationState, ResourceState, StateListener,
} from '../state/index.js';
import type { DetectionEvent } from '../rules/index.js';
import type { DtlsSession } from '../dtls/index.js';
import type { OverflowCounters } from '../util/bounded-map.js';
import type { RawPacket } from '../capture/index.js';
import { storeCall } from './errors.js';
import { MessageIndexWriter } from './message-index.js';
import { openForWriting } from './open.js';

/**
 * Messages per transaction. Each commit rewrites every row that changed since the last one
 * (on a busy network: every endpoint, every observation, most resources), so the batch is
 * large; a killed run loses at most this many messages' worth of changes.
 */
const BATCH_MESSAGES = 100_000;
/**
 * Samples written per changed resource at an interim commit (the final one writes the whole
 * ring): enough for the dashboard's sparklines, a quarter of the inserts.
 */
const INTERIM_SAMPLES = 8;

/**
 * Writes one run (one capture file, one sensor) into the database. It listens to the state
 * tracker and remembers which rows changed; every BATCH_MESSAGES messages the changed rows are
 * written in one transaction, so the database on disk always holds a consistent snapshot and
 * the per-message cost is a Set insert.
 */
export class RunWriter implements StateListener {
  readonly runId: number;
  private readonly endpoints = new Set<EndpointState>();
  private readonly observations = new Set<ObservationState>();
  private readonly resources = new Set<ResourceState>();
  private readonly sessions = new Set<BootstrapSession>();
  private readonly dtlsSessions = new Set<DtlsSession>();
  private readonly messageRows: unknown[][] = [];
  /** Events new or grown since the last commit; rows get their id on first insert. */
  private readonly events = new Set<DetectionEvent>();
  private readonly eventIds = new WeakMap<DetectionEvent, number>();
  private eventCount = 0;
  private messages = 0;
  private sinceFlush = 0;
  private captureStart: number | null = null;
  private captureEnd: number | null = null;
  private tracker: StateTracker | null = null;
  /** Live runs: the capture interface and libpcap's counters, written with the next batch. */
  private live: LiveCounters | null = null;
  private readonly statements;
  /** Object lists and versions are shared between endpoints (interned): serialise each once. */
  private readonly json = new WeakMap<object, string>();
  /** Capture time of the newest sample of each numeric resource already written to resource_samples. */
  private readonly sampledUntil = new WeakMap<ResourceState, number>();

  /** The message index: every message, compact, with where its frame lies in `recordFile`. */
  private readonly index: MessageIndexWriter;

  /**
   * `overflow`: the run's table counters, written to runs.overflow at every commit. `recordFile`:
   * absolute path of the file the frames lie in (the capture read, or monitor's --write file,
   * whose rotations are named from it); null when they lie in none.
   */
  constructor(
    private readonly db: Database.Database, private readonly path: string, source: string, private readonly storeMessages: boolean,
    private readonly overflow?: OverflowCounters, recordFile: string | null = null,
  ) {
    this.statements = storeCall(path, () => prepare(db));
    this.runId = storeCall(path, () => Number(this.statements.run.run(source, Date.now() / 1000).lastInsertRowid));
    this.index = storeCall(path, () => new MessageIndexWriter(db, this.runId, recordFile));
    this.index.start();
  }

  static open(path: string, source: string, storeMessages: boolean, overflow?: OverflowCounters, recordFile: string | null = null): RunWriter {
    return new RunWriter(openForWriting(path), path, source, storeMessages, overflow, recordFile);
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

  observationChanged(obs: ObservationState): void {
    this.observations.add(obs);
  }

  resourceChanged(res: ResourceState): void {
    this.resources.add(res);
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
      this.messageRows.push([this.runId, m.coap.frame, ts, m.coap.src, m.coap.dst, l?.operation ?? null, l?.endpoint ?? null, record(m).trimEnd()]);
    }
    if (++this.sinceFlush >= BATCH_MESSAGES) this.flush();
  }

  /** Live runs: the latest capture counters; they reach the runs row with the next flush. */
  liveCounters(counters: LiveCounters): void {
    this.live = counters;
  }

  /** Writes every changed row in one transaction. */
  flush(): void {
    this.commit(INTERIM_SAMPLES);
  }

  private commit(samplesPerResource: number): void {
    this.sinceFlush = 0;
    storeCall(this.path, () => this.db.transaction(() => this.writeChanges(samplesPerResource)).immediate());
  }

  /**
   * Final commit: the run is marked finished with its packet count, and with the signal that
   * stopped it early, if one did.
   */
  finish(packets: number | null, interruptedBy: string | null = null): void {
    this.commit(SERIES_CAPACITY);
    storeCall(this.path, () => {
      this.statements.finish.run(Date.now() / 1000, packets, interruptedBy, this.runId);
      this.db.close();
    });
  }

  private jsonOf(value: object): string {
    let text = this.json.get(value);
    if (text === undefined) this.json.set(value, (text = JSON.stringify(value)));
    return text;
  }

  private writeChanges(samplesPerResource: number): void {
    const s = this.statements;
    const run = this.runId;
    for (const e of this.endpoints) {
      s.endpoint.run(run, e.name, e.address, e.previousAddresses ? JSON.stringify(e.previousAddresses) : null, e.location, e.state,
        e.lifetime, e.binding, e.lwm2mVersion, e.sms, e.queueMode ? 1 : 0, this.jsonOf(e.objects), this.jsonOf(e.objectVersions),
        e.registeredAt, e.updatedAt, e.expiresAt, e.lastSeen, e.dtls === null ? null : JSON.stringify(e.dtls));
    }
    for (const o of this.observations) {
      const attrs = o.paths.length === 1 && this.tracker ? this.tracker.observations.attributes.inForce(o.endpoint, o.paths[0]) : {};
      s.observation.run(run, o.id, o.endpoint, o.token, o.client, o.server, JSON.stringify(o.paths), JSON.stringify(attrs), o.state,
        o.endedBy, o.notifications, o.lastSeq, o.reordered, o.lateNotifications, o.startedAt, o.lastNotifiedAt, o.endedAt);
    }
    for (const r of this.resources) {
      s.resource.run(run, r.endpoint, r.path, r.name, r.type, typeof r.value === 'boolean' ? (r.value ? 1 : 0) : r.value, r.updatedAt);
      // The twin keeps a bounded ring of recent samples: write those newer than the last batch's,
      // thinned to `samplesPerResource` evenly spread (newest kept) — at one insert each, every
      // sample of every resource at every batch was most of what --db cost.
      if (r.series) {
        const until = this.sampledUntil.get(r) ?? -Infinity;
        const fresh = samples(r.series).filter(([ts, value]) => ts > until && Number.isFinite(value) && Number.isFinite(ts));
        const step = fresh.length / samplesPerResource;
        for (let k = Math.min(fresh.length, samplesPerResource); k >= 1; k--) {
          const [ts, value] = fresh[step > 1 ? Math.ceil(fresh.length - 1 - (k - 1) * step) : fresh.length - k];
          s.sample.run(run, r.endpoint, r.path, ts, value);
        }
        if (fresh.length > 0) this.sampledUntil.set(r, fresh[fresh.length - 1][0]);
      }
    }
    for (const b of this.sessions) {
      s.session.run(run, b.id, b.endpoint, b.client, b.server, b.state, b.error, JSON.stringify(b.steps), b.startedAt, b.finishedAt);
    }
    for (const d of this.dtlsSessions) {
      const certificates = d.certificates.map((c) => ({ subject: c.subject, issuer: c.issuer, not_before: c.notBefore, not_after: c.notAfter, error: c.error }));
      const alerts = d.alerts.map((a) => ({ ts: a.ts, frame: a.frame, level: a.level, description: a.description, from: a.from }));
      s.dtls.run(run, d.id, d.client, d.server, d.endpoint, d.version, d.state, d.cipherSuite, JSON.stringify(d.offeredSuites), d.pskIdentity,
        d.pskIdentityHint, d.sni, JSON.stringify(certificates), JSON.stringify(alerts), d.decryption, d.records, d.appDataBytes, d.startedAt, d.lastSeen);
    }
    for (const row of this.messageRows) s.message.run(...row);
    this.index.write();
    for (const e of this.events) {
      const id = this.eventIds.get(e);
      const o = e.outcome;
      const answer = o === null || o === 'pending' ? [o, null, null, null, null] : [o.outcome, o.code, o.frame, o.ts, o.request];
      if (id === undefined) {
        const row = s.event.run(run, e.ts, e.rule, e.severity, e.endpoint, e.src, e.dst, e.frame, e.message, JSON.stringify(e.details), e.count, e.lastTs,
          e.id, ...answer);
        this.eventIds.set(e, Number(row.lastInsertRowid));
      } else s.eventUpdate.run(e.count, e.lastTs, e.severity, ...answer, id);
    }
    s.progress.run(this.messages, this.captureStart, this.captureEnd, this.eventCount, JSON.stringify(this.overflow?.overflows() ?? []), run);
    const l = this.live;
    if (l) s.live.run(l.interface, l.packetsReceived, l.droppedKernel, l.droppedInterface, l.droppedPipeline, run);
    this.endpoints.clear();
    this.observations.clear();
    this.resources.clear();
    this.sessions.clear();
    this.dtlsSessions.clear();
    this.messageRows.length = 0;
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

function prepare(db: Database.Database) {
  return {
    run: db.prepare('INSERT INTO runs (source, started_at) VALUES (?, ?)'),
    progress: db.prepare('UPDATE runs SET messages = ?, capture_start = ?, capture_end = ?, events = ?, overflow = ? WHERE id = ?'),
    finish: db.prepare('UPDATE runs SET finished_at = ?, packets = ?, interrupted_by = ? WHERE id = ?'),
    live: db.prepare(`UPDATE runs SET interface = ?, packets_received = ?, dropped_kernel = ?, dropped_interface = ?,
      dropped_pipeline = ? WHERE id = ?`),
    endpoint: db.prepare(`INSERT OR REPLACE INTO endpoints (run_id, endpoint, address, previous_addresses, location, state, lifetime,
      binding, lwm2m_version, sms, queue_mode, objects, object_versions, registered_at, updated_at, expires_at, last_seen, dtls)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
    observation: db.prepare(`INSERT OR REPLACE INTO observations (run_id, id, endpoint, token, client, server, paths, attributes,
      state, ended_by, notifications, last_seq, reordered, late_notifications, started_at, last_notified_at, ended_at)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
    resource: db.prepare(`INSERT OR REPLACE INTO resources (run_id, endpoint, path, name, type, value, updated_at)
      VALUES (?, ?, ?, ?, ?, ?, ?)`),
    sample: db.prepare('INSERT INTO resource_samples (run_id, endpoint, path, ts, value) VALUES (?, ?, ?, ?, ?)'),
    session: db.prepare(`INSERT OR REPLACE INTO bootstrap_sessions (run_id, id, endpoint, client, server, state, error, steps,
      started_at, finished_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
    dtls: db.prepare(`INSERT OR REPLACE INTO dtls_sessions (run_id, id, client, server, endpoint, version, state, cipher_suite,
      offered_suites, psk_identity, psk_identity_hint, sni, certificates, alerts, decryption, records, app_data_bytes, started_at, last_seen)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
    event: db.prepare(`INSERT INTO events (run_id, ts, rule, severity, endpoint, src, dst, frame, message, details, count, last_ts,
      seq, outcome, outcome_code, outcome_frame, outcome_ts, outcome_request) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
    eventUpdate: db.prepare(`UPDATE events SET count = ?, last_ts = ?, severity = ?, outcome = ?, outcome_code = ?, outcome_frame = ?,
      outcome_ts = ?, outcome_request = ? WHERE id = ?`),
    message: db.prepare(`INSERT INTO messages (run_id, frame, ts, src, dst, operation, endpoint, record)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?)`),
  };
}
