import Database from 'better-sqlite3';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { readCapture, type RawPacket } from '../../../src/capture/index.js';
import { readFrameAt } from '../../../src/evidence/read-frame.js';
import type { AnalyzedMessage } from '../../../src/pipeline/index.js';
import { StateTracker } from '../../../src/state/index.js';
import { openForWriting } from '../../../src/store/index.js';
import { LiveSource } from '../../../src/ui/live-source.js';
import type { DashboardSource } from '../../../src/ui/source.js';
import { StoreSource } from '../../../src/ui/store-source.js';
import { analyzeFile } from '../../support/analyze.js';

/*
 * The Messages view, the message detail and s (save) over both sources: the store reads the
 * message index and the capture's bytes again; the live source filters what it keeps. The same
 * filter must select the same frames from both.
 */
const root = join(import.meta.dirname, '../../..');
const bin = join(root, 'bin/coapwatch.js');
const FLEET = join(root, 'captures/generated/fleet-hour.pcap');
const tmp = () => mkdtempSync(join(tmpdir(), 'coapwatch-ui-messages-'));

let messages: AnalyzedMessage[];
/** A copy of the capture, analysed into `db` without --store-messages. */
let capture: string;
let db: string;

function analyze(pcap: string, out: string): void {
  const r = spawnSync(process.execPath, [bin, 'analyze', pcap, '--db', out, '--no-progress'], { encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
}

async function framesOf(pcap: string): Promise<RawPacket[]> {
  const out: RawPacket[] = [];
  await readCapture(pcap, (p) => out.push({ ...p, data: Buffer.from(p.data) }));
  return out;
}

beforeAll(async () => {
  messages = await analyzeFile(FLEET);
  const dir = tmp();
  capture = join(dir, 'fleet.pcap');
  copyFileSync(FLEET, capture);
  db = join(dir, 'fleet.db');
  analyze(capture, db);
});

function live(): LiveSource {
  const src = new LiveSource({ source: FLEET, captureFile: FLEET });
  const tracker = new StateTracker({}, { content: true });
  src.attach({ tracker, pipeline: { decoder: { stats: { packets: messages.length, malformed: 0 } }, coap: { stats: { malformed: 0, dtlsRecords: 0 } } } });
  for (const m of messages) {
    tracker.handle(m);
    src.onMessage(m);
  }
  return src;
}

const frames = (src: DashboardSource, filter: string) => src.messages({ filter, offset: 0, limit: 100_000 }).rows.map((m) => m.frame);

describe('the Messages view: every message of the run, filtered', () => {
  it('both sources list every message oldest first, and select the same frames for each filter', () => {
    const store = StoreSource.open(db);
    const sources = [store, live()];
    for (const src of sources) expect(frames(src, '')).toEqual(messages.map((m) => m.coap.frame));
    const meter4 = messages.filter((m) => m.lwm2m?.endpoint === 'meter-00004').map((m) => m.coap.frame);
    const updates = messages.filter((m) => m.lwm2m?.endpoint === 'meter-00004' && m.lwm2m.operation === 'update').map((m) => m.coap.frame);
    const changed = messages.filter((m) => m.coap.msg.code === 0x44).map((m) => m.coap.frame);
    const posts = messages.filter((m) => m.coap.msg.code === 0x02).map((m) => m.coap.frame);
    const fromMeter5 = messages.filter((m) => m.coap.src === '10.1.0.5:56830' || m.coap.dst === '10.1.0.5:56830').map((m) => m.coap.frame);
    expect(updates.length).toBeGreaterThan(5);
    const cases: Array<[string, number[]]> = [
      ['ep:meter-00004', meter4],
      ['ep:meter-00004 op:update', updates],
      ['code:2.04', changed],
      ['code:post', posts],
      ['addr:10.1.0.5:', fromMeter5],
      ['frame:10-20', messages.map((m) => m.coap.frame).filter((f) => f >= 10 && f <= 20)],
      ['#7', [7]],
      // Free text: an address, the endpoint or the path.
      ['meter-00004', meter4],
      // Not a frame range: nothing, never every message.
      ['frame:x', []],
      ['code:9.99', []],
      ['ep:meter-0000', []],
    ];
    for (const [filter, expected] of cases) {
      for (const src of sources) expect(frames(src, filter), `${filter} (${src === store ? 'store' : 'live'})`).toEqual(expected);
    }
    // Pages of a filtered list are its slices, and the total counts every match.
    const page = store.messages({ filter: 'code:2.04', offset: 10, limit: 5 });
    expect(page.total).toBe(changed.length);
    expect(page.rows.map((m) => m.frame)).toEqual(changed.slice(10, 15));
    store.close();
  });

  it('a row carries its links: the request a response answers, the first response of a request', () => {
    const store = StoreSource.open(db);
    const [request, answer] = store.messages({ filter: 'ep:meter-00004 op:update', offset: 0, limit: 2 }).rows;
    expect(request).toMatchObject({ role: 'request', code: '0.02', responseIn: answer.frame });
    expect(answer).toMatchObject({ role: 'response', code: '2.04', responseTo: request.frame });
    store.close();
  });
});

describe('the message detail: the dissection read again, the bytes, the response', () => {
  it('store: the full record and the frame as captured; "response in #N (2.04)"', async () => {
    const store = StoreSource.open(db);
    const [request, answer] = store.messages({ filter: 'ep:meter-00004 op:update', offset: 0, limit: 2 }).rows;
    const d = store.messageDetail(request);
    expect(d.note).toBeNull();
    expect(d.response).toEqual({ frame: answer.frame, code: '2.04' });
    expect(d.record).toMatchObject({ frame: request.frame, coap: { code: '0.02', uriPath: '/rd/5' }, lwm2m: { operation: 'update', endpoint: 'meter-00004' } });
    const original = (await framesOf(FLEET)).find((p) => p.frame === request.frame)!;
    expect(Buffer.from(d.bytes!).equals(original.data)).toBe(true);
    store.close();
  });

  it('live: the record it keeps, its response among the kept messages, and a line saying the bytes are not kept', () => {
    const src = live();
    const [request, answer] = src.messages({ filter: 'ep:meter-00004 op:update', offset: 0, limit: 2 }).rows;
    const d = src.messageDetail(request);
    expect(d.response).toEqual({ frame: answer.frame, code: '2.04' });
    expect(d.record?.coap.uriPath).toBe('/rd/5');
    expect(d.bytes).toBeNull();
    expect(d.note).toContain('keeps no frame bytes');
    expect(src.saveOffer()).toEqual({ error: expect.stringContaining('keeps no frames to save') });
  });

  it('a capture that moved: one line naming it and ui --source; with --source the bytes are read from the new place', () => {
    const dir = tmp();
    const pcap = join(dir, 'moving.pcap');
    copyFileSync(FLEET, pcap);
    const path = join(dir, 'moving.db');
    analyze(pcap, path);
    const moved = join(dir, 'moved.pcap');
    renameSync(pcap, moved);
    const lost = StoreSource.open(path);
    const m = lost.messages({ filter: '#1', offset: 0, limit: 1 }).rows[0];
    const d = lost.messageDetail(m);
    expect(d.bytes).toBeNull();
    expect(d.note).toMatch(/moving\.pcap .*not there any more.*ui --source PATH/);
    expect(d.note!.split('\n')).toHaveLength(1);
    expect(lost.saveOffer({ kind: 'messages', filter: '' })).toEqual({ error: d.note });
    lost.close();
    const found = StoreSource.open(path, undefined, { source: moved });
    expect(found.messageDetail(m).bytes).not.toBeNull();
    found.close();
  });
});

describe('s: the messages shown, saved to a pcap', () => {
  it('the filtered list and a flow: the offered name, the frames with their original time stamps and bytes', async () => {
    const store = StoreSource.open(db);
    const sel = { kind: 'messages' as const, filter: 'ep:meter-00004 op:update' };
    const listed = frames(store, sel.filter);
    expect(store.saveOffer(sel)).toEqual({ name: `coapwatch-1-${listed[0]}-${listed[listed.length - 1]}.pcap` });
    const out = join(tmp(), 'saved.pcap');
    expect(store.save(sel, out)).toBe(`wrote ${listed.length} frames (#${listed[0]}-#${listed[listed.length - 1]}) to ${out}`);
    const original = new Map((await framesOf(FLEET)).map((p) => [p.frame, p]));
    const saved = await framesOf(out);
    expect(saved.map((p) => [p.ts, p.data.toString('hex')])).toEqual(listed.map((f) => [original.get(f)!.ts, original.get(f)!.data.toString('hex')]));
    // A flow: the endpoint's messages.
    const flowOut = join(tmp(), 'flow.pcap');
    store.save({ kind: 'flow', endpoint: 'meter-00004' }, flowOut);
    expect((await framesOf(flowOut)).length).toBe(messages.filter((m) => m.lwm2m?.endpoint === 'meter-00004').length);
    expect(store.saveOffer({ kind: 'messages', filter: 'ep:nobody' })).toEqual({ error: 'no messages to save' });
    store.close();
  });

  it('never over the capture itself, and errors are one line', () => {
    const store = StoreSource.open(db);
    expect(() => store.save({ kind: 'messages', filter: '#1' }, capture)).toThrow(/is the run's capture itself/);
    expect(existsSync(capture)).toBe(true);
    expect(() => store.save({ kind: 'messages', filter: '#1' }, join(tmp(), 'no/such/dir/x.pcap'))).toThrow(/ENOENT|no such/i);
    store.close();
  });
});

describe('Messages pages of a large index', () => {
  /** A run of `n` messages written into the index directly: 50 endpoints, two codes, a few frames with two messages (TCP). */
  function bigIndex(n: number): string {
    const path = join(tmp(), 'big.db');
    openForWriting(path).close();
    const w = new Database(path);
    w.prepare("INSERT INTO runs (id, source, started_at, messages) VALUES (1, 'big.pcap', 0, ?)").run(n);
    const str = w.prepare('INSERT INTO index_strings (id, text) VALUES (?, ?)');
    const row = w.prepare(`INSERT INTO message_index (run_id, frame, n, ts, src, dst, transport, type, code, role, operation, endpoint, path, size)
      VALUES (1, ?, ?, ?, ?, 1000, 0, 0, ?, 0, 1001, ?, 1002, 20)`);
    w.transaction(() => {
      str.run(1000, '10.0.0.1:5683');
      str.run(1001, 'update');
      str.run(1002, '/rd/1');
      for (let e = 0; e < 50; e++) {
        str.run(e + 1, `10.1.0.${e}:56830`);
        str.run(e + 100, `meter-${e}`);
      }
      let frame = 1;
      for (let i = 0; i < n; i++) {
        const second = i % 97 === 1;
        if (!second) frame++;
        row.run(frame, second ? 1 : 0, frame / 10, (i % 50) + 1, i % 3 === 0 ? 0x44 : 0x02, (i % 50) + 100);
      }
    })();
    w.close();
    return path;
  }

  it('each page read next to the last, by jumps and backwards is its slice of the whole list', () => {
    const n = 6000;
    const store = StoreSource.open(bigIndex(n));
    for (const filter of ['', 'ep:meter-7', 'code:2.04', 'addr:10.1.0.3', 'frame:1000-3000']) {
      const all = store.messages({ filter, offset: 0, limit: n }).rows.map((m) => `${m.frame}.${m.n}`);
      expect(store.messages({ filter, offset: 0, limit: 0 }).total).toBe(all.length);
      if (filter === '') expect(all).toHaveLength(n);
      const last = Math.max(0, all.length - 25);
      for (const offset of [0, 1, 25, 50, last, last - 1, last - 25, Math.floor(last / 2), Math.floor(last / 2) - 1, 3, 0]) {
        if (offset < 0) continue;
        expect(store.messages({ filter, offset, limit: 25 }).rows.map((m) => `${m.frame}.${m.n}`), `${filter} @${offset}`).toEqual(all.slice(offset, offset + 25));
      }
    }
    store.close();
  });
});
