/**
 * The thread that talks to PostgreSQL for one connection. node-postgres is asynchronous and the
 * analysis is not (a capture is read in one synchronous loop, and the readers are iterators), so
 * the connection lives here and the main thread's PgConnection sends it requests: batches
 * without waiting (written in order, one transaction each), queries and cursors waiting on a
 * shared counter. Every request gets exactly one reply, in order.
 */
import pg from 'pg';
import { parentPort, workerData } from 'node:worker_threads';
import { INDEX_STRING_COLUMNS, quote, TABLES, type PgBatch, type TableName, type TableSpec } from './tables.js';
import { MAX_INTERNED_STRINGS } from '../index-strings.js';
import { indexRowValues } from '../message-index.js';
import { PRUNED_HISTORY } from '../prune-history.js';
import { MIGRATION_LOCK, PG_MIGRATIONS, PG_SCHEMA_VERSION } from './schema.js';
import { replier, type WorkerChannel } from '../worker-connection.js';
import { asStoreError } from '../errors.js';

export type PgRequest =
  | { op: 'open'; migrate: boolean }
  | { op: 'run'; sensor: string; source: string; startedAt: number }
  | { op: 'batch'; runId: number; sensor: string; batch: PgBatch }
  | { op: 'query'; sql: string; params: unknown[] }
  | { op: 'cursor'; name: string; sql: string; params: unknown[]; begin: boolean }
  | { op: 'fetch'; name: string; rows: number }
  | { op: 'close-cursor'; name: string; commit: boolean }
  | { op: 'prune'; cutoff: number; keepRun: number | null; sensor: string | null }
  | { op: 'end' };

export interface PgWorkerData extends WorkerChannel {
  url: string;
}


if (parentPort !== null && workerData !== null && (workerData as Partial<PgWorkerData>).replies) {
  const data = workerData as PgWorkerData;
  // BIGINT columns as numbers (the SQLite store's integers are numbers: frames, ids, counters).
  pg.types.setTypeParser(20, (v) => Number(v));
  // SUM() of integers is NUMERIC: a number too (counts far below 2^53).
  pg.types.setTypeParser(1700, (v) => Number(v));
  const client = new pg.Client({ connectionString: data.url, application_name: 'coapwatch', connectionTimeoutMillis: 15_000 });
  // A server that goes away between requests: the next request fails with its one-line error.
  client.on('error', () => undefined);
  const reply = replier(data);
  const strings = new Map<string, number>();
  let chain: Promise<void> = Promise.resolve();
  let dead: string | null = null;

  const handle = async (req: PgRequest): Promise<unknown> => {
    switch (req.op) {
      case 'open':
        await client.connect();
        if (req.migrate) await migrate(client);
        else await checkSchema(client);
        return null;
      case 'run': {
        const r = await client.query('INSERT INTO runs (sensor, source, started_at) VALUES ($1, $2, $3) RETURNING id', [req.sensor, req.source, req.startedAt]);
        return r.rows[0].id as number;
      }
      case 'batch':
        await writeBatch(client, strings, req.runId, req.sensor, req.batch);
        return null;
      case 'query':
        return (await client.query(req.sql, req.params)).rows;
      case 'cursor':
        // Cursors live in a transaction: the first one open begins it, the last one closed ends it.
        if (req.begin) await client.query('BEGIN READ ONLY');
        await client.query(`DECLARE ${cursorName(req.name)} NO SCROLL CURSOR FOR ${req.sql}`, req.params);
        return null;
      case 'fetch':
        return (await client.query(`FETCH ${Math.trunc(req.rows)} FROM ${cursorName(req.name)}`)).rows;
      case 'close-cursor':
        await client.query(`CLOSE ${cursorName(req.name)}`);
        if (req.commit) await client.query('COMMIT');
        return null;
      case 'prune':
        return await prune(client, req.cutoff, req.keepRun, req.sensor);
      case 'end':
        await client.end();
        return null;
    }
  };

  data.port.on('message', (req: PgRequest) => {
    chain = chain.then(async () => {
      if (dead !== null) return reply({ ok: false, message: dead });
      try {
        reply({ ok: true, value: await handle(req) });
      } catch (err) {
        const e = (err ?? {}) as { message?: unknown };
        // A failed batch rolls back; the connection is kept only for queries (a run whose batch
        // failed would otherwise go on with a gap in it).
        if (req.op === 'batch') {
          await client.query('ROLLBACK').catch(() => undefined);
          dead = `database ${data.location}: an earlier batch failed: ${String(e.message ?? err).split('\n')[0]}`;
        }
        reply({ ok: false, message: asStoreError(data.location, err).message });
      }
    });
  });
}

/**
 * The PostgreSQL form of src/store/prune.ts's pruneOlderThan, in one transaction: the same
 * selection of runs (and of one sensor's runs when `sensor` is given), their rows in every table
 * keyed by run, then the old history rows of the live runs that are kept. Interned strings
 * (index_strings) are shared by every run and stay.
 */
