import Database from 'better-sqlite3';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

/* The built CLI with --db, and the commands that read the database back. */
const root = join(import.meta.dirname, '../..');
const bin = join(root, 'bin/coapwatch.js');
const capture = (name: string) => join(root, 'captures/reference', name);
const dir = mkdtempSync(join(tmpdir(), 'coapwatch-e2e-store-'));

function run(...args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
const ndjson = (stdout: string) => stdout.trimEnd().split('\n').filter(Boolean).map((l) => JSON.parse(l));

describe('analyze --db, then endpoints', () => {
  const db = join(dir, 'two-runs.db');
  beforeAll(() => {
    expect(run('analyze', capture('wakaama-register-dm.pcap'), '--coap-port', '56830', '--db', db).code).toBe(0);
    expect(run('analyze', capture('wakaama-observe.pcap'), '--coap-port', '56830', '--db', db, '--format', 'ndjson').code).toBe(0);
  });

  it('lists the endpoints of every run as a table', () => {
    const r = run('endpoints', '--db', db);
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^RUN\s+ENDPOINT\s+STATE\s+ADDRESS\s+LIFETIME/);
    expect(lines.slice(1).map((l) => l.split(/\s+/).slice(0, 5))).toEqual([
      ['1', 'meter-0001', 'deregistered', '127.0.0.1:56830', '120'],
      ['2', 'meter-0002', 'deregistered', '127.0.0.1:56830', '300'],
    ]);
  });

  it('--format ndjson, and the --endpoint, --state and --since filters', () => {
    const all = ndjson(run('endpoints', '--db', db, '--format', 'ndjson').stdout);
    expect(all.map((e) => [e.run, e.endpoint, e.lifetime, e.lwm2mVersion, e.objects.length])).toEqual([[1, 'meter-0001', 120, '1.1', 12], [2, 'meter-0002', 300, '1.1', 12]]);
    expect(ndjson(run('endpoints', '--db', db, '--format', 'ndjson', '--endpoint', 'meter-0002').stdout).map((e) => e.run)).toEqual([2]);
    expect(ndjson(run('endpoints', '--db', db, '--format', 'ndjson', '--state', 'registered').stdout)).toEqual([]);
    // meter-0001 was last seen at 1795415430.96, meter-0002 at 1795415452.39 (2026-11-23T06:30:52Z).
    expect(ndjson(run('endpoints', '--db', db, '--format', 'ndjson', '--since', '1795415440').stdout).map((e) => e.endpoint)).toEqual(['meter-0002']);
    expect(ndjson(run('endpoints', '--db', db, '--format', 'ndjson', '--since', '2026-11-23T06:30:40Z').stdout).map((e) => e.endpoint)).toEqual(['meter-0002']);
    expect(run('endpoints', '--db', db, '--since', 'yesterday-ish').code).toBe(1);
  });
});

describe('analyze --format ndjson endpoint records', () => {
  it('one {"kind":"endpoint"} record after the message that changed the state', () => {
    const r = run('analyze', capture('wakaama-observe.pcap'), '--coap-port', '56830', '--format', 'ndjson');
    const records = ndjson(r.stdout);
    const endpoints = records.filter((o) => o.kind === 'endpoint');
    expect(endpoints.map((e) => [e.frame, e.previous, e.state])).toEqual([[1, null, 'registering'], [2, 'registering', 'registered'], [21, 'registered', 'deregistered']]);
    expect(endpoints[1]).toEqual({
      kind: 'endpoint', frame: 2, ts: 1795415436.285194, endpoint: 'meter-0002', state: 'registered', previous: 'registering',
      address: '127.0.0.1:56830', location: '/rd/0', lifetime: 300, binding: 'U', lwm2mVersion: '1.1', queueMode: false, sms: null,
      objects: ['/1', '/1/0', '/2/0', '/3/0', '/4/0', '/5/0', '/6/0', '/7/0', '/31024', '/31024/10', '/31024/11', '/31024/12'],
      registeredAt: 1795415436.285194, updatedAt: 1795415436.285194, expiresAt: 1795415736.285194, dtls: null,
    });
    const at = records.indexOf(endpoints[1]);
    expect(records[at - 1]).toMatchObject({ kind: 'message', frame: 2 });
  });
});

