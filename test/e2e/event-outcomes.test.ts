import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { generate } from 'coap-packet';
import { beforeAll, describe, expect, it } from 'vitest';
import { PcapWriter, type Station } from '../../src/generate/pcap-writer.js';

const root = join(import.meta.dirname, '../..');
const bin = join(root, 'bin/coapwatch.js');

function run(...args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', cwd: root });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

type Line = Record<string, unknown> & { kind: string };
const linesOf = (stdout: string): Line[] => stdout.trimEnd().split('\n').map((l) => JSON.parse(l) as Line);

describe('event outcomes on a generated attack (analyze, --db, events)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'coapwatch-outcome-'));
  const pcap = join(dir, 'attack.pcap');
  beforeAll(() => {
    const g = run('generate', '--pcap', pcap, '--meters', '4', '--households', '2', '--duration', '900', '--seed', '5', '--attack', 'rogue-security-write');
    expect(g.code, g.stderr).toBe(0);
  });

  it('the Security-object write the meter refused: its event, then an event-outcome line naming it with the 4.01 and its frame', () => {
    const r = run('analyze', pcap, '--format', 'ndjson');
    expect(r.code).toBe(0);
    const lines = linesOf(r.stdout);
    const event = lines.find((l) => l.kind === 'event' && l.rule === 'security-object-modified')!;
    expect(event).toMatchObject({ severity: 'high', outcome: 'pending', count: 1 });
    const outcome = lines.filter((l) => l.kind === 'event-outcome' && l.event === event.id);
    expect(outcome).toHaveLength(1);
    // The answer is the meter's response to the event's request, refused: the rule's outcome: gives it low.
    const response = lines.find((l) => l.kind === 'message' && l.frame === outcome[0].frame) as { coap: { code: string; responseTo: number } };
    expect(response.coap).toMatchObject({ code: '4.01', responseTo: event.frame });
    expect(outcome[0]).toEqual({
      kind: 'event-outcome', event: event.id, ts: outcome[0].ts, outcome: 'refused', code: '4.01', frame: outcome[0].frame,
      request: event.frame, severity: 'low', repeat: false,
    });
    // The line comes after the response's message line.
    expect(lines.indexOf(outcome[0])).toBeGreaterThan(lines.indexOf(response as unknown as Line));
    // Every event raised on a request learns its outcome by the end of the run; ids are unique and in order.
    const ids = lines.filter((l) => l.kind === 'event').map((l) => l.id);
    expect(ids).toEqual(ids.map((_, i) => i + 1));
    for (const e of lines.filter((l) => l.kind === 'event' && l.outcome === 'pending')) {
      expect(lines.filter((l) => l.kind === 'event-outcome' && l.event === e.id && l.repeat === false), `event ${e.id}`).toHaveLength(1);
    }
    // Byte-stable: the same input gives the same bytes.
    expect(run('analyze', pcap, '--format', 'ndjson').stdout).toBe(r.stdout);
  });

  it('the database row and the events table show the outcome and the severity it gave', () => {
    const db = join(dir, 'a.db');
    expect(run('analyze', pcap, '--db', db, '--no-progress').code).toBe(0);
    const row = new Database(db, { readonly: true })
      .prepare("SELECT seq, severity, outcome, outcome_code, outcome_frame, outcome_request, frame FROM events WHERE rule = 'security-object-modified'")
      .get() as Record<string, unknown>;
    expect(row).toMatchObject({ severity: 'low', outcome: 'refused', outcome_code: '4.01', outcome_request: row.frame });
    expect(row.outcome_frame).toBeGreaterThan(row.frame as number);
    const table = run('events', '--db', db, '--rule', 'security-object-modified');
    expect(table.code).toBe(0);
    expect(table.stdout.split('\n')[0]).toMatch(/COUNT\s+OUTCOME\s+MESSAGE/);
    expect(table.stdout).toContain(`refused 4.01 #${row.outcome_frame}`);
    const listed = linesOf(run('events', '--db', db, '--rule', 'security-object-modified', '--format', 'ndjson').stdout);
    expect(listed[0]).toMatchObject({ seq: row.seq, severity: 'low', outcome: { outcome: 'refused', code: '4.01', frame: row.outcome_frame } });
    // --severity high no longer lists the refused attempt.
    expect(run('events', '--db', db, '--rule', 'security-object-modified', '--severity', 'high').stdout).not.toContain('security-object-modified');
  });
});