async function prune(client: pg.Client, cutoff: number, keepRun: number | null, sensor: string | null): Promise<{ cutoff: number; runs: number; rows: Record<string, number> }> {
  await client.query('BEGIN');
  try {
    const found = await client.query(`SELECT c.relname AS name FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid
      WHERE c.relkind = 'r' AND c.relnamespace = current_schema()::regnamespace AND a.attname = 'run_id' AND NOT a.attisdropped`);
    // Sorted here rather than by the server's collation: the summary lists tables as SQLite's prune does.
    const tables = (found.rows as Array<{ name: string }>).map((r) => r.name).filter((t) => t !== 'runs').sort();
    const selected = await client.query(`SELECT id FROM runs WHERE COALESCE(finished_at, capture_end, started_at) < $1
      AND id IS DISTINCT FROM $2 AND ($3::text IS NULL OR sensor = $3) FOR UPDATE`, [cutoff, keepRun, sensor]);
    const ids = (selected.rows as Array<{ id: number }>).map((r) => r.id);
    const rows: Record<string, number> = {};
    const add = (table: string, n: number | null) => {
      if (n) rows[table] = (rows[table] ?? 0) + n;
    };
    for (const table of tables) add(table, (await client.query(`DELETE FROM "${table}" WHERE run_id = ANY($1::bigint[])`, [ids])).rowCount);
    const runs = (await client.query('DELETE FROM runs WHERE id = ANY($1::bigint[])', [ids])).rowCount ?? 0;
    for (const [table, time] of PRUNED_HISTORY) {
      if (!tables.includes(table)) continue;
      add(table, (await client.query(`DELETE FROM "${table}" WHERE run_id IN (SELECT id FROM runs WHERE interface IS NOT NULL
        AND ($2::text IS NULL OR sensor = $2)) AND ${time} < $1`, [cutoff, sensor])).rowCount);
    }
    await client.query('COMMIT');
    return { cutoff, runs, rows };
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}

function cursorName(name: string): string {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`bad cursor name ${name}`);
  return name;
}

async function migrate(client: pg.Client): Promise<void> {
  // Sensors starting together: the first migrates, the others wait for it and find nothing to do.
  await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
  try {
    await client.query(`CREATE TABLE IF NOT EXISTS coapwatch_migrations (
      version INTEGER PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())`);
    const current = await schemaVersion(client);
    if (current > PG_SCHEMA_VERSION) throw new Error(`schema version ${current} is newer than this coapwatch understands (${PG_SCHEMA_VERSION})`);
    for (let v = current; v < PG_SCHEMA_VERSION; v++) {
      await client.query('BEGIN');
      try {
        await client.query(PG_MIGRATIONS[v]);
        await client.query('INSERT INTO coapwatch_migrations (version) VALUES ($1)', [v + 1]);
        await client.query('COMMIT');
      } catch (err) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw err;
      }
    }
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]).catch(() => undefined);
  }
}

async function schemaVersion(client: pg.Client): Promise<number> {
  const r = await client.query('SELECT COALESCE(MAX(version), 0) AS v FROM coapwatch_migrations');
  return Number(r.rows[0].v);
}

/** Readers never create or change the schema; a database coapwatch did not write is refused in one line. */
async function checkSchema(client: pg.Client): Promise<void> {
  const exists = await client.query("SELECT to_regclass('coapwatch_migrations') IS NOT NULL AS present");
  if (!exists.rows[0].present) throw new Error('not a coapwatch database (no coapwatch_migrations table: written by analyze --db or monitor --db)');
  const version = await schemaVersion(client);
  if (version > PG_SCHEMA_VERSION) throw new Error(`schema version ${version} is newer than this coapwatch understands (${PG_SCHEMA_VERSION})`);
  if (version < 1) throw new Error('not a coapwatch database (no schema version)');
}

/** One statement per table for a whole batch: one array parameter per column, unnest()ed into rows. */
async function insertRows(client: pg.Client, spec: TableSpec, sensor: string, rows: unknown[][]): Promise<void> {
  if (rows.length === 0) return;
  const columns = spec.columns;
  const arrays: unknown[][] = columns.map(() => new Array(rows.length));
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i];
    for (let c = 0; c < columns.length; c++) arrays[c][i] = row[c] ?? null;
  }
  const names = ['sensor', ...columns.map(([name]) => quote(name))].join(', ');
  const unnest = columns.map(([, type], c) => `$${c + 2}::${type}[]`).join(', ');
  const literals = arrays.map((values, c) => arrayLiteral(values, NUMERIC_TYPES.has(columns[c][1])));
  await client.query(`INSERT INTO ${spec.table} (${names}) SELECT $1, * FROM unnest(${unnest}) ${spec.conflict}`, [sensor, ...literals]);
}

const NUMERIC_TYPES = new Set(['bigint', 'integer', 'smallint', 'float8']);

