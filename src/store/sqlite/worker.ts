/**
 * The thread that writes a run into a SQLite file. The analysis hands each batch over as plain
 * rows (see RunWriter) and goes on; this thread owns the better-sqlite3 connection, interns the
 * message index's strings and writes the batch in one transaction, so that statements and
 * commits (most of what `--db` costs at a large fleet) run beside the analysis, not in it.
 * Every request gets exactly one reply, in order (see WorkerConnection).
 */
import type Database from 'better-sqlite3';
import { parentPort, workerData } from 'node:worker_threads';
import { BoundedMap } from '../../util/bounded-map.js';
import { asStoreError } from '../errors.js';
import { MAX_INTERNED_STRINGS } from '../index-strings.js';
import { INDEX_COLUMNS, INDEX_STRING_COLUMNS, indexRowValues, LATE, type IndexRows } from '../message-index.js';
import { openForWriting } from '../open.js';
import type { RunBatch } from '../run-writer.js';
import { replier, type WorkerChannel } from '../worker-connection.js';

export type SqliteRequest =
  | { op: 'open' }
  | { op: 'run'; source: string; startedAt: number; sensor: string }
  | { op: 'batch'; runId: number; batch: RunBatch }
  | { op: 'end' };

export interface SqliteWorkerData extends WorkerChannel {
  /** The file, as given on the command line (relative to the working directory, which the thread shares). */
  path: string;
}

if (parentPort !== null && workerData !== null && (workerData as Partial<SqliteWorkerData>).replies) {
  const data = workerData as SqliteWorkerData;
  const reply = replier(data);
  let db: Database.Database | null = null;
  let statements: Statements | null = null;
  // A cache of the database's own table: a miss costs a lookup, never output, so it is not reported as overflow.
  const strings = new BoundedMap<string, number>('store.index-strings', MAX_INTERNED_STRINGS);
  let dead: string | null = null;

  const handle = (req: SqliteRequest): unknown => {
    switch (req.op) {
      case 'open':
        db = openForWriting(data.path);
        statements = prepare(db);
        return null;
      case 'run':
        return Number(statements!.run.run(req.source, req.startedAt, req.sensor).lastInsertRowid);
      case 'batch':
        writeBatch(db!, statements!, strings, req.runId, req.batch);
        return null;
      case 'end':
        db?.close();
        return null;
    }
  };

  data.port.on('message', (req: SqliteRequest) => {
    if (dead !== null) return reply({ ok: false, message: dead });
    try {
      reply({ ok: true, value: handle(req) });
    } catch (err) {
      const message = asStoreError(data.path, err).message;
      // The transaction rolled back; a run that went on after it would have a gap in it.
      if (req.op === 'batch') dead = `database ${data.path}: an earlier batch failed: ${message.slice(`database ${data.path}: `.length)}`;
      reply({ ok: false, message });
    }
  });
}

type Statements = ReturnType<typeof prepare>;

/** One batch in one transaction; the run's row last, so that it counts what the tables hold. */
function writeBatch(db: Database.Database, s: Statements, strings: BoundedMap<string, number>, run: number, b: RunBatch): void {
  const r = b.rows;
  db.transaction(() => {
    for (const row of r.endpoint) s.endpoint.run(row);
    for (const row of r.endpointSeen) s.endpointSeen.run(row);
    for (const row of r.observation) s.observation.run(row);
    for (const row of r.resource) s.resource.run(row);
    for (const row of r.sample) s.sample.run(row);
    for (const row of r.session) s.session.run(row);
    for (const row of r.dtls) s.dtls.run(row);
    for (const row of r.message) s.message.run(row);
    writeIndex(s, strings, run, b.index);
    for (const [response, request] of b.answered) s.answered.run(response, run, request);
    for (const row of r.eventFrame) s.eventFrame.run(row);
    for (const row of r.file) s.file.run(row);
    for (const row of r.event) {
      // An event seen in an earlier batch (by its id in the run) has its count, severity and
      // outcome updated; count, last_ts, severity, outcome... by the row's position (see RunWriter.collectChanges).
      if (s.eventUpdate.run(row[10], row[11], row[3], ...row.slice(13), run, row[12]).changes === 0) s.event.run(row);
    }
    s.progress.run(...b.progress, run);
    if (b.live) s.live.run(...b.live, run);
    if (b.finish) s.finish.run(...b.finish, run);
  }).immediate();
}

/**
 * The message index's rows, their strings interned (in the order they come, so that a string's
 * id is the same whoever writes it), a frame that came out of order numbered after that frame's
 * rows.
 */
