import type Database from 'better-sqlite3';
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
  // 5: the run's tables that reached their bound.
  `
  ALTER TABLE runs ADD COLUMN overflow TEXT; -- JSON [{"table","bound","evicted"}]; [] none full; null: run from before it was recorded
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