/**
 * A column's values as a PostgreSQL array literal. Written here rather than by node-postgres
 * (which quotes and escapes every element through a regular expression) because a batch is a
 * few million elements, mostly numbers: a number's shortest round-trip text is exact for float8
 * and needs no quoting; text is quoted with its backslashes and double quotes escaped.
 */
function arrayLiteral(values: unknown[], numeric: boolean): string {
  const parts = new Array<string>(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v === null || v === undefined) parts[i] = 'NULL';
    else if (numeric) parts[i] = typeof v === 'number' ? String(v) : `"${String(v).replace(/["\\]/g, '\\$&')}"`;
    else parts[i] = `"${String(v).replace(/["\\]/g, '\\$&')}"`;
  }
  return `{${parts.join(',')}}`;
}

async function writeBatch(client: pg.Client, strings: Map<string, number>, runId: number, sensor: string, batch: PgBatch): Promise<void> {
  const index = Array.from({ length: batch.index.count }, (_, i) => indexRowValues(batch.index, i));
  // Interned strings first, each in a statement of its own outside the batch's transaction (sorted,
  // so that sensors interning the same new strings at once take their locks in one order).
  await intern(client, strings, index);
  await client.query('BEGIN');
  for (const name of ['endpoint', 'observation', 'resource', 'sample', 'session', 'dtls', 'message'] as const) {
    await insertRows(client, TABLES[name], sensor, batch.rows[name] ?? []);
  }
  const seen = batch.rows.endpointSeen ?? [];
  if (seen.length > 0) {
    await client.query(`UPDATE endpoints e SET last_seen = s.last_seen FROM unnest($1::float8[], $2::text[]) AS s(last_seen, endpoint)
      WHERE e.run_id = $3 AND e.endpoint = s.endpoint`, [seen.map((r) => r[0]), seen.map((r) => r[2]), runId]);
  }
  const inOrder = index.filter((r) => r[2] !== -1);
  await insertRows(client, TABLES.index, sensor, inOrder);
  // A frame drained out of order (TCP reassembly at the end of a capture): numbered after that
  // frame's rows, one at a time as the SQLite writer does.
  for (const r of index) {
    if (r[2] !== -1) continue;
    const next = await client.query('SELECT COALESCE(MAX(n), -1) + 1 AS n FROM message_index WHERE run_id = $1 AND frame = $2', [runId, r[1]]);
    await insertRows(client, TABLES.index, sensor, [[r[0], r[1], Number(next.rows[0].n), ...r.slice(3)]]);
  }
  if (batch.answered.length > 0) {
    await client.query(`UPDATE message_index m SET response_in = a.response FROM unnest($1::bigint[], $2::bigint[]) AS a(response, request)
      WHERE m.run_id = $3 AND m.frame = a.request AND m.response_in IS NULL`,
    [batch.answered.map((a) => a[0]), batch.answered.map((a) => a[1]), runId]);
  }
  for (const name of ['eventFrame', 'file', 'event'] as const satisfies TableName[]) {
    await insertRows(client, TABLES[name], sensor, batch.rows[name] ?? []);
  }
  const [messages, captureStart, captureEnd, events, overflow] = batch.progress;
  await client.query('UPDATE runs SET messages = $1, capture_start = $2, capture_end = $3, events = $4, overflow = $5 WHERE id = $6',
    [messages, captureStart, captureEnd, events, overflow, runId]);
  if (batch.live) {
    await client.query(`UPDATE runs SET interface = $1, packets_received = $2, dropped_kernel = $3, dropped_interface = $4,
      dropped_pipeline = $5 WHERE id = $6`, [...batch.live, runId]);
  }
  if (batch.finish) await client.query('UPDATE runs SET finished_at = $1, packets = $2, interrupted_by = $3 WHERE id = $4', [...batch.finish, runId]);
  await client.query('COMMIT');
}

async function intern(client: pg.Client, strings: Map<string, number>, rows: unknown[][]): Promise<void> {
  const missing = new Set<string>();
  const fresh = new Map<string, number>();
  for (const row of rows) {
    for (const c of INDEX_STRING_COLUMNS) {
      const v = row[c];
      if (typeof v === 'string' && !strings.has(v)) missing.add(v);
    }
  }
  if (missing.size > 0) {
    const texts = [...missing];
    await client.query('INSERT INTO index_strings (text) SELECT t FROM unnest($1::text[]) AS t ORDER BY t ON CONFLICT (text) DO NOTHING', [texts]);
    const found = await client.query('SELECT id, text FROM index_strings WHERE text = ANY($1::text[])', [texts]);
    for (const r of found.rows as Array<{ id: number; text: string }>) fresh.set(r.text, r.id);
  }
  for (const row of rows) {
    for (const c of INDEX_STRING_COLUMNS) {
      const v = row[c];
      if (typeof v === 'string') row[c] = strings.get(v) ?? fresh.get(v);
    }
  }
  // The cache is bounded: past it, it starts again (a miss costs a lookup, never a wrong id).
  if (strings.size + fresh.size > MAX_INTERNED_STRINGS) strings.clear();
  for (const [text, id] of fresh) strings.set(text, id);
}
