import Database from 'better-sqlite3';
import pg from 'pg';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyzeFile } from '../support/analyze.js';
import { hasLibpcap, isRoot, reapOnExit, rootReason } from '../support/live.js';
import { startPostgres, type ThrowawayPostgres } from '../support/postgres.js';

/*
 * --db postgres://: many sensors writing into one PostgreSQL database, against a throwaway
 * server (initdb + pg_ctl in a temporary folder, Unix socket only). Skipped where PostgreSQL is
 * not installed (.ci/run installs Debian's postgresql package).
 */
const root = join(import.meta.dirname, '../..');
const bin = join(root, 'bin/coapwatch.js');
const dir = mkdtempSync(join(tmpdir(), 'coapwatch-e2e-pg-'));
const server: ThrowawayPostgres | null = startPostgres();
const PASSWORD = server?.password ?? '';

/** The URL with the user's password in it: it may show nowhere. */
const urlOf = (database: string) => server!.url(database).replace('coapwatch@', `coapwatch:${PASSWORD}@`);

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The environment of the commands run: without the PG* variables of whoever runs the tests. */
const ENV = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('PG')));

function runAsync(args: string[], started?: (pid: number) => void): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], { env: ENV });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject).on('close', (code) => resolve({ code, stdout, stderr }));
    started?.(child.pid!);
  });
}

function run(...args: string[]): Result {
  return runIn(ENV, ...args);
}

