import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_RULES } from '../../src/cli/rule-set.js';
import { communityId } from '../../src/eve/index.js';
import { loadRules } from '../../src/rules/index.js';

/*
 * `--eve FILE`: the run in Suricata's EVE JSON format, checked on a capture the generator makes
 * with every attack it has (DTLS ones included): every line against the JSON Schema of what
 * coapwatch emits (docs/eve.schema.json), the fields Filebeat's Suricata module reads, and the
 * records against the NDJSON output of the same run.
 */
const root = join(import.meta.dirname, '../..');
const bin = join(root, 'bin/coapwatch.js');
const dir = mkdtempSync(join(tmpdir(), 'coapwatch-e2e-eve-'));
const capture = join(dir, 'attacks.pcap');
const eveFile = join(dir, 'eve.json');
const ATTACKS = [
  'rogue-security-write', 'unknown-peer-server-write', 'execute-reboot', 'execute-factory-reset', 'firmware-uri', 'registration-flood',
  'endpoint-impersonation', 'absurd-lifetime', 'observe-flood', 'notify-after-cancel', 'malformed-tlv', 'malformed-senml', 'out-of-range',
  'energy-backwards', 'silent-meter', 'plaintext-downgrade', 'acl-write', 'firmware-update', 'address-change', 'tiny-lifetime',
  'unknown-version', 'binding-change', 'skip-bootstrap', 'deregistration-storm', 'unknown-token-notify', 'amplification', 'malformed-coap',
  'unknown-content-format', 'orphan-response', 'retransmission-storm', 'rogue-read', 'dtls-weak-cipher', 'dtls-handshake-failure',
  'mute-notifications',
];

function run(...args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', cwd: dir, maxBuffer: 1 << 28 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
let eve: Json[] = [];
let ndjson: Json[] = [];

beforeAll(() => {
  const g = run('generate', '--pcap', capture, '--bootstrap', '--meters', '40', '--households', '1', '--duration', '1200', '--attack', ATTACKS.join(','));
  expect(g.stderr).toBe('');
  // Appended to: a line already there stays first.
  writeFileSync(eveFile, '{"timestamp":"2026-12-07T14:20:21.123456+0000","event_type":"stats","host":"earlier","stats":{"uptime":0,"capture":{"kernel_packets":0,"coapwatch_drops":0},"coap":{"messages":0},"detect":{"alert":0},"eve":{"pending_transactions":0,"unanswered_evicted":0}}}\n');
  const a = run('analyze', capture, '--format', 'ndjson', '--eve', eveFile, '--sensor', 'substation-7');
  expect(a.stderr).toBe('');
  expect(a.code).toBe(0);
  ndjson = a.stdout.trimEnd().split('\n').map((l) => JSON.parse(l));
  eve = readFileSync(eveFile, 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l));
}, 60_000);

