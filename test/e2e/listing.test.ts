import Database from 'better-sqlite3';
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { syntheticName, syntheticSeverity, writeSyntheticStore } from '../support/synthetic-store.js';

/* The built CLI's endpoints and events listings on a database of fleet size, written directly. */
const root = join(import.meta.dirname, '../..');
const bin = join(root, 'bin/coapwatch.js');
const dir = mkdtempSync(join(tmpdir(), 'coapwatch-e2e-listing-'));

function run(...args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', maxBuffer: 1 << 28 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

// Above the ~120,000 rows at which a table whose widths came from spreading every cell into
// one call (Math.max(...cells)) overflowed the stack.
const ENDPOINTS = 150_000;
// Attacker-chosen 60 kB endpoint names: one among the rows that size the columns, one after them.
const LONG = new Set([10, 140_000]);
const name = (i: number) => (LONG.has(i) ? `${'x'.repeat(60_000)}-${i}` : syntheticName(i));
const SOURCES = ['/var/lib/coapwatch/captures/site-a/fleet-2026-11.pcap', 'iface:eth1'];
const EVENTS = 52;

describe('listings of a fleet-sized database', () => {
  const db = join(dir, 'fleet.db');
  beforeAll(() => writeSyntheticStore(db, { sources: SOURCES, endpoints: ENDPOINTS, events: EVENTS, name }));

  it('endpoints: every row, in order, with its run; long names cut, so no row is padded to them', () => {
    const r = run('endpoints', '--db', db);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines.pop()).toBe('');
    expect(lines).toHaveLength(ENDPOINTS + 1);
    expect(lines[0]).toMatch(/^RUN\s+ENDPOINT\s+STATE\s+ADDRESS/);
    const cut = 'x'.repeat(47) + '…';
    let wrong = 0;
    for (let i = 0; i < ENDPOINTS; i++) {
      const [run, endpoint, state] = lines[i + 1].split(/\s+/, 3);
      if (run !== String(1 + (i % 2)) || endpoint !== (LONG.has(i) ? cut : name(i)) || state !== 'registered') wrong++;
    }
    expect(wrong).toBe(0);
    const longest = lines.reduce((n, l) => Math.max(n, l.length), 0);
    expect(longest).toBeLessThan(200);
  });

  it('endpoints --format ndjson: every row, whole (the long names too)', () => {
    const r = run('endpoints', '--db', db, '--format', 'ndjson');
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(ENDPOINTS);
    let wrong = 0;
    for (let i = 0; i < ENDPOINTS; i++) {
      const e = JSON.parse(lines[i]);
      if (e.endpoint !== name(i) || e.run !== 1 + (i % 2) || e.source !== SOURCES[i % 2] || e.objects.length !== 3) wrong++;
    }
    expect(wrong).toBe(0);
  });

  it('events: 52 rows with one 60 kB name stay a few kilobytes; each row shows its run, source and full date', () => {
    const r = run('events', '--db', db);
    expect(r.code).toBe(0);
    expect(r.stdout.length).toBeLessThan(EVENTS * 400);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(EVENTS + 1);
    expect(lines[0]).toMatch(/^ID\s+RUN\s+SOURCE\s+TIME\s+SEVERITY\s+RULE\s+ENDPOINT/);
    expect(lines[1].split(/\s+/).slice(1, 6)).toEqual(['1', 'fleet-2026-11.pcap', '2026-11-23T00:00:00Z', 'low', 'synthetic-rule']);
    expect(lines[2].split(/\s+/).slice(1, 6)).toEqual(['2', 'iface:eth1', '2026-11-23T00:00:01Z', 'medium', 'synthetic-rule']);
    const long = lines[1 + 10];
    expect(long).toContain('x'.repeat(47) + '…');
    expect(long.endsWith('…')).toBe(true); // the message names the endpoint too
  });

  it('events --severity medium: the medium and high ones', () => {
    const r = run('events', '--db', db, '--severity', 'medium', '--format', 'ndjson');
    expect(r.code).toBe(0);
    const events = r.stdout.trimEnd().split('\n').map((l) => JSON.parse(l));
    const expected = Array.from({ length: EVENTS }, (_, i) => i).filter((i) => syntheticSeverity(i) !== 'low');
    expect(events.map((e) => [e.frame - 1, e.severity])).toEqual(expected.map((i) => [i, syntheticSeverity(i)]));
  });
});

describe('a database written by something else', () => {
  it('values of the wrong kind are shown as they are, not a crash', () => {
    const db = join(dir, 'odd.db');
    writeSyntheticStore(db, { sources: ['odd.pcap'], endpoints: 2, events: 1 });
    const w = new Database(db);
    // The index on the object count only takes JSON: a foreign writer's database has none.
    w.exec(`DROP INDEX IF EXISTS endpoints_by_object_count;
      UPDATE endpoints SET objects = 'not json', last_seen = 'yesterday', expires_at = 1e300 WHERE endpoint = 'meter-0000000';
      UPDATE events SET ts = 'soon', details = '{broken', message = x'001b5b33316d';`);
    w.close();
    const endpoints = run('endpoints', '--db', db);
    expect(endpoints.code).toBe(0);
    expect(endpoints.stdout.trimEnd().split('\n')[2].split(/\s+/)).toEqual(
      ['1', 'meter-0000000', 'registered', '10.0.0.0:56830', '86400', 'U', '1.1', '?', '1e+300', 'yesterday']);
    expect(JSON.parse(run('endpoints', '--db', db, '-f', 'ndjson').stdout.split('\n')[1])).toMatchObject({ objects: 'not json', lastSeen: 'yesterday' });
    const events = run('events', '--db', db);
    expect(events.code).toBe(0);
    expect(events.stdout).not.toContain('\u001b');
    expect(events.stdout.trimEnd().split('\n')[1].split(/\s+/).slice(1, 4)).toEqual(['1', 'odd.pcap', 'soon']);
  });
});