function runIn(env: NodeJS.ProcessEnv, ...args: string[]): Result {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', env });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const ndjson = (stdout: string) => stdout.trimEnd().split('\n').filter(Boolean).map((l) => JSON.parse(l));

async function connect(database: string): Promise<pg.Client> {
  pg.types.setTypeParser(20, (v) => Number(v));
  const client = new pg.Client({ connectionString: urlOf(database) });
  await client.connect();
  return client;
}

type Row = Record<string, unknown>;

/** Columns that differ between two stores of the same runs by nature: ids and wall-clock times. */
const UNCOMPARABLE: Record<string, string[]> = { runs: ['id', 'started_at', 'finished_at'], events: ['id'] };
/** message_index columns that hold an index_strings id: compared as the text. */
const STRING_COLUMNS = ['src', 'dst', 'operation', 'endpoint', 'path', 'error'];

/**
 * Every table's rows as comparable text: run_id replaced by the run's sensor, interned strings
 * by their text, ids and wall-clock times left out; sorted.
 */
function normalise(table: string, rows: Row[], sensorOfRun: Map<number, string>, strings: Map<number, string>): string[] {
  return rows.map((r) => {
    const out: Row = {};
    for (const [k, v] of Object.entries(r).sort(([a], [b]) => a.localeCompare(b))) {
      if (UNCOMPARABLE[table]?.includes(k) || (k === 'sensor' && table !== 'runs')) continue;
      if (k === 'run_id') out.run = sensorOfRun.get(v as number) ?? null;
      else if (table === 'message_index' && STRING_COLUMNS.includes(k)) out[k] = v === null ? null : strings.get(v as number);
      else out[k] = v;
    }
    return JSON.stringify(out);
  }).sort();
}

function sqliteTables(path: string): Map<string, string[]> {
  const db = new Database(path, { readonly: true });
  try {
    const sensorOfRun = new Map((db.prepare('SELECT id, sensor FROM runs').all() as Array<{ id: number; sensor: string }>).map((r) => [r.id, r.sensor]));
    const strings = new Map((db.prepare('SELECT id, text FROM index_strings').all() as Array<{ id: number; text: string }>).map((r) => [r.id, r.text]));
    const names = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name != 'index_strings'").pluck().all() as string[];
    return new Map(names.map((t) => [t, normalise(t, db.prepare(`SELECT * FROM ${t}`).all() as Row[], sensorOfRun, strings)]));
  } finally {
    db.close();
  }
}

async function postgresTables(client: pg.Client, tables: Iterable<string>): Promise<Map<string, string[]>> {
  const sensorOfRun = new Map(((await client.query('SELECT id, sensor FROM runs')).rows as Array<{ id: number; sensor: string }>).map((r) => [r.id, r.sensor]));
  const strings = new Map(((await client.query('SELECT id, text FROM index_strings')).rows as Array<{ id: number; text: string }>).map((r) => [r.id, r.text]));
  const out = new Map<string, string[]>();
  for (const t of tables) {
    const rows = (await client.query(`SELECT * FROM ${t}`)).rows as Row[];
    // The sensor in every row is its run's.
    if (t !== 'runs') for (const r of rows) if (r.run_id !== null) expect(r.sensor, t).toBe(sensorOfRun.get(r.run_id as number));
    out.set(t, normalise(t, rows, sensorOfRun, strings));
  }
  return out;
}

const CAPTURES: Array<[sensor: string, args: string[]]> = [
  ['sensor-a', [join(root, 'captures/reference/wakaama-register-dm.pcap'), '--coap-port', '56830']],
  ['sensor-b', [join(root, 'captures/generated/attack-dtls-weak-cipher.pcap')]],
  ['sensor-c', [join(root, 'captures/generated/attack-observe-flood.pcap')]],
];

describe.skipIf(server === null)('--db postgres://', () => {
  afterAll(() => server?.stop());

  describe('three sensors writing at once', () => {
    const sqlite = join(dir, 'three.db');
    const results: Result[] = [];
    beforeAll(async () => {
      server!.createDatabase('three');
      // Three writers at once, into a database none has migrated yet: the first migrates, under the advisory lock.
      results.push(...await Promise.all(CAPTURES.map(([sensor, args]) =>
        runAsync(['analyze', ...args, '--store-messages', '--format', 'ndjson', '--db', urlOf('three'), '--sensor', sensor]))));
      for (const [sensor, args] of CAPTURES) {
        expect(run('analyze', ...args, '--store-messages', '--format', 'ndjson', '--db', sqlite, '--sensor', sensor).code).toBe(0);
      }
    }, 120_000);

    it('store exactly what three SQLite runs store, table by table, with the sensor in every row', async () => {
      for (const r of results) expect(r.code, r.stderr).toBe(0);
      const expected = sqliteTables(sqlite);
      const client = await connect('three');
      try {
        const actual = await postgresTables(client, expected.keys());
        for (const [table, rows] of expected) expect(actual.get(table), table).toEqual(rows);
        // Not vacuous: every kind of row is there.
        for (const t of ['runs', 'endpoints', 'observations', 'resources', 'resource_samples', 'dtls_sessions', 'events', 'messages', 'message_index', 'capture_files']) {
          expect(expected.get(t)!.length, t).toBeGreaterThan(0);
        }
        // The schema was migrated once.
        expect((await client.query('SELECT version FROM coapwatch_migrations')).rows).toEqual([{ version: 1 }]);
      } finally {
        await client.end();
      }
    });

    it('endpoints and events list every sensor, and --sensor picks one', () => {
      const fromPg = ndjson(run('events', '--db', urlOf('three'), '--format', 'ndjson').stdout);
      const fromSqlite = ndjson(run('events', '--db', sqlite, '--format', 'ndjson').stdout);
      const strip = (e: Row) => ({ ...e, id: undefined, run: undefined });
      expect(fromPg.map(strip)).toEqual(fromSqlite.map(strip));
      expect(new Set(fromPg.map((e) => e.sensor))).toEqual(new Set(['sensor-a', 'sensor-b', 'sensor-c']));
      const b = ndjson(run('events', '--db', urlOf('three'), '--format', 'ndjson', '--sensor', 'sensor-b').stdout);
      expect(b.length).toBeGreaterThan(0);
      expect(b.length).toBeLessThan(fromPg.length);
      expect(b.every((e) => e.sensor === 'sensor-b')).toBe(true);
      const endpoints = run('endpoints', '--db', urlOf('three'), '--sensor', 'sensor-a');
      expect(endpoints.code).toBe(0);
      expect(endpoints.stdout.trimEnd().split('\n').slice(1).map((l) => l.split(/\s+/)[1])).toEqual(['meter-0001']);
      expect(endpoints.stdout).toMatch(/SENSOR\s+LAST SEEN\n.*sensor-a\s+2026-11-23T06:30:30Z\n$/);
      expect(run('events', '--db', urlOf('three')).stdout).toMatch(/^ID\s+RUN\s+SOURCE\s+TIME\s+SEVERITY\s+RULE\s+ENDPOINT\s+SRC\s+FRAME\s+COUNT\s+OUTCOME\s+SENSOR\s+MESSAGE\n/);
    });

    it('messages, export and ui read a sensor\'s run as they read it from SQLite', async () => {
      const client = await connect('three');
      const pgRuns = new Map(((await client.query('SELECT id, sensor FROM runs')).rows as Array<{ id: number; sensor: string }>).map((r) => [r.sensor, r.id]));
      await client.end();
      const sqliteRuns = new Map(CAPTURES.map(([sensor], i) => [sensor, i + 1]));
      for (const [sensor] of CAPTURES) {
        const fromPg = run('messages', '--db', urlOf('three'), '--run', String(pgRuns.get(sensor)), '--format', 'ndjson', '--dissect');
        const fromSqlite = run('messages', '--db', sqlite, '--run', String(sqliteRuns.get(sensor)), '--format', 'ndjson', '--dissect');
        expect(fromPg.code, fromPg.stderr).toBe(0);
        const strip = (m: Row) => ({ ...m, run: undefined });
        expect(ndjson(fromPg.stdout).map(strip)).toEqual(ndjson(fromSqlite.stdout).map(strip));
        expect(ndjson(fromPg.stdout).length).toBeGreaterThan(5);
        const [a, b] = [join(dir, `${sensor}-pg.pcap`), join(dir, `${sensor}-sqlite.pcap`)];
        expect(run('export', '--db', urlOf('three'), '--run', String(pgRuns.get(sensor)), '--frames', '1-5', '--out', a).code).toBe(0);
        expect(run('export', '--db', sqlite, '--run', String(sqliteRuns.get(sensor)), '--frames', '1-5', '--out', b).code).toBe(0);
        expect(readFileSync(a)).toEqual(readFileSync(b));
      }
      const ui = run('ui', '--db', urlOf('three'), '--sensor', 'sensor-b');
      expect(ui.code, ui.stderr).toBe(0);
      expect(ui.stdout).toMatch(/^Source\s+.*attack-dtls-weak-cipher\.pcap$/m);
      expect(ui.stdout).toMatch(/^Sensor\s+sensor-b$/m);
      expect(ui.stdout).toMatch(/^Database\s+postgres:\/\/localhost\/three\?host=\S+$/m);
      expect(ui.stdout).not.toContain(PASSWORD);
      // The overview lists every sensor of the store, each with its newest run.
      expect(ui.stdout).toMatch(/^Sensors \(3, each its newest run\)$/m);
      for (const [sensor] of CAPTURES) expect(ui.stdout).toMatch(new RegExp(`^  ${sensor}\\s+${pgRuns.get(sensor)}  \\S`, 'm'));
      const none = run('ui', '--db', urlOf('three'), '--sensor', 'sensor-z');
      expect(none.code).toBe(1);
      expect(none.stderr).toMatch(/^coapwatch: database postgres:\/\/localhost\/three\?host=\S+ holds no run of sensor sensor-z\n$/);
    });

    it('never shows the credentials: output, errors, the runs table', async () => {
      const missing = run('endpoints', '--db', urlOf('no_such_database'));
      const analyzeMissing = run('analyze', CAPTURES[0][1][0], '--db', urlOf('no_such_database'));
      const sqliteOnly = run('prune', '--db', urlOf('three'), '--older-than', '30d', '--vacuum');
      const pruned = run('prune', '--db', urlOf('three'), '--older-than', '30d');
      const outputs = [...results, run('events', '--db', urlOf('three')), run('endpoints', '--db', urlOf('three'), '--format', 'ndjson'), missing, analyzeMissing, sqliteOnly, pruned];
      for (const r of outputs) expect(r.stdout + r.stderr).not.toContain(PASSWORD);
      for (const r of [missing, analyzeMissing]) {
        expect(r.code).toBe(1);
        expect(r.stderr).toMatch(/^coapwatch: database postgres:\/\/localhost\/no_such_database\?host=\S+: database "no_such_database" does not exist \(3D000\)\n$/);
      }
      expect(sqliteOnly.code).toBe(1);
      expect(sqliteOnly.stderr).toBe('coapwatch: --vacuum shrinks a SQLite file; PostgreSQL reclaims the space itself (autovacuum): prune without it\n');
      expect(pruned.stderr).toBe('');
      expect(pruned.stdout).toMatch(/^removed 0 runs and 0 rows older than \S+Z\n$/);
      const client = await connect('three');
      try {
        const runs = JSON.stringify((await client.query('SELECT * FROM runs')).rows);
        expect(runs).not.toContain(PASSWORD);
        expect(JSON.stringify((await client.query('SELECT application_name, client_addr FROM pg_stat_activity')).rows)).not.toContain(PASSWORD);
      } finally {
        await client.end();
      }
    });
  });

  describe('the password as libpq users give it', () => {
    it('in the URL, PGPASSWORD or ~/.pgpass; a wrong one is refused in one line that shows none of it', () => {
      const home = mkdtempSync(join(tmpdir(), 'coapwatch-pg-home-'));
      const bare = server!.url('three');
      // No password anywhere: refused.
      const none = runIn({ ...ENV, HOME: home }, 'endpoints', '--db', bare);
      expect(none.code).toBe(1);
      expect(none.stderr).toMatch(/^coapwatch: database postgres:\/\/localhost\/three\?host=\S+: .*password.*\n$/);
      // PGPASSWORD.
      const env = runIn({ ...ENV, HOME: home, PGPASSWORD: PASSWORD }, 'endpoints', '--db', bare, '--format', 'ndjson');
      expect(env.code, env.stderr).toBe(0);
      expect(ndjson(env.stdout).length).toBeGreaterThan(0);
      // ~/.pgpass (0600, as libpq wants it).
      writeFileSync(join(home, '.pgpass'), `*:*:three:coapwatch:${PASSWORD}\n`, { mode: 0o600 });
      const file = runIn({ ...ENV, HOME: home }, 'endpoints', '--db', bare, '--format', 'ndjson');
      expect(file.code, file.stderr).toBe(0);
      expect(file.stdout).toBe(env.stdout);
      // A wrong one: the server's reason, and neither password.
      const wrong = runIn({ ...ENV, HOME: home, PGPASSWORD: 'wrong-secret' }, 'events', '--db', bare.replace('coapwatch@', 'coapwatch:also-wrong@'));
      expect(wrong.code).toBe(1);
      expect(wrong.stderr).toMatch(/^coapwatch: database postgres:\/\/localhost\/three\?host=\S+: password authentication failed for user "coapwatch" \(28P01\)\n$/);
      expect(wrong.stderr).not.toContain('wrong');
      rmSync(home, { recursive: true, force: true });
    });
  });

  it('an endpoint heard from again without other change gets its last-seen time, as in SQLite', async () => {
    // The built writer, as the CLI runs it: its PostgreSQL connection is a worker thread of dist/.
    const { RunWriter } = await import(join(root, 'dist/store/index.js'));
    const { StateTracker } = await import(join(root, 'dist/state/index.js'));
    const { messageLine } = await import(join(root, 'dist/cli/format/ndjson.js'));
    const all = await analyzeFile(join(root, 'captures/reference/wakaama-attack-execute-reboot.pcap'), { ports: [56830] });
    // Up to the De-register: the endpoint's last messages then change nothing but its last-seen time.
    const messages = all.slice(0, all.findIndex((m) => m.lwm2m?.operation === 'deregister'));
    server!.createDatabase('seen');
    const sqlite = join(dir, 'seen.db');
    for (const location of [urlOf('seen'), sqlite]) {
      const writer = RunWriter.open(location, 'seen', false, undefined, null, 'seen');
      const tracker = new StateTracker(writer);
      writer.attach(tracker);
      // A commit after every message: most of them change their endpoint's last-seen time alone.
      for (const m of messages) {
        tracker.handle(m);
        writer.message(m, messageLine);
        writer.flush();
      }
      writer.finish(messages.length);
    }
    const client = await connect('seen');
    try {
      const endpoints = (await postgresTables(client, ['endpoints'])).get('endpoints')!;
      expect(endpoints).toEqual(sqliteTables(sqlite).get('endpoints'));
      const lastSeen = Math.max(...messages.filter((m) => m.lwm2m?.endpoint === 'wk-victim').map((m) => m.coap.ts));
      expect(endpoints.map((r) => JSON.parse(r)).find((r) => r.endpoint === 'wk-victim')?.last_seen).toBe(lastSeen);
    } finally {
      await client.end();
    }
  });

  describe('kill -9 of one of three writers', () => {
    const capture = join(dir, 'fleet.pcap');
    const results = new Map<string, Result>();
    let killedAfter = -1;
    beforeAll(async () => {
      // 113 595 messages: one interim batch (100 000) and the final one.
      const g = run('generate', '--pcap', capture, '--meters', '1800', '--duration', '3600', '--households', '2');
      expect(g.code, g.stderr).toBe(0);
      server!.createDatabase('killed');
      const client = await connect('postgres');
      const victim = 'k2';
      let victimPid = -1;
      const writers = ['k1', 'k2', 'k3'].map((sensor) =>
        runAsync(['analyze', capture, '--db', urlOf('killed'), '--sensor', sensor], (pid) => sensor === victim && (victimPid = pid))
          .then((r) => results.set(sensor, r)));
      const db = await connect('killed');
      try {
        // Killed as soon as its first batch is in: whatever it was doing then is cut off.
        for (;;) {
          const r = await db.query('SELECT messages FROM runs WHERE sensor = $1', [victim]).catch(() => ({ rows: [] }));
          if ((r.rows[0]?.messages ?? 0) > 0) {
            killedAfter = r.rows[0].messages;
            process.kill(victimPid, 'SIGKILL');
            break;
          }
          await new Promise((f) => setTimeout(f, 50));
        }
      } finally {
        await db.end();
        await client.end();
      }
      await Promise.all(writers);
    }, 240_000);

    it('leaves the other runs whole and the killed one a consistent snapshot', async () => {
      expect(results.get('k2')!.code).toBe(null); // killed
      expect(killedAfter).toBe(100_000);
      for (const s of ['k1', 'k3']) expect(results.get(s)!.code, results.get(s)!.stderr).toBe(0);
      const client = await connect('killed');
      try {
        const runs = (await client.query('SELECT id, sensor, messages, events, finished_at FROM runs ORDER BY sensor')).rows;
        expect(runs.map((r) => [r.sensor, r.messages, r.finished_at !== null])).toEqual([['k1', 113_595, true], ['k2', 100_000, false], ['k3', 113_595, true]]);
        // Each run's rows are the ones its last committed batch counted.
        for (const r of runs) {
          const indexed = (await client.query('SELECT count(*) AS n FROM message_index WHERE run_id = $1', [r.id])).rows[0].n;
          const events = (await client.query('SELECT count(*) AS n FROM events WHERE run_id = $1', [r.id])).rows[0].n;
          expect([r.sensor, indexed, events]).toEqual([r.sensor, r.messages, r.events]);
        }
        // The two whole runs of one capture hold the same rows.
        const k1 = await client.query("SELECT count(*) AS n FROM endpoints WHERE sensor = 'k1'");
        const k3 = await client.query("SELECT count(*) AS n FROM endpoints WHERE sensor = 'k3'");
        expect(k1.rows[0].n).toBe(1800);
        expect(k3.rows[0].n).toBe(1800);
        // Nothing of the killed writer is left holding the database.
        expect((await client.query("SELECT count(*) AS n FROM pg_locks WHERE locktype = 'advisory'")).rows[0].n).toBe(0);
      } finally {
        await client.end();
      }
      // And the next writer finds the database as usual.
      const again = run('analyze', CAPTURES[0][1][0], '--coap-port', '56830', '--db', urlOf('killed'), '--sensor', 'k4', '--format', 'ndjson');
      expect(again.code, again.stderr).toBe(0);
      expect(ndjson(run('endpoints', '--db', urlOf('killed'), '--sensor', 'k4', '--format', 'ndjson').stdout).map((e) => e.endpoint)).toEqual(['meter-0001']);
    });
  });

  describe('prune --db postgres://', () => {
    const DAY = 86_400;
    const sqlite = join(dir, 'retention.db');
    /**
     * Runs 1 and 2 of sensor s1 and run 3 of s2; runs 1 and 3 finished 40 days ago; run 2 is a
     * live run still being written, whose stored messages of even frames are 40 days old.
     */
    const RUNS: Array<[sensor: string, capture: string]> = [
      ['s1', 'attack-execute-reboot.pcap'], ['s1', 'attack-firmware-uri.pcap'], ['s2', 'attack-registration-flood.pcap'],
    ];
    const OLD = [1, 3];
    let pgBefore: Record<string, Record<number, number>>;
    let sqliteBefore: Record<string, Record<number, number>>;
    let oldMessages = 0;
    /** A run's history at one recent time (parameters: the time, the run). */
    const RECENT = ['events', 'messages', 'resource_samples'].map((t) =>
      `UPDATE ${t} SET ts = ?${t === 'events' ? ', last_ts = NULL' : ''} WHERE run_id = ?`);

    /** Every table with a run_id column, and how many rows each run (by its position, 1-3) has in it. */
    async function pgRowsByRun(): Promise<Record<string, Record<number, number>>> {
      const client = await connect('retention');
      try {
        const ids = ((await client.query('SELECT id FROM runs ORDER BY id')).rows as Array<{ id: number }>).map((r) => r.id);
        const tables = ((await client.query(`SELECT table_name AS t FROM information_schema.columns
          WHERE table_schema = current_schema() AND column_name = 'run_id' AND table_name <> 'runs'`)).rows as Array<{ t: string }>).map((r) => r.t);
        const out: Record<string, Record<number, number>> = {};
        for (const t of tables) {
          const rows = (await client.query(`SELECT run_id, count(*) AS n FROM "${t}" GROUP BY run_id`)).rows as Array<{ run_id: number; n: number }>;
          out[t] = Object.fromEntries(rows.map((r) => [pgPosition.get(r.run_id) ?? -1, r.n]));
        }
        out.runs = Object.fromEntries(ids.map((id) => [pgPosition.get(id)!, 1]));
        return out;
      } finally {
        await client.end();
      }
    }
    const pgPosition = new Map<number, number>();

    function sqliteRowsByRun(): Record<string, Record<number, number>> {
      const d = new Database(sqlite, { readonly: true });
      try {
        const tables = (d.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name != 'runs'").pluck().all() as string[])
          .filter((t) => (d.prepare('SELECT name FROM pragma_table_info(?)').pluck().all(t) as string[]).includes('run_id'));
        const out: Record<string, Record<number, number>> = {};
        for (const t of tables) {
          out[t] = Object.fromEntries((d.prepare(`SELECT run_id, COUNT(*) AS n FROM "${t}" GROUP BY run_id`).all() as Array<{ run_id: number; n: number }>).map((r) => [r.run_id, r.n]));
        }
        out.runs = Object.fromEntries((d.prepare('SELECT id FROM runs').pluck().all() as number[]).map((id) => [id, 1]));
        return out;
      } finally {
        d.close();
      }
    }

    beforeAll(async () => {
      server!.createDatabase('retention');
      for (const [sensor, capture] of RUNS) {
        const capturePath = join(root, 'captures/generated', capture);
        for (const db of [urlOf('retention'), sqlite]) {
          const r = run('analyze', capturePath, '--db', db, '--sensor', sensor, '--store-messages', '--format', 'ndjson');
          expect(r.code, r.stderr).toBe(0);
        }
      }
      const old = Date.now() / 1000 - 40 * DAY;
      const client = await connect('retention');
      try {
        const ids = ((await client.query('SELECT id FROM runs ORDER BY id')).rows as Array<{ id: number }>).map((r) => r.id);
        ids.forEach((id, i) => pgPosition.set(id, i + 1));
        for (const n of OLD) await client.query('UPDATE runs SET started_at = $1, finished_at = $2 WHERE id = $3', [old - 60, old, ids[n - 1]]);
        await client.query("UPDATE runs SET interface = 'eth1', started_at = $1, finished_at = NULL, capture_end = $2 WHERE id = $3", [old - 60, old + 40 * DAY, ids[1]]);
        // The capture's own times are years old: its history is made recent first.
        for (const sql of RECENT) await client.query(sql.replace('?', '$1').replace('?', '$2'), [old + 40 * DAY - 1, ids[1]]);
        await client.query('UPDATE messages SET ts = $1 WHERE run_id = $2 AND frame % 2 = 0', [old, ids[1]]);
        oldMessages = Number((await client.query('SELECT count(*) AS n FROM messages WHERE run_id = $1 AND frame % 2 = 0', [ids[1]])).rows[0].n);
      } finally {
        await client.end();
      }
      const d = new Database(sqlite);
      for (const n of OLD) d.prepare('UPDATE runs SET started_at = ?, finished_at = ? WHERE id = ?').run(old - 60, old, n);
      d.prepare("UPDATE runs SET interface = 'eth1', started_at = ?, finished_at = NULL, capture_end = ? WHERE id = 2").run(old - 60, old + 40 * DAY);
      for (const sql of RECENT) d.prepare(sql).run(old + 40 * DAY - 1, 2);
      d.prepare('UPDATE messages SET ts = ? WHERE run_id = 2 AND frame % 2 = 0').run(old);
      d.close();
      pgBefore = await pgRowsByRun();
      sqliteBefore = sqliteRowsByRun();
    }, 120_000);

    it('removes exactly the old runs (of one sensor with --sensor) in every table, and says so in the line SQLite prints', async () => {
      // The two stores hold the same rows per run, so that the comparison below means something.
      expect(pgBefore).toEqual(sqliteBefore);
      expect(Object.values(pgBefore).filter((perRun) => (perRun[1] ?? 0) > 0).length).toBeGreaterThanOrEqual(5);
      expect(oldMessages).toBeGreaterThan(0);
      expect(oldMessages).toBeLessThan(pgBefore.messages[2]);
      const onlyS1 = run('prune', '--db', urlOf('retention'), '--older-than', '30d', '--sensor', 's1');
      const sqliteS1 = run('prune', '--db', sqlite, '--older-than', '30d', '--sensor', 's1');
      expect(onlyS1.code, onlyS1.stderr).toBe(0);
      expect(onlyS1.stderr).toBe('');
      expect(onlyS1.stdout).toMatch(/^removed 1 run and \d+ rows \(.*events \d+.*messages \d+.*\) older than \S+Z\n$/);
      expect(onlyS1.stdout.replace(/older than .*/, '')).toBe(sqliteS1.stdout.replace(/older than .*/, ''));
      const removed = Number(/and (\d+) rows/.exec(onlyS1.stdout)![1]);
      const after = await pgRowsByRun();
      expect(after).toEqual(sqliteRowsByRun());
      for (const t of Object.keys(pgBefore)) {
        expect(after[t][1], t).toBeUndefined();
        // Of the live run, only its old history goes.
        expect(after[t][2] ?? 0, t).toBe((pgBefore[t][2] ?? 0) - (t === 'messages' ? oldMessages : 0));
        expect(after[t][3], t).toBe(pgBefore[t][3]);
      }
      expect(removed).toBe(Object.entries(pgBefore).reduce((n, [t, perRun]) => n + (t === 'runs' ? 0 : perRun[1] ?? 0), 0) + oldMessages);
      // Without --sensor: the other sensor's old run goes too; then nothing is left to remove.
      const all = run('prune', '--db', urlOf('retention'), '--older-than', '30d');
      expect(all.stdout.replace(/older than .*/, '')).toBe(run('prune', '--db', sqlite, '--older-than', '30d').stdout.replace(/older than .*/, ''));
      expect(all.stdout).toMatch(/^removed 1 run and /);
      const last = await pgRowsByRun();
      for (const t of Object.keys(pgBefore)) {
        expect(last[t][3], t).toBeUndefined();
        expect(last[t][2], t).toBe(after[t][2]);
      }
      expect(run('prune', '--db', urlOf('retention'), '--older-than', '30d').stdout).toMatch(/^removed 0 runs and 0 rows /);
      for (const r of [onlyS1, all]) expect(r.stdout + r.stderr).not.toContain(PASSWORD);
    });

    it('refuses a database coapwatch did not write, in one line, and changes nothing', () => {
      const r = run('prune', '--db', urlOf('postgres'), '--older-than', '30d');
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/^coapwatch: database postgres:\/\/localhost\/postgres\?host=\S+: not a coapwatch database .*\n$/);
      expect(r.stderr).not.toContain(PASSWORD);
    });
  });

  describe('monitor --db postgres://', () => {
    it.skipIf(!hasLibpcap || !isRoot)(`writes the live run, with its sensor, while generate --live plays a fleet and an attack${rootReason}`, async () => {
      server!.createDatabase('live');
      const port = 40_000 + Math.floor(Math.random() * 20_000);
      const child = reapOnExit(spawn(process.execPath, [bin, 'monitor', '-i', 'lo', '--filter', `udp port ${port}`, '--coap-port', String(port),
        '--db', urlOf('live'), '--sensor', 'mirror-7', '--stats-interval', '0.5', '--prune-older-than', '30d'], { stdio: ['ignore', 'pipe', 'pipe'] }));
      let stderr = '';
      const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`monitor did not start: ${stderr}`)), 20_000);
        child.stderr!.setEncoding('utf8').on('data', (d: string) => {
          stderr += d;
          if (/capturing on/.test(stderr)) (clearTimeout(timer), resolve());
        });
      });
      const meters = 5;
      const g = spawnSync(process.execPath, [bin, 'generate', '--live', '--meters', String(meters), '--households', '2', '--duration', '600', '--speed', '300',
        '--server', `127.0.0.1:${port}`, '--attack', 'registration-flood', '--truth', join(dir, 'live.truth.ndjson')], { encoding: 'utf8' });
      expect(g.status, g.stderr).toBe(0);
      await new Promise((r) => setTimeout(r, 1000));
      child.kill('SIGINT');
      expect(await exited, stderr).toBe(0);
      expect(stderr).not.toContain(PASSWORD);
      expect(stderr).toMatch(/database postgres:\/\/localhost\/live\?host=\S+\n/);
      // Retention at start, on the sensor's own runs: its live run is kept.
      expect(stderr).toMatch(/^coapwatch: prune: removed 0 runs and 0 rows older than \S+Z$/m);
      const client = await connect('live');
      try {
        const runs = (await client.query('SELECT sensor, source, interface, messages, finished_at, packets_received FROM runs')).rows;
        expect(runs).toHaveLength(1);
        expect(runs[0]).toMatchObject({ sensor: 'mirror-7', source: 'iface:lo', interface: 'lo' });
        expect(runs[0].finished_at).not.toBeNull();
        expect(runs[0].messages).toBeGreaterThan(0);
        const indexed = (await client.query('SELECT count(*) AS n FROM message_index')).rows[0].n;
        expect(indexed).toBe(runs[0].messages);
      } finally {
        await client.end();
      }
      const endpoints = ndjson(run('endpoints', '--db', urlOf('live'), '--sensor', 'mirror-7', '--format', 'ndjson').stdout);
      expect(endpoints.length).toBeGreaterThanOrEqual(meters);
      const events = ndjson(run('events', '--db', urlOf('live'), '--sensor', 'mirror-7', '--format', 'ndjson').stdout);
      expect(events.map((e) => e.rule)).toContain('registration-flood');
    }, 60_000);
  });
});
