/**
 * The PostgreSQL schema: the SQLite store's tables (src/store/schema.ts at its current version),
 * in PostgreSQL's types, with the sensor that wrote it in every row, so that many sensors share
 * one database and every table can be read per sensor without a join. Versions are rows of
 * coapwatch_migrations; migrate() runs under an advisory lock, so that sensors starting together
 * migrate once. Append new migrations, never edit a released one.
 */
export const PG_MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE runs (
    id BIGSERIAL PRIMARY KEY,
    sensor TEXT NOT NULL,
    source TEXT NOT NULL,
    started_at DOUBLE PRECISION NOT NULL,
    finished_at DOUBLE PRECISION,
    packets BIGINT,
    messages BIGINT NOT NULL DEFAULT 0,
    capture_start DOUBLE PRECISION,
    capture_end DOUBLE PRECISION,
    interface TEXT,
    packets_received BIGINT,
    dropped_kernel BIGINT,
    dropped_interface BIGINT,
    dropped_pipeline BIGINT,
    events BIGINT NOT NULL DEFAULT 0,
    interrupted_by TEXT,
    overflow TEXT
  );
  CREATE INDEX runs_by_sensor ON runs(sensor, id);
  CREATE TABLE endpoints (
    sensor TEXT NOT NULL,
    run_id BIGINT NOT NULL REFERENCES runs(id),
    endpoint TEXT NOT NULL,
    address TEXT NOT NULL,
    previous_addresses TEXT,
    location TEXT,
    state TEXT NOT NULL,
    lifetime BIGINT NOT NULL,
    binding TEXT NOT NULL,
    lwm2m_version TEXT NOT NULL,
    sms TEXT,
    queue_mode INTEGER NOT NULL,
    objects TEXT NOT NULL,
    object_versions TEXT NOT NULL,
    registered_at DOUBLE PRECISION,
    updated_at DOUBLE PRECISION,
    expires_at DOUBLE PRECISION,
    last_seen DOUBLE PRECISION NOT NULL,
    dtls TEXT,
    PRIMARY KEY (run_id, endpoint)
  );
  CREATE INDEX endpoints_by_name ON endpoints(endpoint);
  CREATE INDEX endpoints_by_last_seen ON endpoints(last_seen, run_id, endpoint);
  CREATE INDEX endpoints_by_sensor ON endpoints(sensor, last_seen);
  CREATE TABLE observations (
    sensor TEXT NOT NULL,
    run_id BIGINT NOT NULL REFERENCES runs(id),
    id BIGINT NOT NULL,
    endpoint TEXT,
    token TEXT NOT NULL,
    client TEXT NOT NULL,
    server TEXT NOT NULL,
    paths TEXT NOT NULL,
    attributes TEXT NOT NULL,
    state TEXT NOT NULL,
    ended_by TEXT,
    notifications BIGINT NOT NULL,
    last_seq BIGINT,
    reordered BIGINT NOT NULL,
    late_notifications BIGINT NOT NULL,
    started_at DOUBLE PRECISION NOT NULL,
    last_notified_at DOUBLE PRECISION,
    ended_at DOUBLE PRECISION,
    PRIMARY KEY (run_id, id)
  );
  CREATE TABLE resources (
    sensor TEXT NOT NULL,
    run_id BIGINT NOT NULL REFERENCES runs(id),
    endpoint TEXT NOT NULL,
    path TEXT NOT NULL,
    name TEXT,
    type TEXT NOT NULL,
    value JSONB,                       -- as decoded (number or string); booleans as 0/1, as in SQLite
    updated_at DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (run_id, endpoint, path)
  );
  CREATE TABLE resource_samples (
    sensor TEXT NOT NULL,
    run_id BIGINT NOT NULL REFERENCES runs(id),
    endpoint TEXT NOT NULL,
    path TEXT NOT NULL,
    ts DOUBLE PRECISION NOT NULL,
    value DOUBLE PRECISION NOT NULL
  );
  CREATE INDEX resource_samples_by_path ON resource_samples(run_id, endpoint, path, ts);
  CREATE TABLE bootstrap_sessions (
    sensor TEXT NOT NULL,
    run_id BIGINT NOT NULL REFERENCES runs(id),
    id BIGINT NOT NULL,
    endpoint TEXT,
    client TEXT NOT NULL,
    server TEXT NOT NULL,
    state TEXT NOT NULL,
    error TEXT,
    steps TEXT NOT NULL,
    started_at DOUBLE PRECISION NOT NULL,
    finished_at DOUBLE PRECISION,
    PRIMARY KEY (run_id, id)
  );
  CREATE TABLE dtls_sessions (
    sensor TEXT NOT NULL,
    run_id BIGINT NOT NULL REFERENCES runs(id),
    id BIGINT NOT NULL,
    client TEXT NOT NULL,
    server TEXT NOT NULL,
    endpoint TEXT,
    version TEXT,
    state TEXT NOT NULL,
    cipher_suite TEXT,
    offered_suites TEXT,
    psk_identity TEXT,
    psk_identity_hint TEXT,
    sni TEXT,
    certificates TEXT,
    alerts TEXT NOT NULL,
    decryption TEXT,
    records BIGINT NOT NULL,
    app_data_bytes BIGINT NOT NULL,
    started_at DOUBLE PRECISION NOT NULL,
    last_seen DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (run_id, id)
  );
  CREATE TABLE events (
    id BIGSERIAL PRIMARY KEY,
    sensor TEXT NOT NULL,
    run_id BIGINT REFERENCES runs(id),
    ts DOUBLE PRECISION NOT NULL,
    rule TEXT NOT NULL,
    severity TEXT NOT NULL,
    endpoint TEXT,
    src TEXT,
    dst TEXT,
    frame BIGINT,
    message TEXT NOT NULL,
    details TEXT,
    count BIGINT NOT NULL DEFAULT 1,
    last_ts DOUBLE PRECISION,
    seq BIGINT NOT NULL,               -- the event's id in its run: a run's writer upserts by it
    outcome TEXT,
    outcome_code TEXT,
    outcome_frame BIGINT,
    outcome_ts DOUBLE PRECISION,
    outcome_request BIGINT,
    UNIQUE (run_id, seq)
  );
  CREATE INDEX events_by_ts ON events(ts, id);
  CREATE INDEX events_by_rule ON events(rule);
  CREATE INDEX events_by_endpoint ON events(endpoint);
  CREATE INDEX events_by_sensor ON events(sensor, ts);
  CREATE TABLE messages (
    sensor TEXT NOT NULL,
    run_id BIGINT NOT NULL REFERENCES runs(id),
    frame BIGINT NOT NULL,
    ts DOUBLE PRECISION NOT NULL,
    src TEXT NOT NULL,
    dst TEXT NOT NULL,
    operation TEXT,
    endpoint TEXT,
    record TEXT NOT NULL
  );
  CREATE INDEX messages_by_frame ON messages(run_id, frame);
  CREATE INDEX messages_by_endpoint ON messages(run_id, endpoint, frame);
  CREATE TABLE index_strings (
    id BIGSERIAL PRIMARY KEY,
    text TEXT NOT NULL UNIQUE          -- shared by every run of every sensor
  );
  CREATE TABLE capture_files (
    sensor TEXT NOT NULL,
    run_id BIGINT NOT NULL REFERENCES runs(id),
    file BIGINT NOT NULL,
    path TEXT NOT NULL,                -- on the sensor's host
    size BIGINT,
    mtime DOUBLE PRECISION,
    PRIMARY KEY (run_id, file)
  );
  CREATE TABLE message_index (
    sensor TEXT NOT NULL,
    run_id BIGINT NOT NULL,
    frame BIGINT NOT NULL,
    n INTEGER NOT NULL,
    ts DOUBLE PRECISION NOT NULL,
    src BIGINT NOT NULL,
    dst BIGINT NOT NULL,
    transport SMALLINT NOT NULL,
    type SMALLINT,
    code SMALLINT NOT NULL,
    role SMALLINT NOT NULL,
    operation BIGINT,
    endpoint BIGINT,
    path BIGINT,
    content_format INTEGER,
    size INTEGER NOT NULL,
    response_to BIGINT,
    response_in BIGINT,
    retransmission_of BIGINT,
    error BIGINT,
    file BIGINT,
    "offset" BIGINT,
    link_type INTEGER,
    PRIMARY KEY (run_id, frame, n)
  );
  CREATE INDEX message_index_by_endpoint ON message_index(run_id, endpoint, frame);
  CREATE TABLE event_frames (
    sensor TEXT NOT NULL,
    run_id BIGINT NOT NULL,
    frame BIGINT NOT NULL,
    ts DOUBLE PRECISION NOT NULL,
    file BIGINT NOT NULL,
    "offset" BIGINT NOT NULL,
    link_type INTEGER NOT NULL,
    PRIMARY KEY (run_id, frame)
  );
  `,
];

export const PG_SCHEMA_VERSION = PG_MIGRATIONS.length;

/** Any key of the session's advisory locks: coapwatch's migrations, whichever sensor runs them. */
export const MIGRATION_LOCK = 0x636f6170; // "coap"