describe('analyze --eve on a capture with every generator attack', () => {
  it('appends to the file: what was there stays, one JSON object a line follows', () => {
    expect(eve[0].host).toBe('earlier');
    expect(eve.length).toBeGreaterThan(1000);
    expect(readFileSync(eveFile, 'utf8').endsWith('}\n')).toBe(true);
  });

  it('every line validates against the JSON Schema of the records (docs/eve.schema.json)', () => {
    const ajv = new Ajv({ allErrors: true, strict: true, strictRequired: false, allowUnionTypes: true });
    const validate = ajv.compile(JSON.parse(readFileSync(join(root, 'docs/eve.schema.json'), 'utf8')));
    const bad = eve.flatMap((record, i) => (validate(record) ? [] : [`line ${i + 1}: ${ajv.errorsText(validate.errors)}`]));
    expect(bad.slice(0, 5)).toEqual([]);
    // Every record type a file run writes is there.
    expect(new Set(eve.slice(1).map((r) => r.event_type))).toEqual(new Set(['alert', 'coap', 'dtls']));
  });

  /*
   * What Filebeat's Suricata module reads (elastic/beats, x-pack/filebeat/module/suricata/eve/config/eve.yml
   * and ingest/pipeline.yml): `timestamp` through the Go layout 2006-01-02T15:04:05.999999999Z0700;
   * src_ip, dest_ip converted to type ip; src_port, dest_port to long; proto lower-cased into
   * network.transport; event_type lower-cased and mapped to event.kind (alert: alert, stats: metric,
   * others: event); app_proto into network.protocol; alert.signature_id → rule.id, alert.signature →
   * rule.name, alert.category → rule.category and message, alert.action (allowed | blocked) →
   * event.type, alert.severity → event.severity; flow_id kept as suricata.eve.flow_id (a long).
   */
  it('carries every field Filebeat\'s Suricata module reads, in the form it reads it', () => {
    const goLayout = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{4})$/;
    for (const r of eve) {
      expect(r.timestamp).toMatch(goLayout);
      expect(r.event_type).toBe(r.event_type.toLowerCase());
      if (r.src_ip === undefined) continue;
      expect(isIP(r.src_ip)).not.toBe(0);
      expect(isIP(r.dest_ip)).not.toBe(0);
      expect(Number.isSafeInteger(r.src_port) && Number.isSafeInteger(r.dest_port)).toBe(true);
      expect(['udp', 'tcp']).toContain(r.proto.toLowerCase());
      expect(r.app_proto).toBe('coap');
      expect(Number.isSafeInteger(r.flow_id)).toBe(true);
    }
    const alerts = eve.filter((r) => r.event_type === 'alert');
    for (const a of alerts) {
      expect(Number.isSafeInteger(a.alert.signature_id)).toBe(true);
      expect(typeof a.alert.signature).toBe('string');
      expect(typeof a.alert.category).toBe('string');
      expect(['allowed', 'blocked']).toContain(a.alert.action);
      expect([1, 2, 3]).toContain(a.alert.severity);
    }
  });

  it('one alert per event, with the rule\'s sid, rev, title and severity on Suricata\'s 1-3 scale beside its own', () => {
    const rules = new Map(loadRules([DEFAULT_RULES]).rules.map((r) => [r.id, r]));
    const events = ndjson.filter((o) => o.kind === 'event');
    const alerts = eve.filter((r) => r.event_type === 'alert');
    expect(events.length).toBeGreaterThan(100);
    expect(alerts).toHaveLength(events.length);
    const scale = { critical: 1, high: 1, medium: 2, low: 3, info: 3 } as const;
    events.forEach((e, i) => {
      const a = alerts[i];
      const rule = rules.get(e.rule)!;
      expect(a.alert).toMatchObject({ signature_id: rule.sid, rev: rule.rev, signature: rule.title, severity: scale[e.severity as keyof typeof scale], rule_severity: e.severity });
      expect(a.alert.metadata.rule).toEqual([e.rule]);
      expect(a.alert.metadata.message).toEqual([e.message]);
      expect(a.pcap_cnt).toBe(e.frame ?? undefined);
      expect(a.host).toBe('substation-7');
      if (e.src !== null && e.dst !== null) expect(`${a.src_ip.includes(':') ? `[${a.src_ip}]` : a.src_ip}:${a.src_port}`).toBe(e.src);
      if (e.endpoint !== null) expect(a.lwm2m).toEqual({ endpoint: e.endpoint });
    });
    // Every attack the generator played raised at least one alert: the rules that stand for them all appear.
    expect(new Set(alerts.map((a) => a.alert.metadata.rule[0])).size).toBeGreaterThanOrEqual(30);
  });

  it('one coap record per request/response transaction: each request once, each response once', () => {
    const messages = ndjson.filter((o) => o.kind === 'message' && !o.coap.retransmission);
    const coap = eve.filter((r) => r.event_type === 'coap');
    const requests = messages.filter((m) => m.coap.role === 'request').map((m) => m.frame);
    const answers = messages.filter((m) => ['response', 'notification'].includes(m.coap.role) || (m.coap.role === 'reset' && requests.includes(m.coap.responseTo))).map((m) => m.frame);
    const loggedRequests = coap.filter((r) => r.coap.request !== null && r.coap.status !== 'notification').map((r) => r.coap.request.frame);
    expect(new Set(loggedRequests)).toEqual(new Set(requests));
    expect(coap.map((r) => r.coap.response?.frame).filter((f) => f !== undefined).sort((x, y) => x - y)).toEqual(answers.sort((x, y) => x - y));
    // The statuses a fleet under attack has: answered, notifications, unanswered requests, responses to nothing seen
    // (no request of this capture is answered by a Reset).
    expect(new Set(coap.map((r) => r.coap.status))).toEqual(new Set(['answered', 'notification', 'unanswered', 'unmatched']));
    // A transaction carries its LwM2M reading: a Register names its endpoint and lists its objects.
    const register = coap.find((r) => r.lwm2m?.operation === 'register' && r.coap.status === 'answered')!;
    expect(register.lwm2m.endpoint).toMatch(/^meter-\d{5}$/);
    expect(register.lwm2m.objects.length).toBeGreaterThan(0);
    expect(register.coap.request).toMatchObject({ method: 'POST', code: '0.02', uri_path: '/rd' });
    const read = coap.find((r) => r.lwm2m?.operation === 'read' && r.lwm2m.records.count > 0)!;
    expect(read.lwm2m.records.paths.every((p: string) => p.startsWith(read.lwm2m.path))).toBe(true);
  });

  it('dtls records for the DTLS sessions\' outcomes: the weak suite chosen, the failed handshake', () => {
    const dtls = eve.filter((r) => r.event_type === 'dtls');
    expect(dtls.some((r) => r.dtls.change === 'established' && r.dtls.weak_suite)).toBe(true);
    expect(dtls.some((r) => r.dtls.change === 'handshake-failed' && r.dtls.state === 'failed')).toBe(true);
    // Client to server, as Suricata logs a flow: the meters (10.1.x.x) are the clients.
    for (const r of dtls) expect(r.src_ip).toMatch(/^10\.1\./);
  });

  it('flow_id and community_id: the same for both directions of a 5-tuple, the community id the spec\'s', () => {
    const byTuple = new Map<string, Set<number>>();
    for (const r of eve.filter((x) => x.src_ip !== undefined)) {
      const ends = [`${r.src_ip}/${r.src_port}`, `${r.dest_ip}/${r.dest_port}`].sort().join(' ');
      if (!byTuple.has(ends)) byTuple.set(ends, new Set());
      byTuple.get(ends)!.add(r.flow_id);
      expect(r.community_id).toBe(communityId(r.proto === 'TCP' ? 6 : 17, r.src_ip, r.src_port, r.dest_ip, r.dest_port));
    }
    for (const ids of byTuple.values()) expect(ids.size).toBe(1);
    const ids = [...byTuple.values()].map((s) => [...s][0]);
    expect(new Set(ids).size).toBe(ids.length);
    // An alert raised by a response still names its flow with the same id as the transaction.
    const alerts = eve.filter((r) => r.event_type === 'alert' && r.src_ip !== undefined);
    expect(alerts.length).toBeGreaterThan(0);
  });

  it('the same capture gives the same file (timestamps are capture time, flow ids follow from it)', () => {
    const again = join(dir, 'again.json');
    expect(run('analyze', capture, '--no-progress', '--eve', again, '--sensor', 'substation-7').code).toBe(0);
    expect(readFileSync(again, 'utf8')).toBe(readFileSync(eveFile, 'utf8').slice(readFileSync(eveFile, 'utf8').indexOf('\n') + 1));
  });
});

