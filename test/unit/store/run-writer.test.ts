import Database from 'better-sqlite3';
import { chmodSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { StateTracker } from '../../../src/state/index.js';
import { openForWriting, RunWriter, SCHEMA_VERSION, StoreError } from '../../../src/store/index.js';
import type { RunTarget } from '../../../src/store/run-writer.js';
import { messageLine } from '../../../src/cli/format/ndjson.js';
import { analyzeFile } from '../../support/analyze.js';
import { writeRun } from '../../support/write-run.js';

const capture = (name: string) => join(import.meta.dirname, '../../../captures/reference', name);
const tmp = () => mkdtempSync(join(tmpdir(), 'coapwatch-store-'));

/** Analyses a reference capture into `db` as one run; `finish: false` leaves it as a killed process would. */
async function storeRun(db: string, name: string, opts: { finish?: boolean; storeMessages?: boolean } = {}): Promise<RunWriter> {
  const messages = await analyzeFile(capture(name), { ports: [56830] });
  return writeRun(db, messages, { source: name, storeMessages: opts.storeMessages, packets: (opts.finish ?? true) ? 123 : null });
}

const read = (path: string) => new Database(path, { readonly: true });


describe('SQLite store', () => {
  it('writes endpoints, observations, last values and the run', async () => {
    const path = join(tmp(), 'a.db');
    await storeRun(path, 'wakaama-observe.pcap');
    const db = read(path);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    const ep = db.prepare('SELECT * FROM endpoints').get() as Record<string, unknown>;
    expect(ep).toMatchObject({ run_id: 1, endpoint: 'meter-0002', state: 'deregistered', lifetime: 300, binding: 'U', lwm2m_version: '1.1', address: '127.0.0.1:56830' });
    expect(JSON.parse(ep.objects as string)).toContain('/31024/10');
    const obs = db.prepare('SELECT token, paths, state, ended_by, notifications FROM observations ORDER BY id').all();
    expect(obs).toEqual([
      { token: '00000001', paths: '["/3/0/9"]', state: 'cancelled', ended_by: 'cancel', notifications: 4 },
      { token: '00000002', paths: '["/31024/10"]', state: 'cancelled', ended_by: 'cancel', notifications: 1 },
    ]);
    expect(db.prepare("SELECT name, type, value FROM resources WHERE path = '/3/0/9'").get()).toEqual({ name: 'Battery Level', type: 'integer', value: 5 });
    expect(db.prepare('SELECT source, packets, messages, finished_at IS NOT NULL AS finished FROM runs').get()).toEqual({ source: 'wakaama-observe.pcap', packets: 123, messages: 21, finished: 1 });
    expect(db.prepare('SELECT COUNT(*) AS n FROM messages').get()).toEqual({ n: 0 });
    expect(db.prepare('SELECT COUNT(*) AS n FROM events').get()).toEqual({ n: 0 });
    db.close();
  });

  it('keeps several runs in one database, each row knowing its run; messages only when asked', async () => {
    const path = join(tmp(), 'many.db');
    await storeRun(path, 'wakaama-register-dm.pcap');
    await storeRun(path, 'wakaama-observe.pcap', { storeMessages: true });
    const db = read(path);
    expect(db.prepare('SELECT run_id, endpoint FROM endpoints ORDER BY run_id').all()).toEqual([
      { run_id: 1, endpoint: 'meter-0001' }, { run_id: 2, endpoint: 'meter-0002' },
    ]);
    expect(db.prepare('SELECT DISTINCT run_id FROM resources ORDER BY run_id').all()).toEqual([{ run_id: 1 }, { run_id: 2 }]);
    const msg = db.prepare('SELECT run_id, frame, operation, record FROM messages ORDER BY rowid LIMIT 1').get() as Record<string, unknown>;
    expect(msg).toMatchObject({ run_id: 2, frame: 1, operation: 'register' });
    expect(JSON.parse(msg.record as string)).toMatchObject({ kind: 'message', frame: 1 });
    db.close();
  });

  it('a run that never finished (process killed) leaves what it committed readable and marked unfinished', async () => {
    const path = join(tmp(), 'killed.db');
    await storeRun(path, 'wakaama-observe.pcap', { finish: false });
    const db = read(path);
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    expect(db.prepare('SELECT finished_at FROM runs').get()).toEqual({ finished_at: null });
    expect(db.prepare('SELECT state FROM endpoints').get()).toEqual({ state: 'deregistered' });
    db.close();
  });

  it('writes sparkline samples thinned to 8 per resource at an interim commit, the whole fresh ring at the end', () => {
    const path = join(tmp(), 'samples.db');
    const writer = RunWriter.open(path, 'samples', false);
    const tracker = new StateTracker(writer);
    writer.attach(tracker);
    const value = (ts: number) => tracker.twin.apply('meter-1', [{ path: '/3305/0/5800', name: null, type: 'float', value: ts * 10 }], ts);
    for (let ts = 1; ts <= 20; ts++) value(ts);
    writer.flush();
    for (let ts = 21; ts <= 25; ts++) value(ts);
    writer.finish(null);
    const rows = read(path).prepare('SELECT ts, value FROM resource_samples ORDER BY ts').all() as Array<{ ts: number; value: number }>;
    // 20 fresh samples, 8 kept, evenly spread, the newest among them; then the 5 that came after.
    expect(rows.map((r) => r.ts)).toEqual([3, 5, 8, 10, 13, 15, 18, 20, 21, 22, 23, 24, 25]);
    expect(rows.every((r) => r.value === r.ts * 10)).toBe(true);
  });

  it('takes the samples from the values it is told of, not from a ring in the twin; a batch keeps its newest 32', () => {
    const path = join(tmp(), 'samples-own.db');
    const writer = RunWriter.open(path, 'samples', false);
    const tracker = new StateTracker(writer, { series: false });
    writer.attach(tracker);
    for (let ts = 1; ts <= 40; ts++) tracker.twin.apply('meter-1', [{ path: '/3305/0/5800', name: null, type: 'float', value: ts * 10 }], ts);
    expect(tracker.twin.get('meter-1', '/3305/0/5800')!.series).toBeNull();
    writer.finish(null);
    const rows = read(path).prepare('SELECT ts FROM resource_samples ORDER BY ts').pluck().all();
    expect(rows).toEqual(Array.from({ length: 32 }, (_, i) => i + 9));
  });

  it('an endpoint heard from without other change gets only its last-seen time rewritten, to the same rows as one batch', async () => {
    const all = await analyzeFile(capture('wakaama-attack-execute-reboot.pcap'), { ports: [56830] });
    // Up to the De-register: the endpoint's last messages then change nothing but its last-seen time.
    const messages = all.slice(0, all.findIndex((m) => m.lwm2m?.operation === 'deregister'));
    const store = (db: string, commitEach: boolean) => {
      writeRun(db, messages, { source: 'seen', commitEach });
      return read(db).prepare('SELECT * FROM endpoints ORDER BY endpoint').all() as Array<Record<string, unknown>>;
    };
    const oneBatch = store(join(tmp(), 'one.db'), false);
    const everyMessage = store(join(tmp(), 'many.db'), true);
    expect(everyMessage).toEqual(oneBatch);
    expect(everyMessage[0].last_seen).toBe(messages.at(-1)!.coap.ts);
  });

  it('a batch that fails in the store thread is a one-line StoreError at the next flush; the commits before it stay, nothing after', async () => {
    const path = join(tmp(), 'failing.db');
    const messages = await analyzeFile(capture('wakaama-observe.pcap'), { ports: [56830] });
    const half = Math.floor(messages.length / 2);
    const writer = RunWriter.open(path, 'failing', false);
    const tracker = new StateTracker(writer);
    writer.attach(tracker);
    const feed = (from: number, to: number) => {
      for (const m of messages.slice(from, to)) {
        tracker.handle(m);
        writer.message(m, messageLine);
      }
    };
    feed(0, half);
    writer.flush();
    // The disk filling up, as SQLite would report it: every further index row refused.
    const other = new Database(path);
    other.exec("CREATE TRIGGER full BEFORE INSERT ON message_index BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END");
    other.close();
    feed(half, messages.length);
    writer.post();
    let error: unknown;
    try {
      writer.flush();
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(StoreError);
    expect((error as Error).message).toMatch(new RegExp(`^database ${path.replace(/[/.]/g, '\\$&')}: database or disk is full \\(SQLITE_CONSTRAINT_TRIGGER\\)$`));
    expect(() => writer.finish(messages.length)).toThrow(StoreError);
    const db = read(path);
    expect(db.prepare('SELECT messages, finished_at FROM runs').get()).toEqual({ messages: half, finished_at: null });
    expect(db.prepare('SELECT COUNT(*) FROM message_index').pluck().get()).toBe(half);
    db.close();
  });

  it('live, while the batch before is still being written, gathers on instead of waiting, up to four batches\' worth; a file waits', async () => {
    const messages = await analyzeFile(capture('wakaama-observe.pcap'), { ports: [56830] });
    const committed: number[] = [];
    let busy = true;
    const target: RunTarget = {
      location: 'fake.db', startRun: () => 1, busy: () => busy, sync() {}, close() {}, drained: async () => undefined,
      commit: (b) => committed.push(b.progress[0] as number),
    };
    const writer = new RunWriter(target, 'iface:eth0', false, undefined, null, 'sensor', true);
    let sent = 0;
    const send = (n: number) => {
      for (let i = 0; i < n; i++) writer.message(messages[sent++ % messages.length], messageLine);
    };
    send(150_000); // due at 100,000, but the database is still busy
    expect(committed).toEqual([]);
    writer.post(); // a monitor interval: no wait either
    expect(committed).toEqual([]);
    busy = false;
    send(1_000); // looked at again every 1,000 messages
    expect(committed).toEqual([151_000]);
    busy = true;
    send(399_999);
    expect(committed).toEqual([151_000]);
    send(1); // 400,000 since the last batch: handed over (and waited for) however busy
    expect(committed).toEqual([151_000, 551_000]);
    busy = false;
    send(99_999);
    writer.post();
    expect(committed).toEqual([151_000, 551_000, 650_999]);
    send(100_000); // a free database gets a batch every 100,000 messages, as before
    expect(committed).toEqual([151_000, 551_000, 650_999, 750_999]);

    const file = new RunWriter({ ...target, commit: (b) => fileCommits.push(b.progress[0] as number) }, 'file.pcap', false);
    const fileCommits: number[] = [];
    busy = true;
    for (let i = 0; i < 200_000; i++) file.message(messages[i % messages.length], messageLine);
    file.post();
    expect(fileCommits).toEqual([100_000, 200_000, 200_000]);
  });

  it('an unwritable path is a one-line StoreError', () => {
    const dir = tmp();
    mkdirSync(join(dir, 'ro'));
    chmodSync(join(dir, 'ro'), 0o500);
    for (const path of [join(dir, 'missing-dir', 'x.db'), join(dir, 'ro', 'x.db')]) {
      let error: unknown;
      try {
        openForWriting(path);
      } catch (err) {
        error = err;
      }
      // root ignores directory permissions: only the missing directory is sure to fail there.
      if (path.includes('ro') && process.getuid?.() === 0 && error === undefined) continue;
      expect(error).toBeInstanceOf(StoreError);
      expect((error as Error).message).toMatch(new RegExp(`^database ${path.replace(/[/.]/g, '\\$&')}: [^\\n]+$`));
    }
  });

  it('refuses a database written by a newer coapwatch', () => {
    const path = join(tmp(), 'future.db');
    const db = new Database(path);
    db.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    db.close();
    expect(() => openForWriting(path)).toThrow(/newer than this coapwatch understands/);
  });
});
