import Database from 'better-sqlite3';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, renameSync, statSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

/*
 * From an alert to its packets with the built CLI: analyze --db keeps the message index; messages lists
 * it (by event too, for an event without an endpoint), --dissect reads frames again from the capture,
 * export writes an event's frames to a pcap that tshark reads with their original times and bytes.
 */
const root = join(import.meta.dirname, '../..');
const bin = join(root, 'bin/coapwatch.js');
const dir = mkdtempSync(join(tmpdir(), 'coapwatch-e2e-messages-'));
const pcap = join(dir, 'fleet.pcap');
const db = join(dir, 'fleet.db');

function run(...args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', maxBuffer: 1 << 28 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
const ndjson = (stdout: string) => stdout.trimEnd().split('\n').filter(Boolean).map((l) => JSON.parse(l));
const tsharkPresent = spawnSync('tshark', ['--version'], { encoding: 'utf8' }).status === 0;

/** Each frame of a capture as tshark reads it: its time stamp and its bytes. */
function tsharkFrames(file: string, filter?: string): string[] {
  const r = spawnSync('tshark', ['-r', file, ...(filter ? ['-Y', filter] : []), '-T', 'fields', '-e', 'frame.time_epoch', '-e', 'udp.payload'], { encoding: 'utf8' });
  expect(r.status).toBe(0);
  return r.stdout.trimEnd().split('\n');
}

let messages: Array<Record<string, any>>;
let events: Array<Record<string, any>>;

beforeAll(() => {
  const g = run('generate', '--pcap', pcap, '--meters', '20', '--duration', '900', '--attack', 'malformed-coap,rogue-security-write');
  expect(g.code, g.stderr).toBe(0);
  const a = run('analyze', pcap, '--db', db, '--format', 'ndjson');
  expect(a.code, a.stderr).toBe(0);
  const lines = ndjson(a.stdout);
  messages = lines.filter((l) => l.kind === 'message');
  events = ndjson(run('events', '--db', db, '--format', 'ndjson').stdout);
}, 60_000);

describe('the message index of analyze --db', () => {
  it('holds every message the NDJSON stream has, with its fields and request/response links', () => {
    const r = run('messages', '--db', db, '--format', 'ndjson');
    expect(r.code, r.stderr).toBe(0);
    const indexed = ndjson(r.stdout);
    expect(indexed).toHaveLength(messages.length);
    const firstResponse = new Map<number, number>();
    for (const m of messages) if (m.coap.responseTo !== null && m.coap.responseTime !== null) firstResponse.set(m.coap.responseTo, firstResponse.get(m.coap.responseTo) ?? m.frame);
    let wrong = 0;
    indexed.forEach((row, i) => {
      const m = messages[i];
      const same = row.run === 1 && row.frame === m.frame && Math.abs(row.ts - m.ts) < 1e-6 && row.src === m.src && row.dst === m.dst &&
        row.type === m.coap.type && row.code === m.coap.code && row.role === m.coap.role && row.operation === (m.lwm2m?.operation ?? null) &&
        row.endpoint === (m.lwm2m?.endpoint ?? null) && row.contentFormat === m.coap.contentFormat && row.responseTo === m.coap.responseTo &&
        row.retransmissionOf === m.coap.retransmissionOf && row.error === m.error && row.file === 0 && row.offset >= 24 &&
        row.responseIn === (m.coap.role === 'request' && m.coap.retransmissionOf === null ? (firstResponse.get(m.frame) ?? null) : row.responseIn);
      if (!same) wrong++;
    });
    expect(wrong).toBe(0);
    // A request's first response is linked both ways.
    expect(indexed.filter((m) => m.responseIn !== null).length).toBeGreaterThan(50);
  });

  it('records the capture file, its size and time, for finding frames again', () => {
    const d = new Database(db, { readonly: true });
    const files = d.prepare('SELECT * FROM capture_files').all() as Array<Record<string, any>>;
    d.close();
    expect(files).toEqual([{ run_id: 1, file: 0, path: pcap, size: statSync(pcap).size, mtime: expect.any(Number) }]);
  });

  it('a table, newest run by default; --frames and --endpoint select', () => {
    const r = run('messages', '--db', db, '--frames', '1-4');
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^RUN\s+FRAME\s+TIME\s+SRC\s+DST\s+TYPE\s+CODE\s+ROLE\s+OPERATION\s+ENDPOINT\s+PATH\s+CF\s+LINK$/);
    expect(lines.slice(1).map((l) => Number(l.split(/\s+/)[1]))).toEqual(messages.filter((m) => m.frame <= 4).map((m) => m.frame));
    const endpoint = messages.find((m) => m.lwm2m?.endpoint)!.lwm2m.endpoint as string;
    const own = ndjson(run('messages', '--db', db, '--endpoint', endpoint, '--format', 'ndjson').stdout);
    expect(own.map((m) => m.frame)).toEqual(messages.filter((m) => m.lwm2m?.endpoint === endpoint).map((m) => m.frame));
  });

  it('--event: the event\'s message marked, its response, and the endpoint\'s messages around it', () => {
    const write = events.find((e) => e.rule === 'security-object-modified')!;
    expect(write).toBeDefined();
    const listed = ndjson(run('messages', '--db', db, '--event', String(write.id), '--around', '2', '--format', 'ndjson').stdout);
    const marked = listed.filter((m) => m.marked);
    expect(marked.map((m) => m.frame)).toEqual([write.frame]);
    const response = listed.find((m) => m.responseTo === write.frame);
    expect(response).toBeDefined();
    expect(marked[0].responseIn).toBe(response!.frame);
    expect(listed.every((m) => m.endpoint === write.endpoint)).toBe(true);
    const table = run('messages', '--db', db, '--event', String(write.id), '--around', '2');
    expect(table.stdout.split('\n').filter((l) => l.startsWith('*'))).toHaveLength(1);
    expect(table.stdout).toMatch(new RegExp(`^\\*\\s+1\\s+${write.frame}\\s`, 'm'));
  });

  it('--event of an event without an endpoint (malformed-coap) still leads to its packet', () => {
    const malformed = events.find((e) => e.rule === 'malformed-coap')!;
    expect(malformed.endpoint).toBeNull();
    const listed = ndjson(run('messages', '--db', db, '--event', String(malformed.id), '--format', 'ndjson').stdout);
    const own = listed.find((m) => m.marked)!;
    expect(own.frame).toBe(malformed.frame);
    expect(own.error).toBe(messages.find((m) => m.frame === malformed.frame)!.error);
    // Its neighbours are of the same conversation, not every message of the server.
    expect(listed.every((m) => [m.src, m.dst].includes(malformed.src))).toBe(true);
  });

  it('--dissect decodes frames again from the capture: the records analyze printed, and the bytes', () => {
    // The endpoint with the most kinds of message: the exchange is fed first, so responses,
    // notifications and their ACKs are matched as in the run.
    const roles = new Map<string, Set<string>>();
    for (const m of messages) if (m.lwm2m?.endpoint) roles.set(m.lwm2m.endpoint, (roles.get(m.lwm2m.endpoint) ?? new Set()).add(m.coap.role));
    const [endpoint, kinds] = [...roles].sort((a, b) => b[1].size - a[1].size)[0];
    expect([...kinds]).toEqual(expect.arrayContaining(['request', 'response', 'notification', 'ack']));
    const own = messages.filter((m) => m.lwm2m?.endpoint === endpoint);
    const r = run('messages', '--db', db, '--endpoint', endpoint, '--dissect', '--format', 'ndjson');
    expect(r.code, r.stderr).toBe(0);
    const dissected = ndjson(r.stdout);
    expect(dissected.map((d) => d.records)).toEqual(own.map((m) => [m]));
    const response = own.find((m) => m.coap.role === 'response')!;
    const d = dissected.find((x) => x.frame === response.frame)!;
    expect(d.file).toBe(pcap);
    expect(d.note).toBeNull();
    const table = run('messages', '--db', db, '--frames', String(response.frame), '--dissect');
    expect(table.stdout).toMatch(/^ {2}0000 {2}([0-9a-f]{2} ){15}[0-9a-f]{2} {2}/m);
  });
});

