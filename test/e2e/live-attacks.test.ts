import Database from 'better-sqlite3';
import { spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_RULES } from '../../src/cli/rule-set.js';
import { ATTACK_NAMES } from '../../src/generate/attacks/index.js';
import { loadRules } from '../../src/rules/index.js';
import { RULES_FOR_ATTACK } from '../support/attack-rules.js';
import { hasLibpcap, isRoot, reapOnExit, rootReason } from '../support/live.js';
import { startPostgres } from '../support/postgres.js';

/*
 * The sensor end to end on the wire: `monitor --db --metrics` captures on the loopback interface
 * of a network namespace of the test's own (so that no other test's traffic mixes in) while
 * `generate --live` plays a bootstrapping fleet there with labelled attacks. Every attack the
 * truth file labels must be an event of its rule in the database, and the metrics, scraped while
 * monitor runs, must count what was captured and stored. Needs libpcap (through koffi), root and
 * `ip netns`; skipped otherwise, with the reason in the name.
 */
const root = join(import.meta.dirname, '../..');
const bin = join(root, 'bin/coapwatch.js');
const dir = mkdtempSync(join(tmpdir(), 'coapwatch-e2e-live-attacks-'));

/**
 * Every attack but those that are silences (seen only when a 300 s lifetime or pmax passes on the
 * wall clock) and the deregistration storm (it deregisters the whole fleet, which the attacks
 * played after it need registered).
 */
const NOT_HERE = new Set(['silent-meter', 'mute-notifications', 'deregistration-storm']);
const ATTACKS = ATTACK_NAMES.filter((a) => !NOT_HERE.has(a));

/** A network namespace with its loopback up, or why there is none. */
function makeNamespace(): { name: string } | { reason: string } {
  if (!hasLibpcap || !isRoot) return { reason: rootReason };
  const name = `coapwatch-e2e-${process.pid}`;
  for (const args of [['netns', 'add', name], ['netns', 'exec', name, 'ip', 'link', 'set', 'lo', 'up']]) {
    const r = spawnSync('ip', args, { encoding: 'utf8' });
    if (r.status !== 0) {
      spawnSync('ip', ['netns', 'del', name]);
      return { reason: ` (skipped: cannot make a network namespace: ip ${args.join(' ')}: ${(r.stderr || r.error?.message || '').trim()})` };
    }
  }
  return { name };
}
const ns = makeNamespace();
const netns = 'name' in ns ? ns.name : '';
const nsReason = 'reason' in ns ? ns.reason : '';
/**
 * The store many sensors share: a throwaway PostgreSQL (on a Unix socket, which the namespace
 * reaches through the file system) when it is installed, else a SQLite file.
 */
const pg = netns === '' ? null : startPostgres();
afterAll(() => {
  if (netns !== '') spawnSync('ip', ['netns', 'del', netns]);
  pg?.stop();
});

/** Rows of a query on the run's store, every value as the store gives it back as text or number. */
function storeRows(db: string, sql: string, columns: string[]): Array<Record<string, string | null>> {
  if (pg) {
    return pg.psql('live', sql).split('\n').filter((l) => l !== '').map((l) => {
      const values = l.split('\t');
      return Object.fromEntries(columns.map((c, i) => [c, values[i] === '' ? null : values[i]]));
    });
  }
  const d = new Database(db, { readonly: true });
  try {
    return (d.prepare(sql).all() as Array<Record<string, unknown>>).map((r) =>
      Object.fromEntries(columns.map((c) => [c, r[c] === null ? null : String(r[c])])));
  } finally {
    d.close();
  }
}

/** `coapwatch ARGS` inside the namespace (`ip netns exec` execs it: the pid is node's). */
const inNamespace = (...args: string[]) => ['netns', 'exec', netns, process.execPath, bin, ...args];

