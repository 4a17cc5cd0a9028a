import Database from 'better-sqlite3';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hasLibpcap, isRoot, libpcapReason, reapOnExit, rootReason } from '../support/live.js';
import { withoutCi } from '../support/terminal.js';

/*
 * `coapwatch monitor`, the live form of analyze, as a user runs it. Capturing needs libpcap
 * through the optional module `koffi`, and opening an interface needs root (CI runs as root):
 * tests that need what is missing are skipped, with the reason in their name.
 */
const root = join(import.meta.dirname, '../..');
const bin = join(root, 'bin/coapwatch.js');
const dir = mkdtempSync(join(tmpdir(), 'coapwatch-e2e-monitor-'));

const canCapture = hasLibpcap && isRoot;
const setpriv = ['/usr/bin/setpriv', '/bin/setpriv'].find((p) => existsSync(p));

function run(...args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', cwd: dir, timeout: 20_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('coapwatch monitor: errors a user meets, one line each, exit 1, nothing written', () => {
  it.skipIf(!hasLibpcap)(`no such interface: lists the ones there are${libpcapReason}`, () => {
    const db = join(dir, 'nope.db');
    const r = run('monitor', '-i', 'nonexistent0', '--db', db);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^coapwatch: no such interface "nonexistent0"; interfaces: .*\blo\b.*\n$/);
    expect(r.stderr.split('\n')).toHaveLength(2);
    expect(existsSync(db)).toBe(false);
  });

  it.skipIf(!canCapture)(`a BPF filter that does not compile: libpcap's message${rootReason}`, () => {
    const db = join(dir, 'bpf.db');
    const r = run('monitor', '-i', 'lo', '--filter', 'udp prt 5683', '--db', db, '--write', join(dir, 'bpf.pcap'));
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`coapwatch: --filter "udp prt 5683" does not compile: can't parse filter expression: syntax error\n`);
    expect(existsSync(db)).toBe(false);
    expect(existsSync(join(dir, 'bpf.pcap'))).toBe(false);
  });

  it.skipIf(!canCapture || setpriv === undefined)(`not permitted: says capture needs root or CAP_NET_RAW${rootReason}`, () => {
    const db = join(tmpdir(), `coapwatch-nobody-${process.pid}.db`);
    const r = spawnSync(setpriv!, ['--reuid=nobody', '--regid=nogroup', '--clear-groups', '--inh-caps=-all', process.execPath, bin, 'monitor', '-i', 'lo', '--db', db], { encoding: 'utf8', cwd: tmpdir(), timeout: 20_000 });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^coapwatch: capture on "lo" is not permitted \(.*\): it needs root or the CAP_NET_RAW capability, e\.g\. run as a service with packaging\/coapwatch\.service \(docs\/live\.md\)\n$/);
    expect(existsSync(db)).toBe(false);
  });

  it.skipIf(!canCapture)(`an unwritable database: the store's one line, and the pcap files started are removed${rootReason}`, () => {
    const pcap = join(dir, 'kept.pcap');
    const r = run('monitor', '-i', 'lo', '--db', join(dir, 'no/such/dir/x.db'), '--write', pcap);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^coapwatch: .*x\.db.*\n$/);
    expect(existsSync(pcap)).toBe(false);
  });

  it.skipIf(!canCapture)(`an unwritable --write file: one line, no database${rootReason}`, () => {
    const db = join(dir, 'unwritten.db');
    const r = run('monitor', '-i', 'lo', '--db', db, '--write', join(dir, 'no/such/dir/x.pcap'));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^coapwatch: .*x\.pcap: cannot write \(ENOENT\)\n$/);
    expect(existsSync(db)).toBe(false);
  });

  it('koffi not installed: one line saying what to install, nothing written', () => {
    const noKoffi = join(dir, 'no-koffi.cjs');
    writeFileSync(noKoffi, `const Module = require('node:module');
const resolve = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  if (request === 'koffi') throw Object.assign(new Error("Cannot find module 'koffi'"), { code: 'MODULE_NOT_FOUND' });
  return resolve.call(this, request, ...rest);
};
`);
    const db = join(dir, 'nokoffi.db');
    const pcap = join(dir, 'nokoffi.pcap');
    const r = spawnSync(process.execPath, ['-r', noKoffi, bin, 'monitor', '-i', 'lo', '--db', db, '--write', pcap], { encoding: 'utf8', cwd: dir, timeout: 20_000 });
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(`coapwatch: live capture needs the optional module "koffi", which is not installed: run "npm install koffi" in ${root}\n`);
    expect(existsSync(db)).toBe(false);
    expect(existsSync(pcap)).toBe(false);
  });

  it('a wrong flag value is a one-line error before anything is opened', () => {
    const r = run('monitor', '-i', 'lo', '--snaplen', 'ten');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/--snaplen.*"ten" is not a length from 64 to 262144/);
    // libpcap takes the buffer size as a C int
    const big = run('monitor', '-i', 'lo', '--buffer-size', '4096');
    expect(big.code).toBe(1);
    expect(big.stderr).toMatch(/--buffer-size.*"4096" is not a size in MiB from 1 to 2047/);
    const servers = run('monitor', '-i', 'lo', '--servers', '10.0.0.0/33');
    expect(servers.code).toBe(1);
    expect(servers.stderr).toMatch(/^error: option '--servers <addresses>' argument '10.0.0.0\/33' is invalid. "10.0.0.0\/33" is not a server address \(bad prefix length;.*\n$/);
  });
});

