import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { readCapture } from '../../src/capture/index.js';
import { DEFAULT_RULES } from '../../src/cli/rule-set.js';
import { AnalysisSession } from '../../src/cli/session.js';
import { pskKeys, type PskEntry } from '../../src/dtls/index.js';
import { loadRules, SEVERITIES, type DetectionEvent, type Rule } from '../../src/rules/index.js';
import { RULES_FOR_ATTACK } from '../support/attack-rules.js';

const root = join(import.meta.dirname, '../..');
const bin = join(root, 'bin/coapwatch.js');
const generated = (name: string) => join(root, 'captures/generated', name);
const reference = (name: string) => join(root, 'captures/reference', name);

function run(...args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', cwd: root });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Every event of a capture under the given rules (suppression off when asked, to see every match). */
async function eventsOf(file: string, rules: readonly Rule[], coapPort: number[] = [], psk?: PskEntry[]): Promise<DetectionEvent[]> {
  const events: DetectionEvent[] = [];
  const session = new AnalysisSession({
    format: 'summary', coapPort, heuristic: true, source: file, rules, onEvent: (e) => events.push(e), ...(psk && { psk: pskKeys(psk) }),
  });
  await readCapture(file, session.push);
  session.finish(null);
  return events;
}

const defaults = loadRules([DEFAULT_RULES]).rules;
const unsuppressed = defaults.map((r) => ({ ...r, suppress: { ...r.suppress, type: 'limit' as const, seconds: 0 } }));

interface Truth {
  frame: number | null;
  time: number;
  attack: string;
  endpoint: string;
}

/** A labelled frame counts as found when its attack's rule fired on it, or on its exchange or burst (same endpoint, within a minute). */
function found(t: Truth, events: DetectionEvent[], ruleIds: string[]): boolean {
  const kinds = new Map(defaults.map((r) => [r.id, r.kind]));
  return events.some((e) => ruleIds.includes(e.rule) && (
    (t.frame !== null && e.frame === t.frame) ||
    (t.frame === null && e.endpoint === t.endpoint && e.ts >= t.time) ||
    (Math.abs(e.ts - t.time) <= 60 && (e.endpoint === t.endpoint || kinds.get(e.rule) === 'threshold'))));
}

describe('default ruleset', () => {
  it('passes `coapwatch rules test`: every rule fires on its trigger capture and not on its clean one', () => {
    const r = run('rules', 'test');
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(new RegExp(`${defaults.length} of ${defaults.length} rules pass`));
    expect(r.code).toBe(0);
  });

  it('a capture begun in the middle of a fleet\'s life (its observations and exchanges opened before it) raises nothing of medium or above', async () => {
    // What a sensor started on a running network sees: notifications whose Observe request it never saw.
    const events: DetectionEvent[] = [];
    let packets = 0;
    let notifications = 0;
    const session = new AnalysisSession({
      format: 'summary', coapPort: [], heuristic: true, source: 'fleet-hour, cut', rules: defaults, onEvent: (e) => events.push(e),
      onMessage: (m) => { if (m.lwm2m?.operation === 'notify' && m.coap.match.request === null) notifications++; },
    });
    await readCapture(generated('fleet-hour.pcap'), (p) => { if (++packets > 300) session.push(p); });
    session.finish(null);
    expect(notifications).toBeGreaterThan(10);
    expect(events.filter((e) => SEVERITIES.indexOf(e.severity) >= SEVERITIES.indexOf('medium')).map((e) => `${e.rule} ${e.frame}: ${e.message}`)).toEqual([]);
  });

  it('finds every labelled frame of every generator attack (recall per attack)', async () => {
    const truthFiles = readdirSync(join(root, 'captures/generated')).filter((f) => f.endsWith('.truth.ndjson'));
    expect(truthFiles.length).toBeGreaterThanOrEqual(30);
    const report: string[] = [];
    const missed: string[] = [];
    for (const f of truthFiles) {
      const truth = readFileSync(generated(f), 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l) as Truth);
      const events = await eventsOf(generated(f.replace('.truth.ndjson', '.pcap')), unsuppressed);
      for (const attack of new Set(truth.map((t) => t.attack))) {
        const ids = RULES_FOR_ATTACK[attack];
        expect(ids, `no rule mapped for attack ${attack}`).toBeDefined();
        const labelled = truth.filter((t) => t.attack === attack);
        const hits = labelled.filter((t) => found(t, events, ids)).length;
        report.push(`${f.replace('.truth.ndjson', '').padEnd(36)} ${attack.padEnd(26)} recall ${hits}/${labelled.length}`);
        if (hits < labelled.length) missed.push(`${f}: ${attack} ${hits}/${labelled.length}`);
      }
    }
    console.info(`recall per attack\n${report.join('\n')}`);
    expect(missed).toEqual([]);
  }, 60_000);

  // The reference captures' ports (captures/reference/README.md): Wakaama's client and bootstrap
  // server, the libcoap DTLS server, and the servers of the Anjay captures. The DTLS capture's
  // third part decrypts with its key, so its CoAP is judged too.
  const referencePorts = [56830, 56831, 56840, 5685, 5784, 25683, 25783, 25883];
  const referenceKeys: PskEntry[] = [{ identity: 'wk-dtls-ep', key: Buffer.from('sesame') }];
  it.each([
    ['fleet-hour.pcap', generated('fleet-hour.pcap'), []],
    ['bootstrap.pcap', generated('bootstrap.pcap'), []],
    ['queue-mode.pcap', generated('queue-mode.pcap'), []],
    // The `-attack-` ones are attacks by design: test/e2e/reference-detection.test.ts says which alerts each must raise.
    ...readdirSync(join(root, 'captures/reference'))
      .filter((f) => f.endsWith('.pcap') && !f.includes('-attack-'))
      .map((f) => [f, reference(f), referencePorts] as const),
  ])('raises nothing at medium or above on the clean capture %s', async (_name, file, ports) => {
    const events = await eventsOf(file, defaults, [...ports], referenceKeys);
    const serious = events.filter((e) => SEVERITIES.indexOf(e.severity) >= SEVERITIES.indexOf('medium'));
    expect(serious.map((e) => `${e.rule}: ${e.message}`)).toEqual([]);
  });
});