function writeIndex(s: Statements, strings: BoundedMap<string, number>, run: number, rows: IndexRows): void {
  const row: Array<number | string | null> = [];
  for (let i = 0; i < rows.count; i++) {
    indexRowValues(rows, i, row);
    if (row[2] === LATE) row[2] = s.nextN.get(run, row[1]) as number;
    for (const c of INDEX_STRING_COLUMNS) {
      const text = row[c];
      if (typeof text !== 'string') continue;
      let id = strings.get(text);
      if (id === undefined) {
        id = (s.stringId.get(text) as number | undefined) ?? Number(s.newString.run(text).lastInsertRowid);
        strings.set(text, id);
      }
      row[c] = id;
    }
    s.index.run(row);
  }
}

function prepare(db: Database.Database) {
  return {
    run: db.prepare('INSERT INTO runs (source, started_at, sensor) VALUES (?, ?, ?)'),
    progress: db.prepare('UPDATE runs SET messages = ?, capture_start = ?, capture_end = ?, events = ?, overflow = ? WHERE id = ?'),
    finish: db.prepare('UPDATE runs SET finished_at = ?, packets = ?, interrupted_by = ? WHERE id = ?'),
    live: db.prepare(`UPDATE runs SET interface = ?, packets_received = ?, dropped_kernel = ?, dropped_interface = ?,
      dropped_pipeline = ? WHERE id = ?`),
    endpoint: upsert(db, 'endpoints', 'run_id, endpoint', `run_id, endpoint, address, previous_addresses, location, state, lifetime,
      binding, lwm2m_version, sms, queue_mode, objects, object_versions, registered_at, updated_at, expires_at, last_seen, dtls`),
    endpointSeen: db.prepare('UPDATE endpoints SET last_seen = ? WHERE run_id = ? AND endpoint = ?'),
    observation: upsert(db, 'observations', 'run_id, id', `run_id, id, endpoint, token, client, server, paths, attributes,
      state, ended_by, notifications, last_seq, reordered, late_notifications, started_at, last_notified_at, ended_at`),
    resource: upsert(db, 'resources', 'run_id, endpoint, path', 'run_id, endpoint, path, name, type, value, updated_at'),
    sample: db.prepare('INSERT INTO resource_samples (run_id, endpoint, path, ts, value) VALUES (?, ?, ?, ?, ?)'),
    session: upsert(db, 'bootstrap_sessions', 'run_id, id', `run_id, id, endpoint, client, server, state, error, steps,
      started_at, finished_at`),
    dtls: upsert(db, 'dtls_sessions', 'run_id, id', `run_id, id, client, server, endpoint, version, state, cipher_suite,
      offered_suites, psk_identity, psk_identity_hint, sni, certificates, alerts, decryption, records, app_data_bytes, started_at, last_seen`),
    event: db.prepare(`INSERT INTO events (run_id, ts, rule, severity, endpoint, src, dst, frame, message, details, count, last_ts,
      seq, outcome, outcome_code, outcome_frame, outcome_ts, outcome_request) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
    eventUpdate: db.prepare(`UPDATE events SET count = ?, last_ts = ?, severity = ?, outcome = ?, outcome_code = ?, outcome_frame = ?,
      outcome_ts = ?, outcome_request = ? WHERE run_id = ? AND seq = ?`),
    message: db.prepare(`INSERT INTO messages (run_id, frame, ts, src, dst, operation, endpoint, record)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?)`),
    index: db.prepare(`INSERT INTO message_index (${INDEX_COLUMNS}) VALUES (${INDEX_COLUMNS.split(',').map(() => '?').join(', ')})`),
    nextN: db.prepare('SELECT COALESCE(MAX(n), -1) + 1 FROM message_index WHERE run_id = ? AND frame = ?').pluck(),
    answered: db.prepare('UPDATE message_index SET response_in = ? WHERE run_id = ? AND frame = ? AND response_in IS NULL'),
    stringId: db.prepare('SELECT id FROM index_strings WHERE text = ?').pluck(),
    newString: db.prepare('INSERT INTO index_strings (text) VALUES (?)'),
    file: db.prepare('INSERT OR REPLACE INTO capture_files (run_id, file, path, size, mtime) VALUES (?, ?, ?, ?, ?)'),
    eventFrame: db.prepare('INSERT OR IGNORE INTO event_frames (run_id, frame, ts, file, offset, link_type) VALUES (?, ?, ?, ?, ?, ?)'),
  };
}

/**
 * Writes a row that later batches rewrite: inserted the first time, updated in place after.
 * Not INSERT OR REPLACE, which deletes the row and inserts it again under a new rowid, so that
 * every index of the table loses an entry and gains one.
 */
function upsert(db: Database.Database, table: string, key: string, columns: string): Database.Statement {
  const names = columns.split(',').map((c) => c.trim());
  const keys = new Set(key.split(',').map((c) => c.trim()));
  const set = names.filter((c) => !keys.has(c)).map((c) => `${c} = excluded.${c}`).join(', ');
  return db.prepare(`INSERT INTO ${table} (${names.join(', ')}) VALUES (${names.map(() => '?').join(', ')})
    ON CONFLICT (${key}) DO UPDATE SET ${set}`);
}
