import { spawn } from 'node:child_process';
import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

/*
 * analyze --format ndjson --threads 2 (a formatter thread and a state thread, merged) must write
 * the very bytes --threads 1 (the single-threaded session) writes.
 */
const root = join(import.meta.dirname, '../..');
const bin = join(root, 'bin/coapwatch.js');

/** The built CLI, asynchronously: a long synchronous spawn would starve vitest's own messages. */
function run(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return runNode([bin, ...args]);
}

function runNode(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args);
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') }));
  });
}

function kinds(stdout: string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const line of stdout.split('\n')) {
    const kind = /^\{"kind":"(\w+)"/.exec(line)?.[1];
    if (kind) counts[kind] = (counts[kind] ?? 0) + 1;
  }
  return counts;
}

/** Runs both ways; returns the (identical) stdout. */
async function expectSameOutput(args: string[]): Promise<string> {
  const one = await run('analyze', ...args, '--format', 'ndjson', '--threads', '1');
  const two = await run('analyze', ...args, '--format', 'ndjson', '--threads', '2');
  expect(one.code, one.stderr).toBe(0);
  expect(two.code, two.stderr).toBe(0);
  expect(two.stderr).toBe(one.stderr);
  // Not toBe on megabytes of text: a readable failure names the first differing line.
  if (two.stdout !== one.stdout) {
    const a = one.stdout.split('\n');
    const b = two.stdout.split('\n');
    const at = a.findIndex((l, i) => l !== b[i]);
    expect({ line: at + 1, threads2: b[at] }).toEqual({ line: at + 1, threads2: a[at] });
  }
  expect(two.stdout).toBe(one.stdout);
  return one.stdout;
}

const generated = (name: string) => join(root, 'captures/generated', name);
const reference = (name: string) => join(root, 'captures/reference', name);

/** Each capture, and what it holds (with the default rules) that makes the order of lines matter. */
const CASES: Array<[string, string[], Record<string, number>]> = [
  ['registration flood (many events and endpoint changes)', [generated('attack-registration-flood.pcap')], { event: 50, endpoint: 100 }],
  ['deregistration storm', [generated('attack-deregistration-storm.pcap')], { event: 1, endpoint: 20 }],
  ['silent meter (an absence event)', [generated('attack-silent-meter.pcap')], { event: 1 }],
  ['DTLS handshake failure', [generated('attack-dtls-handshake-failure.pcap')], { dtls: 1, event: 2 }],
  ['plaintext downgrade (DTLS, then plain CoAP)', [generated('attack-plaintext-downgrade.pcap')], { dtls: 1, event: 2 }],
  ['bootstrap', [generated('bootstrap.pcap')], { endpoint: 1 }],
  ['wakaama block-wise', [reference('wakaama-blockwise.pcap'), '--coap-port', '56830'], {}],
  ['wakaama register and device management, no heuristic', [reference('wakaama-register-dm.pcap'), '--coap-port', '56830', '--no-heuristic'], { endpoint: 1 }],
  ['libcoap block-wise observe', [reference('libcoap-block-observe.pcap')], {}],
  ['libcoap TCP over IPv6', [reference('libcoap-tcp-ipv6.pcap')], {}],
  ['DTLS PSK, decrypted', [reference('libcoap-dtls-psk.pcap'), '--psk', 'wk-dtls-ep:736573616d65'], { dtls: 5 }],
  ['pcapng, two interfaces', [join(root, 'test/fixtures/capture/two-interfaces.pcapng')], {}],
];

