import Database from 'better-sqlite3';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hasLibpcap, isRoot, reapOnExit, rootReason } from '../support/live.js';

/*
 * `monitor --eve` as logrotate and a SIEM see it: the file is renamed under the running sensor,
 * SIGHUP makes it open the name again, and the records after the signal (transactions, alerts,
 * the periodic stats) are in the new file. Needs libpcap and root, as the other monitor tests.
 */
const root = join(import.meta.dirname, '../..');
const bin = join(root, 'bin/coapwatch.js');
const dir = mkdtempSync(join(tmpdir(), 'coapwatch-e2e-monitor-eve-'));
const canCapture = hasLibpcap && isRoot;

function startMonitor(args: string[]) {
  const child = reapOnExit(spawn(process.execPath, [bin, 'monitor', ...args], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] }));
  let stderr = '';
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  child.stdout.resume();
  return new Promise<{ stderr: () => string; exited: Promise<number | null>; kill: (s: NodeJS.Signals) => void }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`monitor did not start: ${stderr}`)), 15_000);
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
      if (/capturing on/.test(stderr)) {
        clearTimeout(timer);
        resolve({ stderr: () => stderr, exited, kill: (s) => child.kill(s) });
      }
    });
    child.on('exit', () => reject(new Error(`monitor exited: ${stderr}`)));
  });
}

function generate(...args: string[]): Promise<number | null> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [bin, 'generate', '--live', ...args], { cwd: dir, stdio: 'ignore' });
    child.on('exit', (code) => resolve(code));
  });
}

const records = (file: string) => (existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l)) : []);

describe('monitor --eve and the operator\'s signals', () => {
  it.skipIf(!canCapture)(`SIGHUP after logrotate moved the file: the next records go to a new file of the same name${rootReason}`, async () => {
    const port = 40_000 + Math.floor(Math.random() * 20_000);
    const eve = join(dir, 'eve.json');
    const monitor = await startMonitor(['-i', 'lo', '--filter', `udp port ${port}`, '--coap-port', String(port), '--db', join(dir, 'hup.db'),
      '--eve', eve, '--sensor', 'pole-12', '--stats-interval', '0.3']);
    const waitFor = async (what: () => boolean, why: string) => {
      for (let i = 0; i < 100 && !what(); i++) await new Promise((r) => setTimeout(r, 100));
      expect(what(), why).toBe(true);
    };
    const fleet = (attack: string) => ['--meters', '2', '--households', '1', '--duration', '60', '--speed', '300', '--server', `127.0.0.1:${port}`, '--attack', attack];
    expect(await generate(...fleet('absurd-lifetime'))).toBe(0);
    await waitFor(() => records(eve).some((r) => r.event_type === 'alert'), 'the first run\'s alert is in the file');
    renameSync(eve, `${eve}.1`);
    // Until the signal, the sensor still writes the moved file.
    await waitFor(() => records(`${eve}.1`).filter((r) => r.event_type === 'stats').length >= 2 && !existsSync(eve), 'stats go on into the moved file');
    monitor.kill('SIGHUP');
    await waitFor(() => /SIGHUP: reopened .*eve\.json/.test(monitor.stderr()), 'the reopen is logged');
    expect(await generate(...fleet('registration-flood'))).toBe(0);
    await waitFor(() => records(eve).some((r) => r.event_type === 'alert'), 'the second run\'s alert is in the new file');
    monitor.kill('SIGINT');
    expect(await monitor.exited).toBe(0);

    const before = records(`${eve}.1`);
    const after = records(eve);
    const kinds = (rs: Array<Record<string, unknown>>) => new Set(rs.map((r) => r.event_type));
    expect(kinds(before)).toEqual(new Set(['coap', 'alert', 'stats']));
    expect(kinds(after)).toEqual(new Set(['coap', 'alert', 'stats']));
    // Nothing written twice, nothing lost: the moved file ends where the new one starts.
    const lastBefore = before[before.length - 1].timestamp as string;
    expect(after.every((r) => (r.timestamp as string) >= lastBefore || r.event_type === 'coap')).toBe(true);
    for (const r of [...before, ...after]) expect(r).toMatchObject({ host: 'pole-12', in_iface: 'lo' });
    expect(before.find((r) => r.event_type === 'alert')).toMatchObject({ alert: { signature_id: 5683704, severity: 2, rule_severity: 'medium' }, dest_port: port, proto: 'UDP' });
    expect(after.filter((r) => r.event_type === 'alert').map((r) => (r.alert as { signature_id: number }).signature_id)).toContain(5683701);
    expect(before.some((r) => r.event_type === 'alert' && (r.alert as { signature_id: number }).signature_id === 5683701)).toBe(false);
    const stats = after.filter((r) => r.event_type === 'stats');
    expect(stats[stats.length - 1].stats.detect.alert).toBeGreaterThanOrEqual(2);
    expect(stats[stats.length - 1].stats.capture.kernel_packets).toBeGreaterThan(0);
  }, 60_000);
});

describe('monitor --prune-older-than', () => {
  it.skipIf(!canCapture)(`prunes the database it writes at start (and hourly): an old run goes, its own run stays${rootReason}`, async () => {
    const db = join(dir, 'retained.db');
    const analyzed = spawnSync(process.execPath, [bin, 'analyze', join(root, 'captures/generated/attack-execute-reboot.pcap'), '--db', db, '--no-progress'], { encoding: 'utf8' });
    expect(analyzed.status).toBe(0);
    const d = new Database(db);
    d.prepare('UPDATE runs SET finished_at = ? WHERE id = 1').run(Date.now() / 1000 - 31 * 86_400);
    d.close();
    const port = 40_000 + Math.floor(Math.random() * 20_000);
    const monitor = await startMonitor(['-i', 'lo', '--filter', `udp port ${port}`, '--db', db, '--prune-older-than', '30d', '--stats-interval', '0.3']);
    for (let i = 0; i < 100 && !/prune:/.test(monitor.stderr()); i++) await new Promise((r) => setTimeout(r, 100));
    monitor.kill('SIGINT');
    expect(await monitor.exited).toBe(0);
    expect(monitor.stderr()).toMatch(/^coapwatch: prune: removed 1 run and \d+ rows \(.*\) older than \S+Z$/m);
    // Once at start; the next is an hour later.
    expect(monitor.stderr().match(/prune:/g)).toHaveLength(1);
    const after = new Database(db, { readonly: true });
    expect(after.prepare('SELECT id, source FROM runs').all()).toEqual([{ id: 2, source: 'iface:lo' }]);
    expect(after.prepare('SELECT COUNT(*) FROM events WHERE run_id = 1').pluck().get()).toBe(0);
    after.close();
  }, 30_000);
});