describe('repeats from two attackers (a capture written with the generator\'s pcap writer)', () => {
  const station = (ip: string, port: number, last: number): Station => ({
    mac: Buffer.from([2, 0, 0, 0, 0, last]), ip: ip.split('.').reduce((n, b) => n * 256 + Number(b), 0), port, ttl: 64, ipId: 1,
  });
  const server = station('10.0.0.1', 5683, 1);
  const meter = station('10.1.0.4', 56830, 2);
  const attackerA = station('203.0.113.9', 40001, 3);
  const attackerB = station('198.51.100.7', 40002, 4);
  const dir = mkdtempSync(join(tmpdir(), 'coapwatch-repeats-'));
  const pcap = join(dir, 'repeats.pcap');
  const t0 = 1_709_280_000;

  beforeAll(() => {
    const fd = openSync(pcap, 'w');
    const w = new PcapWriter(fd);
    let mid = 100;
    const send = (s: number, from: Station, to: Station, packet: Parameters<typeof generate>[0]) => w.writeUdp(Math.round((t0 + s) * 1e6), from, to, generate(packet));
    const path = (p: string) => p.split('/').filter(Boolean).map((seg) => ({ name: 'Uri-Path', value: Buffer.from(seg) }));
    send(0, meter, server, {
      code: '0.02', messageId: mid, token: Buffer.from('aa01', 'hex'), confirmable: true,
      options: [...path('/rd'), ...['ep=meter-7', 'lt=3600', 'lwm2m=1.1', 'b=U'].map((q) => ({ name: 'Uri-Query', value: Buffer.from(q) }))],
      payload: Buffer.from('</3/0>'),
    });
    send(0.01, server, meter, { code: '2.01', messageId: mid, token: Buffer.from('aa01', 'hex'), ack: true, options: [...path('/rd/5')].map((o) => ({ ...o, name: 'Location-Path' })) });
    // Factory resets: A three times (refused, refused, then accepted), B once (no answer).
    const reset = (s: number, from: Station, answer: string | null) => {
      const id = ++mid;
      const token = Buffer.from(id.toString(16).padStart(4, '0'), 'hex');
      send(s, from, meter, { code: '0.02', messageId: id, token, confirmable: true, options: path('/3/0/5') });
      if (answer) send(s + 0.05, meter, from, { code: answer, messageId: id, token, ack: true });
    };
    reset(10, attackerA, '4.01');
    reset(11, attackerA, '4.01');
    reset(12, attackerB, null);
    reset(13, attackerA, '2.04');
    w.flush();
    closeSync(fd);
  });

  it('NDJSON: one event per attacker; the folded success raises the first; the count comes when the window closes', () => {
    const r = run('analyze', pcap, '--format', 'ndjson');
    expect(r.code, r.stderr).toBe(0);
    // request-from-stranger fires on the same requests: this test follows the factory-reset rule's events.
    const all = linesOf(r.stdout);
    const ids = new Set(all.filter((l) => l.kind === 'event' && l.rule === 'device-factory-reset').map((l) => l.id));
    const lines = all.filter((l) => (l.kind === 'event' && ids.has(l.id)) || (l.kind.startsWith('event-') && ids.has(l.event)));
    const strip = (l: Line) => Object.fromEntries(Object.entries(l).filter(([k]) => ['kind', 'id', 'event', 'rule', 'src', 'severity', 'count', 'outcome', 'code', 'repeat'].includes(k)));
    expect(lines.map(strip)).toEqual([
      { kind: 'event', id: 1, rule: 'device-factory-reset', src: '203.0.113.9:40001', severity: 'high', count: 1, outcome: 'pending' },
      { kind: 'event-outcome', event: 1, outcome: 'refused', code: '4.01', severity: 'low', repeat: false },
      { kind: 'event', id: 3, rule: 'device-factory-reset', src: '198.51.100.7:40002', severity: 'high', count: 1, outcome: 'pending' },
      // The success is not hidden under the refusal: the event takes it, and the rule's own severity again.
      { kind: 'event-outcome', event: 1, outcome: 'success', code: '2.04', severity: 'high', repeat: true },
      // End of input: the attacker B's reset was never answered; A's window closes with 3 matches.
      { kind: 'event-outcome', event: 3, outcome: 'no-answer', code: null, severity: 'high', repeat: false },
      { kind: 'event-repeats', event: 1, count: 3 },
    ]);
  });

  it('SQLite and `events`: the same counts and outcomes', () => {
    const db = join(dir, 'r.db');
    expect(run('analyze', pcap, '--db', db, '--no-progress').code).toBe(0);
    const rows = new Database(db, { readonly: true })
      .prepare("SELECT seq, src, severity, count, outcome, outcome_code, outcome_request FROM events WHERE rule = 'device-factory-reset' ORDER BY seq").all();
    // Frames: 3 and 5 (A, refused in 4 and 6), 7 (B), 8 (A, accepted in 9).
    expect(rows).toEqual([
      { seq: 1, src: '203.0.113.9:40001', severity: 'high', count: 3, outcome: 'success', outcome_code: '2.04', outcome_request: 8 },
      { seq: 3, src: '198.51.100.7:40002', severity: 'high', count: 1, outcome: 'no-answer', outcome_code: null, outcome_request: 7 },
    ]);
    const table = run('events', '--db', db, '--rule', 'device-factory-reset').stdout.split('\n');
    expect(table[1]).toMatch(/high\s+device-factory-reset.*\s3\s+success 2\.04 #9\s/);
    expect(table[2]).toMatch(/high\s+device-factory-reset.*\s1\s+no-answer\s/);
  });
});