describe('analyze --threads 2 writes what --threads 1 writes', () => {
  for (const [what, args, holds] of CASES) {
    it(`${what}, with the default rules and with --no-rules`, async () => {
      const count = kinds(await expectSameOutput(args));
      expect(count.message ?? 0).toBeGreaterThan(0);
      for (const [kind, min] of Object.entries(holds)) expect(count[kind] ?? 0, kind).toBeGreaterThanOrEqual(min);
      await expectSameOutput([...args, '--no-rules']);
    });
  }

  it('a capture larger than one read chunk (8 MiB), with many events and endpoint expiries', { timeout: 120_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'coapwatch-threads-'));
    const pcap = join(dir, 'big.pcap');
    const gen = await run('generate', '--pcap', pcap, '--meters', '500', '--households', '4', '--duration', '10800',
      '--attack', 'registration-flood,deregistration-storm,silent-meter,tiny-lifetime,observe-flood,dtls-handshake-failure,plaintext-downgrade,retransmission-storm');
    expect(gen.code, gen.stderr).toBe(0);
    expect(statSync(pcap).size).toBeGreaterThan(8 << 20);
    const out = await expectSameOutput([pcap]);
    const lines = out.trimEnd().split('\n');
    const count = kinds(out);
    expect(count.event).toBeGreaterThan(100);
    expect(count.endpoint).toBeGreaterThan(500);
    expect(lines.filter((l) => l.startsWith('{"kind":"endpoint"') && l.includes('"state":"expired"')).length).toBeGreaterThan(50);
    // Events and endpoint lines are spread through the messages, not bunched at one end.
    const firstEvent = lines.findIndex((l) => l.startsWith('{"kind":"event"'));
    const lastMessage = lines.findLastIndex((l) => l.startsWith('{"kind":"message"'));
    expect(firstEvent).toBeGreaterThan(0);
    expect(firstEvent).toBeLessThan(lastMessage);
    expect(lines[0]).toMatch(/^\{"kind":"message"/);
  });

  it('a state thread that fails ends the run with one line on stderr and exit status 1, never a hang', async () => {
    // test/support/fail-in-worker.mjs throws in every worker thread as it starts.
    const r = await runNode(['--import', join(root, 'test/support/fail-in-worker.mjs'), bin, 'analyze', generated('fleet-hour.pcap'), '--format', 'ndjson', '--threads', '2']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('coapwatch: state thread: internal error: injected state thread failure\n');
    // The same preload leaves one thread alone: the failure is the state thread's.
    const one = await runNode(['--import', join(root, 'test/support/fail-in-worker.mjs'), bin, 'analyze', generated('fleet-hour.pcap'), '--format', 'ndjson', '--threads', '1']);
    expect(one.code).toBe(0);
  });

  it('--threads takes 1 or 2: anything else is a one-line error and exit status 1', async () => {
    for (const bad of ['0', '3', 'two']) {
      const r = await run('analyze', generated('fleet-hour.pcap'), '--format', 'ndjson', '--threads', bad);
      expect(r.code).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr.split('\n')[0]).toBe(`error: option '--threads <n>' argument '${bad}' is invalid. "${bad}" is not a thread count from 1 to 2`);
    }
  });

  it('--help says what --threads does and where', async () => {
    const r = await run('analyze', '--help');
    expect(r.stdout.replace(/\s+/g, ' ')).toMatch(/--threads <n> with --format ndjson \(not with --ui or --db\)/);
  });

  it('with --threads 2 a missing file and a bad rule file are reported as with one thread', async () => {
    const missing = await run('analyze', join(root, 'no-such.pcap'), '--format', 'ndjson', '--threads', '2');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe(`coapwatch: ${join(root, 'no-such.pcap')}: cannot open (no such file)\n`);
    const rules = await run('analyze', generated('fleet-hour.pcap'), '--format', 'ndjson', '--threads', '2', '--rules', join(root, 'no-such-rules'));
    const rules1 = await run('analyze', generated('fleet-hour.pcap'), '--format', 'ndjson', '--threads', '1', '--rules', join(root, 'no-such-rules'));
    expect(rules.code).toBe(1);
    expect(rules.stderr).toBe(rules1.stderr);
    expect(rules.stdout).toBe('');
  });
});
