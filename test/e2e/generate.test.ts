import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ATTACK_NAMES } from '../../src/generate/attacks/index.js';

/* The built CLI, run as a user would (npm test builds dist/ first). */
const bin = join(import.meta.dirname, '../../bin/coapwatch.js');

function run(...args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', maxBuffer: 256 << 20 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

interface Message {
  frame: number;
  ts: number;
  src: string;
  coap: { role: string; uriQuery: string[] };
  lwm2m: { operation: string; endpoint: string | null; records: Array<{ path: string; value: unknown }>; payloadError: string | null } | null;
  error: string | null;
}

function analyze(pcap: string): Message[] {
  const r = run('analyze', pcap, '--format', 'ndjson', '--no-progress');
  expect(r.code).toBe(0);
  // Other kinds of line (endpoint state changes) are not messages.
  return r.stdout.trimEnd().split('\n').map((l) => JSON.parse(l)).filter((l) => l.kind === 'message') as Message[];
}

interface Generated {
  packets: number;
  operations: Record<string, number>;
  truth: string | null;
  injected: number;
}

function generate(...args: string[]): Generated {
  const r = run('generate', ...args);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout) as Generated;
}

/** Requests, notifications and pings by operation: what the generator logs. */
function operationsSeen(messages: Message[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const m of messages) {
    if (!['request', 'notification', 'ping'].includes(m.coap.role) || m.lwm2m === null) continue;
    counts[m.lwm2m.operation] = (counts[m.lwm2m.operation] ?? 0) + 1;
  }
  return counts;
}

const METERS = 6;
const HOUSEHOLDS = 3;
const meterNames = Array.from({ length: METERS }, (_, i) => `meter-${String(i).padStart(5, '0')}`);