describe('analyze --eve: stdout, and what is refused', () => {
  it('--eve - writes the records on stdout and the summary on stderr', () => {
    const r = run('analyze', join(root, 'captures/generated/attack-execute-reboot.pcap'), '--no-progress', '--eve', '-', '--sensor', 's');
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines.length).toBeGreaterThan(10);
    for (const l of lines) expect(JSON.parse(l).host).toBe('s');
    expect(r.stderr).toMatch(/^attack-execute-reboot\.pcap|Events/m);
  });

  it('--eve - with --format ndjson, an unwritable file: one line each, exit 1', () => {
    const both = run('analyze', join(root, 'captures/generated/attack-execute-reboot.pcap'), '--format', 'ndjson', '--eve', '-');
    expect(both.code).toBe(1);
    expect(both.stderr.split('\n')[0]).toBe('error: --eve - and --format ndjson both write to stdout: give --eve a file');
    const missing = run('analyze', join(root, 'captures/generated/attack-execute-reboot.pcap'), '--eve', join(dir, 'no/such/dir/eve.json'));
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^coapwatch: .*no\/such\/dir\/eve\.json: cannot open for writing \(ENOENT\)\n$/);
  });

  it('--sensor defaults to the host name', () => {
    const r = run('analyze', join(root, 'captures/generated/attack-execute-reboot.pcap'), '--no-progress', '--eve', '-');
    expect(JSON.parse(r.stdout.split('\n')[0]).host).toBe((spawnSync('hostname', { encoding: 'utf8' }).stdout ?? '').trim() || expect.any(String));
  });
});