describe('the dashboard\'s event detail', () => {
  it('names the run\'s capture in its tshark hint (not the word FILE), and tshark finds the frame there', async () => {
    const { StoreSource } = await import('../../src/ui/store-source.js');
    const { eventDetailLines } = await import('../../src/ui/views/events.js');
    const source = StoreSource.open(db);
    try {
      const write = source.events({ minSeverity: 'info', filter: 'rule:security-object-modified', offset: 0, limit: 10 }).rows[0];
      const text = eventDetailLines(write, 400).map((line) => line.map((s) => s.t).join('')).join('\n');
      const hint = `tshark -r ${pcap} -Y frame.number==${write.frame}`;
      expect(text).toContain(hint);
      if (tsharkPresent) expect(tsharkFrames(pcap, `frame.number==${write.frame}`)).toHaveLength(1);
    } finally {
      source.close();
    }
  });
});

describe('export', () => {
  it.skipIf(!tsharkPresent)('writes the event\'s frames; tshark finds the event\'s frame by its original time stamp and bytes', () => {
    const write = events.find((e) => e.rule === 'security-object-modified')!;
    const out = join(dir, 'event.pcap');
    const r = run('export', '--db', db, '--event', String(write.id), '--out', out);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^coapwatch: wrote 2 frames of run 1 /);
    const original = tsharkFrames(pcap, `frame.number==${write.frame}`);
    expect(original).toHaveLength(1);
    const exported = tsharkFrames(out);
    expect(exported).toHaveLength(2);
    expect(exported[0]).toBe(original[0]);
  });

  it.skipIf(!tsharkPresent)('--context: the endpoint\'s frames within ± the seconds, in capture order, with their times', () => {
    const write = events.find((e) => e.rule === 'security-object-modified')!;
    const out = join(dir, 'context.pcap');
    expect(run('export', '--db', db, '--event', String(write.id), '--context', '300', '--out', out).code).toBe(0);
    const expected = messages.filter((m) => m.lwm2m?.endpoint === write.endpoint && Math.abs(m.ts - write.ts) <= 300).map((m) => m.frame);
    const filter = expected.map((f) => `frame.number==${f}`).join(' || ');
    expect(tsharkFrames(out)).toEqual(tsharkFrames(pcap, filter));
  });

  it.skipIf(!tsharkPresent)('--frames and --endpoint', () => {
    const out = join(dir, 'frames.pcap');
    expect(run('export', '--db', db, '--frames', '1-3,7', '--out', out).code).toBe(0);
    expect(tsharkFrames(out)).toEqual(tsharkFrames(pcap, 'frame.number<=3 || frame.number==7'));
  });

  it('a moved capture: one line naming it and offering --source; --source reads it where it is now', () => {
    const moved = join(dir, 'moved.pcap');
    renameSync(pcap, moved);
    try {
      const out = join(dir, 'moved-export.pcap');
      const r = run('export', '--db', db, '--frames', '1', '--out', out);
      expect(r.code).toBe(1);
      expect(r.stderr).toBe(`coapwatch: capture ${pcap} of run 1 is not there any more (moved or deleted); give its new place with --source PATH\n`);
      expect(existsSync(out)).toBe(false);
      const dissect = run('messages', '--db', db, '--frames', '1', '--dissect');
      expect(dissect.code).toBe(1);
      expect(dissect.stderr).toMatch(/^coapwatch: capture .* --source PATH\n$/);
      expect(run('export', '--db', db, '--frames', '1', '--out', out, '--source', moved).code).toBe(0);
      // Another file given as the source is refused, not read at the run's offsets.
      const wrong = run('export', '--db', db, '--frames', '1', '--out', out, '--source', out);
      expect(wrong.code).toBe(1);
      expect(wrong.stderr).toMatch(/^coapwatch: --source .* is not the capture of run 1 \(\d+ bytes; the run read \d+\)\n$/);
    } finally {
      renameSync(moved, pcap);
    }
  });

  it('a capture changed since the run is refused', () => {
    const later = new Date(statSync(pcap).mtimeMs + 60_000);
    const before = statSync(pcap);
    utimesSync(pcap, later, later);
    try {
      const r = run('export', '--db', db, '--frames', '1', '--out', join(dir, 'changed.pcap'));
      expect(r.code).toBe(1);
      expect(r.stderr).toBe(`coapwatch: capture ${pcap} of run 1 changed since the run (modified since); give the original with --source PATH\n`);
    } finally {
      utimesSync(pcap, before.atime, before.mtime);
    }
  });
});