describe('coapwatch generate --pcap, then analyze', () => {
  let dir: string;
  beforeAll(() => { dir = mkdtempSync(join(tmpdir(), 'coapwatch-generate-')); });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  for (const mode of [[], ['--bootstrap'], ['--queue-mode']]) {
    it(`finds every meter, household instance and logged operation (${mode.join(' ') || 'plain fleet'})`, () => {
      const pcap = join(dir, `fleet${mode.join('')}.pcap`);
      const generated = generate('--pcap', pcap, '--meters', String(METERS), '--households', String(HOUSEHOLDS), '--duration', '1200', '--seed', '7', ...mode);
      const messages = analyze(pcap);
      expect(messages).toHaveLength(generated.packets);
      expect(messages.filter((m) => m.error !== null || m.lwm2m?.payloadError)).toEqual([]);
      expect(operationsSeen(messages)).toEqual(generated.operations);
      expect(new Set(messages.map((m) => m.lwm2m?.endpoint))).toEqual(new Set(meterNames));
      for (const endpoint of meterNames) {
        const instances = new Set(messages
          .filter((m) => m.lwm2m?.endpoint === endpoint && m.lwm2m.operation === 'notify')
          .flatMap((m) => m.lwm2m!.records.map((r) => r.path.split('/').slice(1, 3).join('/'))));
        expect(instances.size, endpoint).toBe(HOUSEHOLDS);
      }
      const expected = mode.includes('--bootstrap')
        ? ['bootstrap-request', 'bootstrap-delete', 'bootstrap-write', 'bootstrap-finish', 'register', 'read', 'write-attributes', 'observe', 'notify', 'update', 'send']
        : ['register', 'read', 'write-attributes', 'observe', 'notify', 'update', 'send'];
      for (const op of expected) expect(generated.operations[op], op).toBeGreaterThan(0);
      if (mode.includes('--queue-mode')) {
        expect(messages.filter((m) => m.lwm2m?.operation === 'register').every((m) => m.coap.role !== 'request' || m.coap.uriQuery.some((q) => q === 'Q' || q === 'b=UQ'))).toBe(true);
      }
    });
  }

  it('gives the same bytes for the same seed, other bytes for another', () => {
    const [a, b, c] = ['a', 'b', 'c'].map((n) => join(dir, `${n}.pcap`));
    generate('--pcap', a, '--meters', '3', '--duration', '300', '--seed', '5');
    generate('--pcap', b, '--meters', '3', '--duration', '300', '--seed', '5');
    generate('--pcap', c, '--meters', '3', '--duration', '300', '--seed', '6');
    expect(readFileSync(a).equals(readFileSync(b))).toBe(true);
    expect(readFileSync(a).equals(readFileSync(c))).toBe(false);
  });

  it('--speed compresses simulated time into capture time', () => {
    const pcap = join(dir, 'speed.pcap');
    generate('--pcap', pcap, '--meters', '2', '--duration', '3600', '--speed', '60');
    const times = analyze(pcap).map((m) => m.ts);
    expect(times[times.length - 1] - times[0]).toBeGreaterThan(50);
    expect(times[times.length - 1] - times[0]).toBeLessThan(60);
  });

  it('--profiles reads 10-minute watts per household column', () => {
    const csv = join(dir, 'profiles.csv');
    writeFileSync(csv, 'time,house-a,house-b\n06:30,1000,2000\n06:40,1000,2000\n06:50,1000,2000\n');
    const pcap = join(dir, 'profiles.pcap');
    generate('--pcap', pcap, '--meters', '1', '--households', '2', '--duration', '600', '--profiles', csv);
    const first = analyze(pcap).find((m) => m.lwm2m?.operation === 'notify' || (m.lwm2m?.operation === 'observe' && m.coap.role === 'response'));
    expect(first!.lwm2m!.records.filter((r) => r.path.endsWith('/5800')).map((r) => r.value)).toEqual([1000, 2000]);
  });

  it('--attack writes FILE.truth.ndjson whose every frame is an injected message about the named endpoint', () => {
    const pcap = join(dir, 'attacks.pcap');
    const names = ATTACK_NAMES;
    expect(run('generate', '--help').stdout.replace(/\s+/g, ' ')).toContain(names.join(', '));
    // skip-bootstrap needs a fleet that bootstraps; deregistration-storm at least 10 meters; each meter fault one meter of its own.
    const generated = generate('--pcap', pcap, '--meters', '14', '--households', '2', '--duration', '1200', '--bootstrap', '--attack', names.join(','));
    expect(generated.truth).toBe(join(dir, 'attacks.truth.ndjson'));
    const truth = readFileSync(generated.truth!, 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l) as { frame: number | null; time: number; attack: string; endpoint: string });
    expect(new Set(truth.map((t) => t.attack))).toEqual(new Set(names));
    expect(truth.filter((t) => t.frame !== null)).toHaveLength(generated.injected);
    // DTLS records (the downgraded meter's before the attack, the dtls-* handshakes) are frames but not messages.
    const byFrame = new Map(analyze(pcap).map((m) => [m.frame, m]));
    for (const t of truth) {
      if (t.frame === null || t.attack.startsWith('dtls-')) continue;
      const m = byFrame.get(t.frame)!;
      expect(m, `frame ${t.frame}`).toBeDefined();
      // A request or notification names its endpoint; the impostor's and the flood's are their own claims.
      if (m.coap.role === 'request' && m.lwm2m?.operation === 'register') expect(m.coap.uriQuery).toContain(`ep=${t.endpoint}`);
    }
    const malformed = truth.filter((t) => t.attack === 'malformed-tlv' || t.attack === 'malformed-senml').map((t) => byFrame.get(t.frame!)!);
    expect(malformed.every((m) => m.lwm2m?.payloadError)).toBe(true);
    const broken = truth.filter((t) => t.attack === 'malformed-coap').map((t) => byFrame.get(t.frame!)!);
    expect(broken.length).toBeGreaterThan(0);
    expect(broken.every((m) => m.error !== null)).toBe(true);
  });

  it('refuses a bad flag with one line on stderr and exit status 1', () => {
    for (const args of [['--meters', '1', '--attack', 'silent-meter,out-of-range'], ['--pcap', '/nonexistent/x.pcap'], ['--households', '17'], ['--meters', 'many'], ['--server', 'nowhere'], ['--attack', 'bogus'], ['--attack', 'skip-bootstrap'], ['--meters', '4', '--attack', 'deregistration-storm'], ['--profiles', join(dir, 'missing.csv')]]) {
      const r = run('generate', '--pcap', join(dir, 'x.pcap'), ...args);
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.stderr.trimEnd().split('\n'), args.join(' ')).toHaveLength(1);
    }
  });
});