describe('events', () => {
  const db = join(dir, 'events.db');
  beforeAll(() => {
    expect(run('analyze', capture('wakaama-observe.pcap'), '--coap-port', '56830', '--db', db).code).toBe(0);
    // Events written directly, with control characters in the text (rules write events like these).
    const w = new Database(db);
    const insert = w.prepare(`INSERT INTO events (run_id, ts, rule, severity, endpoint, src, dst, frame, message, details, outcome, outcome_code, outcome_frame)
      VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
    insert.run(1795415436.3, 'register-flood', 'high', 'meter-0002', '127.0.0.1:56830', '127.0.0.1:5683', 1, 'many registrations\u001b[31m', '{"count":9}', 'success', '2.01\u001b[2J', 2);
    insert.run(1795415450.0, 'plain-coap', 'low', null, '127.0.0.1:5683', '127.0.0.1:56830', 3, 'no DTLS', null, null, null, null);
    w.close();
  });

  it('lists events as a table: id, run, its capture file, full date; network text sanitized', () => {
    const r = run('events', '--db', db);
    expect(r.code).toBe(0);
    expect(r.stdout).not.toContain('\u001b');
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^ID\s+RUN\s+SOURCE\s+TIME\s+SEVERITY\s+RULE\s+ENDPOINT\s+SRC\s+FRAME\s+COUNT\s+OUTCOME\s+MESSAGE$/);
    expect(lines.slice(1).map((l) => l.split(/\s{2,}/))).toEqual([
      ['1', '1', 'wakaama-observe.pcap', '2026-11-23T06:30:36Z', 'high', 'register-flood', 'meter-0002', '127.0.0.1:56830', '1', '1', 'success 2.01\uFFFD[2J #2', 'many registrations\uFFFD[31m'],
      ['2', '1', 'wakaama-observe.pcap', '2026-11-23T06:30:50Z', 'low', 'plain-coap', '-', '127.0.0.1:5683', '3', '1', '-', 'no DTLS'],
    ]);
  });

  it('--format ndjson with --severity (that severity or worse), --endpoint, --since', () => {
    const rules = (...args: string[]) => ndjson(run('events', '--db', db, '--format', 'ndjson', ...args).stdout).map((e) => e.rule);
    expect(rules()).toEqual(['register-flood', 'plain-coap']);
    expect(rules('--severity', 'info')).toEqual(['register-flood', 'plain-coap']);
    expect(rules('--severity', 'low')).toEqual(['register-flood', 'plain-coap']);
    expect(rules('--severity', 'medium')).toEqual(['register-flood']);
    expect(rules('--severity', 'critical')).toEqual([]);
    expect(run('events', '--db', db, '--severity', 'severe').code).toBe(1);
    expect(rules('--endpoint', 'meter-0002')).toEqual(['register-flood']);
    expect(rules('--since', '1795415440')).toEqual(['plain-coap']);
    expect(ndjson(run('events', '--db', db, '--format', 'ndjson', '--severity', 'high').stdout)[0]).toMatchObject({
      run: 1, source: capture('wakaama-observe.pcap'), frame: 1, details: { count: 9 },
    });
  });
});

describe('store failures are one line and exit 1', () => {
  const oneLine = (r: ReturnType<typeof run>) => {
    expect(r.code).toBe(1);
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^coapwatch: database /);
  };

  it('an unwritable database path', () => {
    oneLine(run('analyze', capture('wakaama-observe.pcap'), '--db', join(dir, 'no-such-dir', 'x.db')));
  });

  it('a capture that is missing or not a capture leaves no run (nor database) behind', () => {
    const path = join(dir, 'never.db');
    for (const file of [join(dir, 'absent.pcap'), join(root, 'README.md')]) {
      const r = run('analyze', file, '--db', path);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/^coapwatch: .*(cannot open|not a pcap or pcapng file)/);
    }
    expect(existsSync(path)).toBe(false);
  });

  it('a database that does not exist, for the listing commands', () => {
    oneLine(run('endpoints', '--db', join(dir, 'absent.db')));
    oneLine(run('events', '--db', join(dir, 'absent.db')));
  });

  it('a database locked by another writer', () => {
    const path = join(dir, 'locked.db');
    expect(run('analyze', capture('wakaama-observe.pcap'), '--coap-port', '56830', '--db', path).code).toBe(0);
    const holder = new Database(path);
    holder.exec('BEGIN EXCLUSIVE');
    try {
      oneLine(run('analyze', capture('wakaama-observe.pcap'), '--coap-port', '56830', '--db', path));
    } finally {
      holder.exec('ROLLBACK');
      holder.close();
    }
    // Nothing accepted before was lost.
    expect(ndjson(run('endpoints', '--db', path, '--format', 'ndjson').stdout).map((e) => e.endpoint)).toEqual(['meter-0002']);
  });
});

describe('on a generated fleet capture', () => {
  const pcap = join(dir, 'fleet.pcap');
  const db = join(dir, 'fleet.db');
  let truth: Array<{ attack: string; endpoint: string }>;
  beforeAll(() => {
    const g = run('generate', '--pcap', pcap, '--meters', '6', '--households', '3', '--duration', '3600', '--attack', 'silent-meter,notify-after-cancel', '--bootstrap');
    expect(g.code).toBe(0);
    truth = ndjson(readFileSync(pcap.replace(/\.pcap$/, '.truth.ndjson'), 'utf8'));
    expect(run('analyze', pcap, '--db', db).code).toBe(0);
  });

  it('every meter and household instance is present; the silent meter expired', () => {
    const endpoints = ndjson(run('endpoints', '--db', db, '--format', 'ndjson').stdout);
    expect(endpoints.map((e) => e.endpoint).sort()).toEqual(['meter-00000', 'meter-00001', 'meter-00002', 'meter-00003', 'meter-00004', 'meter-00005']);
    for (const e of endpoints) expect(e.objects.filter((o: string) => /^\/(3305|10243)\/\d+$/.test(o))).toHaveLength(3);
    const silent = truth.find((t) => t.attack === 'silent-meter')!.endpoint;
    expect(endpoints.filter((e) => e.state === 'expired').map((e) => e.endpoint)).toEqual([silent]);
    expect(endpoints.filter((e) => e.state === 'registered')).toHaveLength(5);
  });

  it('the cancelled observation shows as cancelled, with the notifications that came after it counted', () => {
    const cancelledOn = truth.find((t) => t.attack === 'notify-after-cancel')!.endpoint;
    const r = new Database(db, { readonly: true });
    const rows = r.prepare('SELECT endpoint, state, ended_by, late_notifications FROM observations WHERE state = ?').all('cancelled') as Array<Record<string, unknown>>;
    const sessions = r.prepare('SELECT state, steps FROM bootstrap_sessions').all() as Array<{ state: string; steps: string }>;
    r.close();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ endpoint: cancelledOn, ended_by: 'cancel' });
    expect(rows[0].late_notifications).toBe(truth.filter((t) => t.attack === 'notify-after-cancel').length);
    // Six bootstrap sessions, finished; what they wrote is there by path and length only.
    expect(sessions.map((s) => s.state)).toEqual(Array(6).fill('finished'));
    expect(JSON.parse(sessions[0].steps).find((s: { operation: string }) => s.operation === 'bootstrap-write').written[0]).toEqual({ path: '/0/0/0', length: expect.any(Number) });
  });
});

describe('DTLS on the endpoint', () => {
  it('the endpoint row and record carry the DTLS session linked to it', () => {
    const db = join(dir, 'dtls.db');
    const r = run('analyze', join(root, 'captures/generated/attack-dtls-weak-cipher.pcap'), '--db', db, '--format', 'ndjson');
    expect(r.code).toBe(0);
    const rows = new Database(db, { readonly: true }).prepare('SELECT endpoint, dtls FROM endpoints WHERE dtls IS NOT NULL').all() as Array<{ endpoint: string; dtls: string }>;
    expect(rows).toEqual([{ endpoint: 'meter-00002', dtls: expect.any(String) }]);
    expect(JSON.parse(rows[0].dtls)).toEqual({ session: 1, state: 'established', cipherSuite: 'TLS_PSK_WITH_3DES_EDE_CBC_SHA', pskIdentity: 'meter-00002' });
  });
});