interface Started {
  stderr: () => string;
  stdout: () => string;
  exited: Promise<number | null>;
  kill: (signal: NodeJS.Signals) => void;
}

/** Starts monitor and resolves once it says it is capturing. */
function startMonitor(args: string[]): Promise<Started> {
  const child = reapOnExit(spawn(process.execPath, [bin, 'monitor', ...args], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] }));
  let stderr = '';
  let stdout = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`monitor did not start: ${stderr}`)), 15_000);
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
      if (/capturing on/.test(stderr)) {
        clearTimeout(timer);
        resolve({ stderr: () => stderr, stdout: () => stdout, exited, kill: (s) => child.kill(s) });
      }
    });
    child.on('exit', () => reject(new Error(`monitor exited: ${stderr}`)));
  });
}

function generate(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [bin, 'generate', '--live', ...args], { cwd: dir });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('coapwatch monitor -i lo while generate --live plays a fleet and an attack on loopback', () => {
  it.skipIf(!canCapture)(`stores every meter, its observation and the attack; stops cleanly on SIGINT${rootReason}`, async () => {
    const port = 40_000 + Math.floor(Math.random() * 20_000);
    const db = join(dir, 'live.db');
    const pcap = join(dir, 'live.pcap');
    // Only this test's traffic: other tests may use 5683 on lo at the same time.
    const monitor = await startMonitor(['-i', 'lo', '--filter', `udp port ${port}`, '--coap-port', String(port), '--db', db, '--stats-interval', '0.5', '--write', pcap]);
    const meters = 6;
    const g = await generate('--meters', String(meters), '--households', '2', '--duration', '600', '--speed', '300',
      '--server', `127.0.0.1:${port}`, '--attack', 'registration-flood,absurd-lifetime', '--truth', join(dir, 'live.truth.ndjson'));
    expect(g.stderr).toBe('');
    expect(g.code).toBe(0);
    const sent = JSON.parse(g.stdout);
    expect(sent.operations.register).toBe(meters + 101);
    expect(sent.received).toBe(sent.packets);
    await new Promise((r) => setTimeout(r, 700)); // a counters line after the last packet
    monitor.kill('SIGINT');
    expect(await monitor.exited).toBe(0);

    // The counters: every few seconds and at exit, on stderr and in the run's row.
    const lines = monitor.stderr().trimEnd().split('\n');
    expect(lines.length).toBeGreaterThanOrEqual(3);
    const counters = /^coapwatch: (\d+) received, (\d+|\?) dropped \(kernel\), (\d+|\?) dropped \(interface\), (\d+) dropped \(coapwatch\), (\d+) messages, (\d+) events$/;
    for (const l of lines.slice(1)) expect(l).toMatch(counters);
    const last = counters.exec(lines[lines.length - 1])!;
    expect(Number(last[4])).toBe(0);
    expect(Number(last[1])).toBe(Number(last[5])); // only CoAP passes the filter; each frame one message
    expect(monitor.stdout()).toMatch(/^lo \(live, EN10MB, \d+ packets\)/);

    const d = new Database(db, { readonly: true });
    const run = d.prepare('SELECT * FROM runs').get() as Record<string, number | string | null>;
    expect(run).toMatchObject({ source: 'iface:lo', interface: 'lo', packets_received: Number(last[1]), dropped_pipeline: 0, messages: Number(last[5]), packets: Number(last[1]) });
    expect(run.finished_at).not.toBeNull();
    if (run.dropped_kernel !== null) expect(run.dropped_kernel).toBe(0);

    // Every meter, registered, with its observation and every notification it sent.
    const fleet = d.prepare("SELECT endpoint, state, address FROM endpoints WHERE endpoint LIKE 'meter-0%' ORDER BY endpoint").all() as Array<{ endpoint: string; state: string; address: string }>;
    expect(fleet.map((e) => e.endpoint)).toEqual(Array.from({ length: meters }, (_, i) => `meter-${String(i).padStart(5, '0')}`));
    expect(fleet.every((e) => e.state === 'registered' && e.address.startsWith('127.1.0.'))).toBe(true);
    const observed = d.prepare("SELECT endpoint, notifications FROM observations WHERE endpoint LIKE 'meter-0%' AND notifications > 0 ORDER BY endpoint").all() as Array<{ endpoint: string; notifications: number }>;
    expect(observed.map((o) => o.endpoint)).toEqual(fleet.map((e) => e.endpoint));
    expect(observed.reduce((n, o) => n + o.notifications, 0)).toBe(sent.operations.notify);
    const values = d.prepare("SELECT COUNT(DISTINCT endpoint) AS n FROM resources WHERE endpoint LIKE 'meter-0%'").get() as { n: number };
    expect(values.n).toBe(meters);

    // The attack: a hundred made-up endpoints from one outside host, and a near-eternal lifetime.
    const flood = d.prepare("SELECT COUNT(*) AS n, COUNT(DISTINCT substr(address, 1, instr(address, ':') - 1)) AS hosts, MIN(address) AS address FROM endpoints WHERE endpoint LIKE 'flood-%'").get() as { n: number; hosts: number; address: string };
    expect(flood).toMatchObject({ n: 100, hosts: 1 });
    expect(flood.address).toMatch(/^127\.0\.113\.\d+:/);
    expect(d.prepare("SELECT lifetime, state FROM endpoints WHERE endpoint = 'meter-99999'").get()).toEqual({ lifetime: 4_294_967_295, state: 'registered' });
    // The rules saw the attack.
    const events = d.prepare('SELECT rule, endpoint, src FROM events').all() as Array<{ rule: string; endpoint: string | null; src: string | null }>;
    expect(events.some((e) => e.rule === 'registration-flood' && /^127\.0\.113\.1:/.test(e.src ?? '') && /^flood-/.test(e.endpoint ?? ''))).toBe(true);
    expect(events.some((e) => e.rule === 'lifetime-absurd' && e.endpoint === 'meter-99999' && /^127\.0\.113\.2:/.test(e.src ?? ''))).toBe(true);
    expect(run.events).toBe(Number(last[6]));
    d.close();

    // --write kept what was captured: analysing it offline finds the same messages.
    expect(readdirSync(dir).filter((f) => f.startsWith('live') && f.endsWith('.pcap'))).toEqual(['live.pcap']);
    const offline = spawnSync(process.execPath, [bin, 'analyze', pcap, '--coap-port', String(port), '--format', 'ndjson'], { encoding: 'utf8' });
    expect(offline.status).toBe(0);
    expect(offline.stdout.split('\n').filter((l) => l.startsWith('{"kind":"message"')).length).toBe(Number(last[5]));
  }, 60_000);

  it.skipIf(!canCapture)(`--format ndjson streams message records while capturing${rootReason}`, async () => {
    const port = 40_000 + Math.floor(Math.random() * 20_000);
    const monitor = await startMonitor(['-i', 'lo', '--filter', `udp port ${port}`, '--coap-port', String(port), '--db', join(dir, 'ndjson.db'), '--format', 'ndjson']);
    const g = await generate('--meters', '2', '--households', '1', '--duration', '100', '--speed', '200', '--server', `127.0.0.1:${port}`);
    expect(g.code).toBe(0);
    // Streamed, not held until exit.
    await new Promise((r) => setTimeout(r, 1_000));
    const streamed = monitor.stdout().split('\n').filter(Boolean).map((l) => JSON.parse(l));
    expect(streamed.some((o) => o.kind === 'message' && o.lwm2m?.operation === 'register')).toBe(true);
    expect(streamed.some((o) => o.kind === 'endpoint' && o.state === 'registered')).toBe(true);
    monitor.kill('SIGTERM');
    expect(await monitor.exited).toBe(0);
  }, 30_000);

  it.skipIf(!canCapture)(`SIGUSR2 reloads the rule files without dropping state; a broken file leaves the rules in force${rootReason}`, async () => {
    const port = 40_000 + Math.floor(Math.random() * 20_000);
    const db = join(dir, 'hup.db');
    const rules = join(dir, 'hup-rules.yaml');
    const rule = (id: string, when: string) => `id: ${id}\nsid: 1\ntitle: t\nseverity: low\ndescription: d\noperations: [register]\nwhen: ${when}\nsuppress: 0\n`;
    writeFileSync(rules, rule('never', 'm.isRequest && m.endpoint == "nobody"'));
    const monitor = await startMonitor(['-i', 'lo', '--filter', `udp port ${port}`, '--coap-port', String(port), '--db', db, '--rules', rules, '--stats-interval', '0.5']);
    const waitFor = async (re: RegExp) => {
      for (let i = 0; i < 100 && !re.test(monitor.stderr()); i++) await new Promise((r) => setTimeout(r, 100));
      expect(monitor.stderr()).toMatch(re);
    };
    expect((await generate('--meters', '2', '--households', '1', '--duration', '60', '--speed', '300', '--server', `127.0.0.1:${port}`)).code).toBe(0);
    writeFileSync(rules, rule('every-register', 'm.isRequest'));
    monitor.kill('SIGUSR2');
    await waitFor(/reloaded 1 rules/);
    writeFileSync(rules, 'id: broken\nsid: 1\nseverity: urgent\n');
    monitor.kill('SIGUSR2');
    await waitFor(/rules not reloaded, the ones in force stay:[\s\S]*hup-rules\.yaml:3: severity/);
    // The same two meters register again (same names, new ports): the endpoints they had are still known.
    expect((await generate('--meters', '2', '--households', '1', '--duration', '60', '--speed', '300', '--server', `127.0.0.1:${port}`)).code).toBe(0);
    await new Promise((r) => setTimeout(r, 700));
    monitor.kill('SIGINT');
    expect(await monitor.exited).toBe(0);
    const d = new Database(db, { readonly: true });
    const fired = d.prepare('SELECT rule, COUNT(*) AS n FROM events GROUP BY rule').all();
    expect(fired).toEqual([{ rule: 'every-register', n: 2 }]);
    expect((d.prepare('SELECT COUNT(*) AS n FROM endpoints').get() as { n: number }).n).toBe(2);
    d.close();
  }, 60_000);

  const hasTmux = (process.env.PATH ?? '').split(':').some((p) => p !== '' && existsSync(join(p, 'tmux')));
  it.skipIf(!canCapture || !hasTmux)(`--ui draws the dashboard over the run being written; q stops capture and exits 0${rootReason}${hasTmux ? '' : ' (skipped: no tmux)'}`, async () => {
    const port = 40_000 + Math.floor(Math.random() * 20_000);
    const db = join(dir, 'ui.db');
    const session = `coapwatch-monitor-ui-${process.pid}`;
    const tmux = (...args: string[]) => spawnSync('tmux', args, { encoding: 'utf8' }).stdout;
    tmux('new-session', '-d', '-s', session, '-x', '100', '-y', '30',
      `cd ${dir} && ${withoutCi} ${process.execPath} ${bin} monitor -i lo --filter 'udp port ${port}' --coap-port ${port} --db ${db} --ui; echo "EXITED $?"; sleep 30`);
    const waitFor = async (text: string) => {
      let screen = '';
      for (let i = 0; i < 150 && !screen.includes(text); i++) {
        await new Promise((r) => setTimeout(r, 100));
        screen = tmux('capture-pane', '-p', '-t', session);
      }
      expect(screen).toContain(text);
      return screen;
    };
    try {
      await waitFor('● live');
      expect((await generate('--meters', '2', '--households', '1', '--duration', '60', '--speed', '300', '--server', `127.0.0.1:${port}`)).code).toBe(0);
      tmux('send-keys', '-t', session, '2');
      const screen = await waitFor('meter-00001');
      expect(screen).toContain('meter-00000');
      expect(screen).toContain('registered');
      tmux('send-keys', '-t', session, 'q');
      await waitFor('EXITED 0');
    } finally {
      spawnSync('tmux', ['kill-session', '-t', session]);
    }
    const d = new Database(db, { readonly: true });
    expect((d.prepare('SELECT finished_at FROM runs').get() as { finished_at: number | null }).finished_at).not.toBeNull();
    d.close();
  }, 60_000);
});