describe('a database from before the message index', () => {
  it('is refused in one line that says what to do', async () => {
    const { MIGRATIONS } = await import('../../src/store/schema.js');
    const old = join(dir, 'schema7.db');
    const d = new Database(old);
    for (const m of MIGRATIONS.slice(0, 7)) d.exec(m);
    d.pragma('user_version = 7');
    d.close();
    for (const args of [['messages', '--db', old], ['export', '--db', old, '--frames', '1', '--out', join(dir, 'old.pcap')]]) {
      const r = run(...args);
      expect(r.code).toBe(1);
      expect(r.stderr).toBe(`coapwatch: database ${old} was written before coapwatch kept a message index (schema 7); run analyze --db on the capture again\n`);
    }
  });
});

describe('bad arguments: one line, exit 1', () => {
  const cases: Array<[string, string[], RegExp]> = [
    ['a reversed frame range', ['messages', '--db', db, '--frames', '9-3'], /"9-3" is not a frame number or range/],
    ['a frame list with garbage', ['export', '--db', db, '--frames', '1,x', '--out', join(dir, 'x.pcap')], /"x" is not a frame number or range/],
    ['no event of that id', ['messages', '--db', db, '--event', '99999'], /^coapwatch: database .* has no event 99999$/],
    ['no run of that id', ['messages', '--db', db, '--run', '42'], /^coapwatch: database .* has no run 42$/],
    ['export without a selection', ['export', '--db', db, '--out', join(dir, 'x.pcap')], /^coapwatch: export: give --event ID, --endpoint NAME or --frames LIST$/],
    ['--context without --event', ['export', '--db', db, '--frames', '1', '--context', '5', '--out', join(dir, 'x.pcap')], /^coapwatch: export: --context goes with --event$/],
    ['a negative --context', ['export', '--db', db, '--event', '1', '--context', '-5', '--out', join(dir, 'x.pcap')], /"-5" is not a number of seconds/],
    ['--out the capture itself', ['export', '--db', db, '--frames', '1', '--out', pcap], /^coapwatch: export: --out .* is the run's capture itself; write elsewhere$/],
    ['a database that is not there', ['messages', '--db', join(dir, 'none.db')], /^coapwatch: database .*none.db: no such file$/],
    ['an event id that is not a number', ['export', '--db', db, '--event', '1e3', '--out', join(dir, 'x.pcap')], /"1e3" is not an event id/],
  ];
  it.each(cases)('%s', (_, args, message) => {
    const r = run(...args);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr.split('\n')[0]).toMatch(message);
    expect(existsSync(join(dir, 'x.pcap'))).toBe(false);
  });
});