function generate(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = reapOnExit(spawn('ip', inNamespace('generate', '--live', ...args), { cwd: dir }));
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

/** GET /metrics from inside the namespace. */
function scrape(port: number): string {
  const r = spawnSync('ip', ['netns', 'exec', netns, process.execPath, '-e',
    `fetch('http://127.0.0.1:${port}/metrics').then(async (r) => process.stdout.write(r.status + ' ' + r.headers.get('content-type') + '\\n' + await r.text()))`,
  ], { encoding: 'utf8', timeout: 10_000 });
  return r.stdout;
}

/** The value of one series of a Prometheus text exposition, or undefined. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(series + ' '));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

interface Truth {
  frame: number | null;
  time: number;
  attack: string;
  endpoint: string;
}

describe('monitor --db --eve --metrics while generate --live plays labelled attacks', () => {
  it.skipIf(netns === '')(`every labelled attack is an event of its rule in the store (${pg ? 'PostgreSQL' : 'SQLite: PostgreSQL is not installed'}) and an alert in the EVE file; /metrics counts the run${nsReason}`, async () => {
    if (pg) pg.createDatabase('live');
    const db = pg ? pg.url('live') : join(dir, 'live.db');
    const eve = join(dir, 'eve.json');
    const truthFile = join(dir, 'live.truth.ndjson');
    const metricsPort = 9464;
    const monitor = reapOnExit(spawn('ip', inNamespace('monitor', '-i', 'lo', '--filter', 'udp', '--db', db, '--eve', eve, '--sensor', 'e2e-sensor', '--metrics', `127.0.0.1:${metricsPort}`, '--stats-interval', '0.5'), {
      cwd: dir, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, ...(pg ? { PGPASSWORD: pg.password } : {}) },
    }));
    let stderr = '';
    const exited = new Promise<number | null>((resolve) => monitor.on('exit', (code) => resolve(code)));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`monitor did not start: ${stderr}`)), 15_000);
      monitor.stderr!.setEncoding('utf8').on('data', (d: string) => {
        stderr += d;
        if (/capturing on/.test(stderr)) {
          clearTimeout(timer);
          resolve();
        }
      });
      monitor.on('exit', () => reject(new Error(`monitor exited: ${stderr}`)));
    });

    const g = await generate('--meters', '40', '--households', '2', '--duration', '1200', '--speed', '600', '--bootstrap',
      '--attack', ATTACKS.join(','), '--truth', truthFile);
    expect(g.stderr).toBe('');
    expect(g.code).toBe(0);
    const sent = JSON.parse(g.stdout);
    expect(sent.received).toBe(sent.packets);
    // A counters line and a metrics snapshot after the last packet.
    await new Promise((r) => setTimeout(r, 1_500));

    const metrics = scrape(metricsPort);
    expect(metrics.split('\n')[0]).toBe('200 text/plain; version=0.0.4; charset=utf-8');
    expect(sample(metrics, 'coapwatch_packets_received_total')).toBe(sent.packets);
    expect(sample(metrics, 'coapwatch_bytes_received_total')).toBe(sent.bytes + 42 * sent.packets); // Ethernet, IPv4, UDP headers
    expect(sample(metrics, 'coapwatch_packets_dropped_total{by="coapwatch"}')).toBe(0);
    expect(sample(metrics, 'coapwatch_coap_messages_total{operation="bootstrap-request",code="0.02"}')).toBe(sent.operations['bootstrap-request']);
    expect(sample(metrics, 'coapwatch_coap_messages_total{operation="register",code="0.02"}')).toBe(sent.operations.register);
    expect(sample(metrics, 'coapwatch_observations_open')).toBeGreaterThanOrEqual(40);
    expect(sample(metrics, 'coapwatch_rule_reloads_total{result="ok"}')).toBe(0);
    expect(metrics).toMatch(/^# TYPE coapwatch_events_total counter$/m);
    // Bounded labels only: no endpoint name, no address.
    const labels = metrics.split('\n').filter((l) => l.startsWith('coapwatch_')).map((l) => l.slice(0, l.lastIndexOf(' ')));
    expect(labels.filter((l) => /"meter-\d|"flood-\d|"127\./.test(l))).toEqual([]);

    monitor.kill('SIGINT');
    expect(await exited).toBe(0);

    const truth = readFileSync(truthFile, 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l) as Truth);
    expect(new Set(truth.map((t) => t.attack))).toEqual(new Set(ATTACKS));
    const events = storeRows(db, 'SELECT rule, severity, endpoint, ts FROM events', ['rule', 'severity', 'endpoint', 'ts'])
      .map((r) => ({ rule: r.rule!, severity: r.severity!, endpoint: r.endpoint, ts: Number(r.ts) }));
    const kinds = new Map(loadRules([DEFAULT_RULES]).rules.map((r) => [r.id, r.kind]));
    const missed = ATTACKS.filter((attack) => {
      const labelled = truth.filter((t) => t.attack === attack);
      return !events.some((e) => RULES_FOR_ATTACK[attack].includes(e.rule) && labelled.some((t) =>
        Math.abs(e.ts - t.time) <= 5 && (t.endpoint === '' || e.endpoint === t.endpoint || kinds.get(e.rule) === 'threshold')));
    });
    expect(missed).toEqual([]);
    if (pg) expect(storeRows(db, 'SELECT DISTINCT sensor FROM events', ['sensor'])).toEqual([{ sensor: 'e2e-sensor' }]);

    // The same attacks reach a SIEM: each is an EVE alert line (signature_id the rule's sid,
    // the rule id in alert.metadata.rule) of this sensor.
    const sids = new Map(loadRules([DEFAULT_RULES]).rules.map((r) => [r.id, r.sid]));
    const alerts = readFileSync(eve, 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, any>)
      .filter((r) => r.event_type === 'alert');
    expect(alerts.length).toBe(events.length);
    for (const a of alerts) {
      expect(a.host).toBe('e2e-sensor');
      expect(a.alert.signature_id).toBe(sids.get(a.alert.metadata.rule[0]));
    }
    const missedInEve = ATTACKS.filter((attack) => {
      const labelled = truth.filter((t) => t.attack === attack);
      return !alerts.some((a) => RULES_FOR_ATTACK[attack].includes(a.alert.metadata.rule[0]) && labelled.some((t) =>
        Math.abs(Date.parse(a.timestamp.replace(/(\.\d{3})\d{3}\+0000$/, '$1Z')) / 1000 - t.time) <= 5));
    });
    expect(missedInEve).toEqual([]);

    // The metrics agree with what was stored: events by rule. The counter keeps the severity an
    // event was raised with (a counter never goes down); the database has the one its answer gave.
    const byRule = new Map<string, number>();
    for (const e of events) byRule.set(e.rule, (byRule.get(e.rule) ?? 0) + 1);
    const counted = new Map<string, number>();
    for (const m of metrics.matchAll(/^coapwatch_events_total\{rule="([^"]+)",severity="[^"]+"\} (\d+)$/gm)) {
      counted.set(m[1], (counted.get(m[1]) ?? 0) + Number(m[2]));
    }
    expect(Object.fromEntries(counted)).toEqual(Object.fromEntries(byRule));
    const states = storeRows(db, 'SELECT state, COUNT(*) AS n FROM endpoints GROUP BY state', ['state', 'n']);
    for (const { state, n } of states) expect(sample(metrics, `coapwatch_endpoints{state="${state}"}`), state!).toBe(Number(n));
  }, 90_000);
});

describe('monitor --metrics: errors, one line each, exit 1, nothing written', () => {
  it('a value that is not HOST:PORT', () => {
    const r = spawnSync(process.execPath, [bin, 'monitor', '-i', 'lo', '--metrics', '9464'], { encoding: 'utf8', cwd: dir });
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(`error: option '--metrics <host:port>' argument '9464' is invalid. "9464" is not HOST:PORT (e.g. 127.0.0.1:9464 or [::1]:9464)\n`);
  });

  it('a port in use, before capture opens', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const port = (taken.address() as { port: number }).port;
    const db = join(dir, 'in-use.db');
    try {
      const r = spawnSync(process.execPath, [bin, 'monitor', '-i', 'lo', '--db', db, '--metrics', `127.0.0.1:${port}`], { encoding: 'utf8', cwd: dir, timeout: 20_000 });
      expect(r.status).toBe(1);
      expect(r.stderr).toBe(`coapwatch: --metrics 127.0.0.1:${port}: cannot listen: address in use\n`);
      expect(existsSync(db)).toBe(false);
    } finally {
      taken.close();
    }
  });
});
