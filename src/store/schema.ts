import Database from 'better-sqlite3';
import { sanitizeForTerminal } from '../util/terminal-text.js';
import { StoreError } from './errors.js';

/**
 * Schema migrations, in order; PRAGMA user_version is how many have run. Append new ones,
 * never edit a released one: databases in the field are at every version.
 */
export const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE runs (
    id INTEGER PRIMARY KEY,
    source TEXT NOT NULL,
    started_at REAL NOT NULL,          -- wall clock, seconds since the epoch
    finished_at REAL,                  -- null: still running, or killed
    packets INTEGER,
    messages INTEGER NOT NULL DEFAULT 0,
    capture_start REAL,                -- capture time of the first message
    capture_end REAL
  );
  CREATE TABLE endpoints (
    run_id INTEGER NOT NULL REFERENCES runs(id),
    endpoint TEXT NOT NULL,
    address TEXT NOT NULL,
    previous_addresses TEXT,           -- JSON array, oldest first, or null
    location TEXT,
    state TEXT NOT NULL,
    lifetime INTEGER NOT NULL,
    binding TEXT NOT NULL,
    lwm2m_version TEXT NOT NULL,
    sms TEXT,
    queue_mode INTEGER NOT NULL,
    objects TEXT NOT NULL,             -- JSON array: ["/3/0","/3305/1"]
    object_versions TEXT NOT NULL,     -- JSON object: {"/3":"1.1"}
    registered_at REAL,
    updated_at REAL,
    expires_at REAL,
    last_seen REAL NOT NULL,
    PRIMARY KEY (run_id, endpoint)
  );
  CREATE INDEX endpoints_by_name ON endpoints(endpoint);
  CREATE TABLE observations (
    run_id INTEGER NOT NULL REFERENCES runs(id),
    id INTEGER NOT NULL,
    endpoint TEXT,
    token TEXT NOT NULL,
    client TEXT NOT NULL,
    server TEXT NOT NULL,
    paths TEXT NOT NULL,               -- JSON array
    attributes TEXT NOT NULL,          -- JSON object: pmin, pmax, gt, lt, st in force
    state TEXT NOT NULL,
    ended_by TEXT,
    notifications INTEGER NOT NULL,
    last_seq INTEGER,
    reordered INTEGER NOT NULL,
    late_notifications INTEGER NOT NULL, -- still arriving after the cancellation or end
    started_at REAL NOT NULL,
    last_notified_at REAL,
    ended_at REAL,
    PRIMARY KEY (run_id, id)
  );
  CREATE TABLE resources (
    run_id INTEGER NOT NULL REFERENCES runs(id),
    endpoint TEXT NOT NULL,
    path TEXT NOT NULL,
    name TEXT,
    type TEXT NOT NULL,
    value,                             -- as decoded; booleans as 0/1 (see type)
    updated_at REAL NOT NULL,
    PRIMARY KEY (run_id, endpoint, path)
  );
  CREATE TABLE bootstrap_sessions (
    run_id INTEGER NOT NULL REFERENCES runs(id),
    id INTEGER NOT NULL,
    endpoint TEXT,
    client TEXT NOT NULL,
    server TEXT NOT NULL,
    state TEXT NOT NULL,
    error TEXT,
    steps TEXT NOT NULL,               -- JSON array; written values appear as path and length only
    started_at REAL NOT NULL,
    finished_at REAL,
    PRIMARY KEY (run_id, id)
  );
  CREATE TABLE events (
    id INTEGER PRIMARY KEY,
    run_id INTEGER REFERENCES runs(id),
    ts REAL NOT NULL,
    rule TEXT NOT NULL,
    severity TEXT NOT NULL,
    endpoint TEXT,
    src TEXT,
    dst TEXT,
    frame INTEGER,
    message TEXT NOT NULL,
    details TEXT                       -- JSON
  );
  CREATE INDEX events_by_ts ON events(ts);
  CREATE TABLE messages (
    run_id INTEGER NOT NULL REFERENCES runs(id),
    frame INTEGER NOT NULL,
    ts REAL NOT NULL,
    src TEXT NOT NULL,
    dst TEXT NOT NULL,
    operation TEXT,
    endpoint TEXT,
    record TEXT NOT NULL               -- the NDJSON message record
  );
  CREATE INDEX messages_by_frame ON messages(run_id, frame);
  `,
  // 2: live capture counters, event suppression counts, DTLS sessions.
  `
  ALTER TABLE runs ADD COLUMN interface TEXT;            -- live runs: the capture interface
  ALTER TABLE runs ADD COLUMN packets_received INTEGER;  -- live runs: libpcap's counters
  ALTER TABLE runs ADD COLUMN dropped_kernel INTEGER;
  ALTER TABLE runs ADD COLUMN dropped_interface INTEGER;
  ALTER TABLE runs ADD COLUMN dropped_pipeline INTEGER;  -- packets coapwatch itself could not keep up with
  ALTER TABLE runs ADD COLUMN events INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE events ADD COLUMN count INTEGER NOT NULL DEFAULT 1; -- identical events collapsed by suppression
  ALTER TABLE events ADD COLUMN last_ts REAL;            -- time of the last collapsed one
  CREATE INDEX events_by_rule ON events(rule);
  CREATE INDEX events_by_endpoint ON events(endpoint);
  CREATE TABLE dtls_sessions (
    run_id INTEGER NOT NULL REFERENCES runs(id),
    id INTEGER NOT NULL,
    client TEXT NOT NULL,
    server TEXT NOT NULL,
    endpoint TEXT,                     -- the LwM2M endpoint, where the PSK identity or address tells
    version TEXT,                      -- e.g. "DTLS 1.2"
    state TEXT NOT NULL,               -- handshake, established, failed, closed
    cipher_suite TEXT,                 -- chosen by the server, IANA name
    offered_suites TEXT,               -- JSON array of IANA names
    psk_identity TEXT,
    psk_identity_hint TEXT,
    sni TEXT,
    certificates TEXT,                 -- JSON array: subject, issuer, not_before, not_after
    alerts TEXT NOT NULL,              -- JSON array: {ts, level, description}
    decryption TEXT,                   -- null: no key; ok; failed
    records INTEGER NOT NULL,
    app_data_bytes INTEGER NOT NULL,
    started_at REAL NOT NULL,
    last_seen REAL NOT NULL,
    PRIMARY KEY (run_id, id)
  );
  `,
  // 3: numeric resource samples (the dashboard's sparklines), messages by endpoint (its ladder).
  `
  CREATE TABLE resource_samples (
    run_id INTEGER NOT NULL REFERENCES runs(id),
    endpoint TEXT NOT NULL,
    path TEXT NOT NULL,
    ts REAL NOT NULL,                  -- capture time of the value (or its SenML time)
    value REAL NOT NULL
  );
  CREATE INDEX resource_samples_by_path ON resource_samples(run_id, endpoint, path, ts);
  CREATE INDEX messages_by_endpoint ON messages(run_id, endpoint, frame);
  `,
  // 4: the DTLS session linked to each endpoint.
  `
  ALTER TABLE endpoints ADD COLUMN dtls TEXT; -- JSON {session, state, cipherSuite, pskIdentity}, or null: no DTLS seen
  `,
  // 5: runs stopped by a signal are told from runs that read their whole input.
  `
  ALTER TABLE runs ADD COLUMN interrupted_by TEXT; -- SIGINT or SIGTERM when a signal stopped the run; null otherwise
  `,
  // 6: indexes for the dashboard over 10^6 endpoints: each sort column of the endpoints list (with
  // the name as tie-breaker, so a page is an index range whichever way it is read; expressions as
  // the dashboard's ORDER BY writes them), and events by run and severity (the overview's counts)
  // and by run and endpoint (the counts per endpoint the events sort pages through).
  `
  CREATE INDEX endpoints_by_last_seen ON endpoints(run_id, last_seen, endpoint);
  CREATE INDEX endpoints_by_state ON endpoints(run_id, state, endpoint);
  CREATE INDEX endpoints_by_address ON endpoints(run_id, address, endpoint);
  CREATE INDEX endpoints_by_expiry ON endpoints(run_id, IFNULL(expires_at, -1), endpoint);
  CREATE INDEX endpoints_by_object_count ON endpoints(run_id, json_array_length(objects), endpoint);
  CREATE INDEX events_by_run_severity ON events(run_id, severity);
  CREATE INDEX events_by_run_endpoint ON events(run_id, endpoint);
  `,
  // 7: the run's tables that reached their bound.
  `
  ALTER TABLE runs ADD COLUMN overflow TEXT; -- JSON [{"table","bound","evicted"}]; [] none full; null: run from before it was recorded
  `,
  // 8: events get their id in the run's NDJSON stream, and the answer to the request they were raised on.
  `
  ALTER TABLE events ADD COLUMN seq INTEGER;             -- the event's id in its run (NDJSON "id", named by event-outcome and event-repeats lines)
  ALTER TABLE events ADD COLUMN outcome TEXT;            -- pending, success, refused, error, no-answer; null: not raised on a request
  ALTER TABLE events ADD COLUMN outcome_code TEXT;       -- the answer's CoAP code ("4.01"), RST for a reset; null: no answer
  ALTER TABLE events ADD COLUMN outcome_frame INTEGER;   -- the answer's frame; null: no answer
  ALTER TABLE events ADD COLUMN outcome_ts REAL;         -- when the answer (or its absence) was known
  ALTER TABLE events ADD COLUMN outcome_request INTEGER; -- frame of the request answered: the event's, or one folded into it
  `,
  // 9: the message index: every message of every run, compact (numbers and interned strings),
  // with where its frame lies in the capture, so that its full dissection is read again from
  // the source bytes on demand instead of being stored.
  `
  CREATE TABLE index_strings (
    id INTEGER PRIMARY KEY,
    text TEXT NOT NULL UNIQUE          -- addresses, endpoint names, paths, operations, shared by every run
  );
  CREATE TABLE capture_files (
    run_id INTEGER NOT NULL REFERENCES runs(id),
    file INTEGER NOT NULL,             -- 0: the capture analyze read, or monitor's --write file; then its rotations
    path TEXT NOT NULL,                -- absolute
    size INTEGER,                      -- bytes, at the run's last commit
    mtime REAL,                        -- modification time, seconds since the epoch, at the run's last commit
    PRIMARY KEY (run_id, file)
  ) WITHOUT ROWID;
  CREATE TABLE message_index (
    run_id INTEGER NOT NULL,
    frame INTEGER NOT NULL,
    n INTEGER NOT NULL,                -- 0; 1, 2, ... for further messages of the same frame (TCP)
    ts REAL NOT NULL,
    src INTEGER NOT NULL,              -- index_strings
    dst INTEGER NOT NULL,              -- index_strings
    transport INTEGER NOT NULL,        -- 0 udp, 1 tcp, 2 dtls
    type INTEGER,                      -- 0 CON, 1 NON, 2 ACK, 3 RST; null over TCP
    code INTEGER NOT NULL,             -- the code byte: class << 5 | detail
    role INTEGER NOT NULL,             -- 0 request, 1 response, 2 notification, 3 ack, 4 reset, 5 ping, 6 signal
    operation INTEGER,                 -- index_strings; null: malformed
    endpoint INTEGER,                  -- index_strings
    path INTEGER,                      -- index_strings: the LwM2M path, else the CoAP path
    content_format INTEGER,
    size INTEGER NOT NULL,             -- bytes of the CoAP message
    response_to INTEGER,               -- frame of the request this answers (or the message it acknowledges)
    response_in INTEGER,               -- on a request: frame of its first response
    retransmission_of INTEGER,         -- frame of the message this repeats
    error INTEGER,                     -- index_strings: why the message is malformed
    file INTEGER,                      -- capture_files.file holding the frame; null: none (live without --write)
    offset INTEGER,                    -- byte offset of the frame's record in that file
    link_type INTEGER,                 -- LINKTYPE_ of the frame
    PRIMARY KEY (run_id, frame, n)
  ) WITHOUT ROWID;
  CREATE INDEX message_index_by_endpoint ON message_index(run_id, endpoint, frame);
  CREATE TABLE event_frames (          -- where each frame an event names lies (DTLS records carry no message)
    run_id INTEGER NOT NULL,
    frame INTEGER NOT NULL,
    ts REAL NOT NULL,
    file INTEGER NOT NULL,
    offset INTEGER NOT NULL,
    link_type INTEGER NOT NULL,
    PRIMARY KEY (run_id, frame)
  ) WITHOUT ROWID;
  `,
  // 10: the sensor that wrote each run (--sensor, default the host name), as a PostgreSQL store keeps it in every row.
  `
  ALTER TABLE runs ADD COLUMN sensor TEXT; -- null: a run from before it was recorded
  `,
  // 11: events by their id in the run: the run writer's thread finds an event a later batch
  // changes (count, severity, outcome) by it, as the PostgreSQL store does.
  `
  CREATE INDEX events_by_run_seq ON events(run_id, seq);
  `,
];

export const SCHEMA_VERSION = MIGRATIONS.length;

/** Brings the database to SCHEMA_VERSION, each migration in its own transaction. */
export function migrate(db: Database.Database): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > SCHEMA_VERSION) {
    throw new StoreError(`database schema version ${current} is newer than this coapwatch understands (${SCHEMA_VERSION})`);
  }
  for (let v = current; v < SCHEMA_VERSION; v++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[v]);
      db.pragma(`user_version = ${v + 1}`);
    }).immediate();
  }
}

/** Columns of every table at each schema version, built once per version from the migrations themselves. */
const columnsByVersion = new Map<number, Map<string, string[]>>();

function columnsAt(version: number): Map<string, string[]> {
  let tables = columnsByVersion.get(version);
  if (tables) return tables;
  const reference = new Database(':memory:');
  try {
    for (let v = 0; v < version; v++) reference.exec(MIGRATIONS[v]);
    tables = tableColumns(reference);
  } finally {
    reference.close();
  }
  columnsByVersion.set(version, tables);
  return tables;
}

function tableColumns(db: Database.Database): Map<string, string[]> {
  const tables = new Map<string, string[]>();
  const names = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").pluck().all() as string[];
  const info = db.prepare('SELECT name FROM pragma_table_info(?)').pluck();
  for (const name of names) tables.set(name, info.all(name) as string[]);
  return tables;
}

/**
 * Refuses, in one line, a database this coapwatch cannot read: not written by coapwatch (no
 * schema version, or its tables missing), written by a newer coapwatch, or missing a column its
 * schema version has (damaged or edited by hand). Every reader opens through this check, so a
 * query never fails half-way through a listing or a screen, and no missing column reaches the
 * screen as "undefined". Names read from the file are sanitized: they are the file's text.
 */
export function checkSchema(db: Database.Database, path: string): void {
  const version = db.pragma('user_version', { simple: true }) as number;
  if (version > SCHEMA_VERSION) {
    throw new StoreError(`database ${path}: schema version ${version} is newer than this coapwatch understands (${SCHEMA_VERSION})`);
  }
  const present = tableColumns(db);
  if (version <= 0) {
    throw new StoreError(present.size === 0
      ? `database ${path} is empty: not a coapwatch database (written by analyze --db or monitor --db)`
      : `database ${path} is not a coapwatch database (no schema version; tables: ${[...present.keys()].slice(0, 5).map(sanitizeForTerminal).join(', ')})`);
  }
  for (const [table, columns] of columnsAt(version)) {
    const have = present.get(table);
    if (have === undefined) throw new StoreError(`database ${path}: table ${table} is missing (not a coapwatch database, or damaged)`);
    const missing = columns.find((c) => !have.includes(c));
    if (missing !== undefined) throw new StoreError(`database ${path}: table ${table} has no column ${missing} (not a coapwatch database, or damaged)`);
  }
}

/** Whether `table` has `column` (readers of databases from before a column was added). */
export function columnExists(db: Database.Database, table: string, column: string): boolean {
  return (db.prepare('SELECT name FROM pragma_table_info(?)').pluck().all(table) as string[]).includes(column);
}
