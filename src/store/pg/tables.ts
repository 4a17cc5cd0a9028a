import type { IndexRows } from '../message-index.js';

/**
 * The rows a run's writer hands the PostgreSQL worker, per table, in the order of the SQLite
 * statements' parameters (src/store/run-writer.ts), run_id first; the worker adds the sensor.
 * Types are PostgreSQL's, for the unnest() that inserts a whole batch of a table in one statement.
 */
export interface TableSpec {
  table: string;
  columns: ReadonlyArray<readonly [name: string, type: string]>;
  /** ON CONFLICT clause: rows rewritten at each batch replace the earlier version of themselves. */
  conflict: string;
}

const t = (table: string, conflict: string, columns: string): TableSpec => ({
  table,
  conflict,
  columns: columns.trim().split(/,\s*/).map((c) => {
    const [name, type] = c.trim().split(/\s+/);
    return [name, type] as const;
  }),
});

const replaceAll = (key: string, spec: string) => {
  const keys = key.split(',').map((k) => k.trim());
  const set = spec.trim().split(/,\s*/).map((c) => c.trim().split(/\s+/)[0]).filter((c) => !keys.includes(c) && c !== 'run_id')
    .map((c) => `${quote(c)} = EXCLUDED.${quote(c)}`);
  return `ON CONFLICT (${key}) DO UPDATE SET ${set.join(', ')}`;
};

export const quote = (c: string) => (c === 'offset' ? '"offset"' : c);

const ENDPOINT = `run_id bigint, endpoint text, address text, previous_addresses text, location text, state text, lifetime bigint,
  binding text, lwm2m_version text, sms text, queue_mode integer, objects text, object_versions text, registered_at float8,
  updated_at float8, expires_at float8, last_seen float8, dtls text`;
const OBSERVATION = `run_id bigint, id bigint, endpoint text, token text, client text, server text, paths text, attributes text,
  state text, ended_by text, notifications bigint, last_seq bigint, reordered bigint, late_notifications bigint, started_at float8,
  last_notified_at float8, ended_at float8`;
const RESOURCE = 'run_id bigint, endpoint text, path text, name text, type text, value jsonb, updated_at float8';
const SESSION = `run_id bigint, id bigint, endpoint text, client text, server text, state text, error text, steps text,
  started_at float8, finished_at float8`;
const DTLS = `run_id bigint, id bigint, client text, server text, endpoint text, version text, state text, cipher_suite text,
  offered_suites text, psk_identity text, psk_identity_hint text, sni text, certificates text, alerts text, decryption text,
  records bigint, app_data_bytes bigint, started_at float8, last_seen float8`;
const EVENT = `run_id bigint, ts float8, rule text, severity text, endpoint text, src text, dst text, frame bigint, message text,
  details text, count bigint, last_ts float8, seq bigint, outcome text, outcome_code text, outcome_frame bigint, outcome_ts float8,
  outcome_request bigint`;
export const INDEX = `run_id bigint, frame bigint, n integer, ts float8, src bigint, dst bigint, transport smallint, type smallint,
  code smallint, role smallint, operation bigint, endpoint bigint, path bigint, content_format integer, size integer, response_to bigint,
  response_in bigint, retransmission_of bigint, error bigint, file bigint, offset bigint, link_type integer`;

export { INDEX_STRING_COLUMNS } from '../message-index.js';

export const TABLES = {
  endpoint: t('endpoints', replaceAll('run_id, endpoint', ENDPOINT), ENDPOINT),
  /** Not inserted: the last-seen times of endpoints written before (see writeBatch). */
  endpointSeen: t('endpoints', '', 'last_seen float8, run_id bigint, endpoint text'),
  observation: t('observations', replaceAll('run_id, id', OBSERVATION), OBSERVATION),
  resource: t('resources', replaceAll('run_id, endpoint, path', RESOURCE), RESOURCE),
  sample: t('resource_samples', '', 'run_id bigint, endpoint text, path text, ts float8, value float8'),
  session: t('bootstrap_sessions', replaceAll('run_id, id', SESSION), SESSION),
  dtls: t('dtls_sessions', replaceAll('run_id, id', DTLS), DTLS),
  message: t('messages', '', 'run_id bigint, frame bigint, ts float8, src text, dst text, operation text, endpoint text, record text'),
  event: t('events', `ON CONFLICT (run_id, seq) DO UPDATE SET count = EXCLUDED.count, last_ts = EXCLUDED.last_ts,
    severity = EXCLUDED.severity, outcome = EXCLUDED.outcome, outcome_code = EXCLUDED.outcome_code, outcome_frame = EXCLUDED.outcome_frame,
    outcome_ts = EXCLUDED.outcome_ts, outcome_request = EXCLUDED.outcome_request`, EVENT),
  index: t('message_index', '', INDEX),
  eventFrame: t('event_frames', 'ON CONFLICT (run_id, frame) DO NOTHING',
    'run_id bigint, frame bigint, ts float8, file bigint, offset bigint, link_type integer'),
  file: t('capture_files', 'ON CONFLICT (run_id, file) DO UPDATE SET path = EXCLUDED.path, size = EXCLUDED.size, mtime = EXCLUDED.mtime',
    'run_id bigint, file bigint, path text, size bigint, mtime float8'),
} satisfies Record<string, TableSpec>;

export type TableName = keyof typeof TABLES;

/** One batch of a run: everything that changed since the last, written in one transaction. */
export interface PgBatch {
  rows: Partial<Record<TableName, unknown[][]>>;
  /** The message index's rows, strings not yet interned (see MessageIndexWriter.take). */
  index: IndexRows;
  /** Late answers to requests of earlier batches: [response frame, request frame]. */
  answered: Array<[number, number]>;
  /** runs row: [messages, capture_start, capture_end, events, overflow]. */
  progress: unknown[];
  /** runs row, live runs: [interface, packets_received, dropped_kernel, dropped_interface, dropped_pipeline]. */
  live: unknown[] | null;
  /** runs row, the last batch: [finished_at, packets, interrupted_by]. */
  finish: unknown[] | null;
}
