import Database from 'better-sqlite3';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

/* `coapwatch prune`: retention for a database sensors keep writing, as an operator runs it from cron. */
const root = join(import.meta.dirname, '../..');
const bin = join(root, 'bin/coapwatch.js');
const dir = mkdtempSync(join(tmpdir(), 'coapwatch-e2e-prune-'));
const generated = (name: string) => join(root, 'captures/generated', name);
const DAY = 86_400;

function run(...args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', cwd: dir });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Every table with a run_id column, and how many rows each run has in it. */
function rowsByRun(path: string): Record<string, Record<number, number>> {
  const d = new Database(path, { readonly: true });
  const tables = (d.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name != 'runs'").pluck().all() as string[])
    .filter((t) => (d.prepare('SELECT name FROM pragma_table_info(?)').pluck().all(t) as string[]).includes('run_id'));
  const out: Record<string, Record<number, number>> = {};
  for (const t of tables) {
    out[t] = Object.fromEntries((d.prepare(`SELECT run_id, COUNT(*) AS n FROM "${t}" GROUP BY run_id`).all() as Array<{ run_id: number; n: number }>).map((r) => [r.run_id, r.n]));
  }
  d.close();
  return out;
}

/**
 * Three runs: 1, an analysis finished 40 days ago; 2, one finished today; 3, a live run still
 * being written whose first half of events, messages and samples is 40 days old.
 */
function threeRuns(path: string): void {
  for (const capture of ['attack-execute-reboot.pcap', 'attack-firmware-uri.pcap', 'attack-registration-flood.pcap']) {
    expect(run('analyze', generated(capture), '--db', path, '--store-messages', '--no-progress').code).toBe(0);
  }
  const d = new Database(path);
  const now = Date.now() / 1000;
  d.prepare('UPDATE runs SET started_at = ?, finished_at = ? WHERE id = 1').run(now - 40 * DAY - 60, now - 40 * DAY);
  d.prepare("UPDATE runs SET interface = 'eth1', source = 'iface:eth1', started_at = ?, finished_at = NULL, capture_end = ? WHERE id = 3").run(now - 41 * DAY, now);
  for (const table of ['events', 'messages', 'resource_samples']) {
    const ids = d.prepare(`SELECT rowid FROM "${table}" WHERE run_id = 3 ORDER BY rowid`).pluck().all() as number[];
    const half = ids[Math.floor(ids.length / 2)];
    // An event's time is that of its last folded repeat when it has one.
    const set = table === 'events' ? 'ts = @t, last_ts = IIF(last_ts IS NULL, NULL, @t)' : 'ts = @t';
    d.prepare(`UPDATE "${table}" SET ${set} WHERE run_id = 3 AND rowid < @half`).run({ t: now - 40 * DAY, half });
    d.prepare(`UPDATE "${table}" SET ${set} WHERE run_id = 3 AND rowid >= @half`).run({ t: now - 1, half });
  }
  d.close();
}

describe('coapwatch prune', () => {
  const db = join(dir, 'sensor.db');
  let before: Record<string, Record<number, number>>;
  let pruned: ReturnType<typeof run>;
  beforeAll(() => {
    threeRuns(db);
    before = rowsByRun(db);
    pruned = run('prune', '--db', db, '--older-than', '30d');
  }, 60_000);

  it('removes a run that ended before the cutoff, with its rows in every table keyed by run, in one line of output', () => {
    expect(pruned.stderr).toBe('');
    expect(pruned.code).toBe(0);
    const after = rowsByRun(db);
    for (const t of Object.keys(before)) expect(after[t][1], t).toBeUndefined();
    // The run had rows in most tables, so the test means something.
    expect(Object.values(before).filter((perRun) => (perRun[1] ?? 0) > 0).length).toBeGreaterThanOrEqual(4);
    const d = new Database(db, { readonly: true });
    expect(d.prepare('SELECT id FROM runs ORDER BY id').pluck().all()).toEqual([2, 3]);
    d.close();
    const removedRun1 = Object.values(before).reduce((n, perRun) => n + (perRun[1] ?? 0), 0);
    expect(pruned.stdout).toMatch(new RegExp(`^removed 1 run and (\\d+) rows \\(.*events \\d+.*messages \\d+.*\\) older than \\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}Z\\n$`));
    const total = Number(/and (\d+) rows/.exec(pruned.stdout)![1]);
    const removedRun3 = Object.keys(before).reduce((n, t) => n + (before[t][3] ?? 0) - (after[t][3] ?? 0), 0);
    expect(total).toBe(removedRun1 + removedRun3);
  });

  it('keeps a run that ended after it whole, and of a live run its current state and its recent history', () => {
    const after = rowsByRun(db);
    for (const t of Object.keys(before)) expect(after[t][2], t).toBe(before[t][2]);
    for (const t of ['endpoints', 'observations', 'resources']) expect(after[t][3], t).toBe(before[t][3]);
    for (const t of ['events', 'messages', 'resource_samples']) {
      expect(after[t][3], t).toBeGreaterThan(0);
      expect(after[t][3], t).toBeLessThan(before[t][3]);
    }
    const d = new Database(db, { readonly: true });
    const cutoff = Date.now() / 1000 - 30 * DAY;
    expect(d.prepare('SELECT COUNT(*) FROM messages WHERE run_id = 3 AND ts < ?').pluck().get(cutoff)).toBe(0);
    d.close();
  });

  it('run again: nothing more to remove; --vacuum shrinks the file', () => {
    const again = run('prune', '--db', db, '--older-than', '30d', '--vacuum');
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/^removed 0 runs and 0 rows older than .*Z; vacuumed: [\d.]+ MiB → [\d.]+ MiB\n$/);
    const [from, to] = /vacuumed: ([\d.]+) MiB → ([\d.]+) MiB/.exec(again.stdout)!.slice(1).map(Number);
    expect(to).toBeLessThanOrEqual(from);
  });

  it('refuses, one line each and exit 1: no such database (none created), not a coapwatch database (left as it is), a wrong age', () => {
    const missing = run('prune', '--db', join(dir, 'nope.db'), '--older-than', '30d');
    expect(missing).toMatchObject({ code: 1, stderr: `coapwatch: database ${join(dir, 'nope.db')}: no such file\n` });
    expect(existsSync(join(dir, 'nope.db'))).toBe(false);
    const other = join(dir, 'other.db');
    const o = new Database(other);
    o.exec('CREATE TABLE notes (text TEXT)');
    o.close();
    const bytes = readFileSync(other);
    const foreign = run('prune', '--db', other, '--older-than', '30d');
    expect(foreign.code).toBe(1);
    expect(foreign.stderr).toMatch(/^coapwatch: database .*other\.db is not a coapwatch database .*\n$/);
    expect(readFileSync(other).equals(bytes)).toBe(true);
    const bad = run('prune', '--db', db, '--older-than', 'a month');
    expect(bad.code).toBe(1);
    expect(bad.stderr.split('\n')[0]).toBe(`error: option '--older-than <age>' argument 'a month' is invalid. "a month" is not an age: a number and a unit, s, m, h, d or w ("30d")`);
  });
});