describe('events from analyze', () => {
  it('--format ndjson streams {"kind":"event"} records with the evidence, right after the message that caused them', () => {
    const r = run('analyze', generated('attack-rogue-security-write.pcap'), '--format', 'ndjson');
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n').map((l) => JSON.parse(l));
    const i = lines.findIndex((o) => o.kind === 'event');
    const event = lines[i];
    expect(Object.keys(event)).toEqual(['kind', 'id', 'ts', 'rule', 'severity', 'endpoint', 'src', 'dst', 'frame', 'message', 'details', 'count', 'outcome']);
    expect(event).toMatchObject({ rule: 'security-object-modified', severity: 'high', endpoint: 'meter-00003', frame: 65 });
    expect(event.message).toContain('/0/0');
    expect(event.details).toMatchObject({ operation: 'write', path: '/0/0' });
    expect(lines[i - 1]).toMatchObject({ kind: 'message', frame: 65 });
  });

  it('--db stores events with their suppression count, and `events` lists them', () => {
    const db = join(mkdtempSync(join(tmpdir(), 'coapwatch-')), 'e.db');
    expect(run('analyze', generated('attack-malformed-coap.pcap'), '--db', db, '--no-progress').code).toBe(0);
    const rows = new Database(db, { readonly: true }).prepare('SELECT rule, severity, src, frame, count, last_ts, ts, details FROM events').all() as Array<Record<string, unknown>>;
    // Three malformed datagrams from one host, a second apart: one event counting three.
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ rule: 'malformed-coap', severity: 'medium', frame: 62, count: 3 });
    expect(rows[0].last_ts as number - (rows[0].ts as number)).toBeCloseTo(2, 3);
    expect(JSON.parse(rows[0].details as string)).toHaveProperty('reason');
    const listed = run('events', '--db', db, '--format', 'ndjson');
    expect(listed.code).toBe(0);
    expect(listed.stdout).toContain('malformed-coap');
  });

  it('the summary lists events by severity and rule; --no-rules turns detection off', () => {
    const on = run('analyze', generated('attack-execute-factory-reset.pcap'), '--no-progress');
    expect(on.stdout).toMatch(/Events \(1;/);
    expect(on.stdout).toMatch(/high\s+device-factory-reset\s+1/);
    const off = run('analyze', generated('attack-execute-factory-reset.pcap'), '--no-progress', '--no-rules');
    expect(off.stdout).not.toContain('Events');
  });

  it('a tool on the server\'s host is a stranger unless --servers declares that host; a bad --servers entry stops analyze', () => {
    const capture = generated('attack-same-host-stranger.pcap');
    const rulesOf = (stdout: string) => stdout.trimEnd().split('\n').map((l) => JSON.parse(l)).filter((o) => o.kind === 'event').map((o) => o.rule);
    const plain = run('analyze', capture, '--format', 'ndjson');
    expect(plain.code).toBe(0);
    expect(rulesOf(plain.stdout)).toEqual(['request-from-stranger', 'server-object-modified-by-stranger']);
    // The server's socket alone: the tool's other port is still a stranger's.
    expect(rulesOf(run('analyze', capture, '--format', 'ndjson', '--servers', '10.0.0.1:5683').stdout)).toEqual(['request-from-stranger', 'server-object-modified-by-stranger']);
    for (const servers of [['10.0.0.1'], ['192.0.2.1,10.0.0.0/24'], ['192.0.2.1', '--servers', '10.0.0.0/24']]) {
      const declared = run('analyze', capture, '--format', 'ndjson', '--servers', ...servers);
      expect(declared.code).toBe(0);
      expect(rulesOf(declared.stdout)).toEqual([]);
    }
    const bad = run('analyze', capture, '--servers', '10.0.0.1,server.example');
    expect(bad.code).toBe(1);
    expect(bad.stdout).toBe('');
    expect(bad.stderr.split('\n')[0]).toBe(`error: option '--servers <addresses>' argument '10.0.0.1,server.example' is invalid. "server.example" is not a server address (not an IP address; expected ADDR, ADDR:PORT, [IPv6]:PORT or ADDR/PREFIX)`);
  });

  it('a broken rule file stops analyze and `rules check` with file:line problems and exit 1', () => {
    const dir = mkdtempSync(join(tmpdir(), 'coapwatch-'));
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, 'id: x\nsid: 1\ntitle: t\nseverity: severe\ndescription: d\nwhen: m.isRequest\n');
    for (const r of [run('analyze', generated('fleet-hour.pcap'), '--rules', file), run('rules', 'check', file)]) {
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`bad.yaml:4: severity: one of info, low, medium, high, critical`);
    }
    expect(run('rules', 'check').stdout).toMatch(/^\d+ rules in \d+ files: ok\n$/);
  });
});
