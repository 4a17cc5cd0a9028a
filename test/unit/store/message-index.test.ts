import Database from 'better-sqlite3';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readCapture } from '../../../src/capture/index.js';
import { AnalysisSession } from '../../../src/cli/session.js';
import { listMessages, openForReading } from '../../../src/store/index.js';
import { raw, tcpFrame, TCP_FLAGS, udpFrame } from '../decode/build.js';

/* The message index written by a --db run: what the rows hold, and that commits between a request and its response change nothing. */
const capture = (name: string) => resolve(import.meta.dirname, '../../../captures/reference', name);
const tmp = () => mkdtempSync(join(tmpdir(), 'coapwatch-index-'));

/** Analyses a capture into a new database; `flushEvery`: commit after every frame (a batch boundary between every request and its response). */
async function indexRun(name: string, flushEvery: boolean): Promise<string> {
  const db = join(tmp(), 'i.db');
  const file = capture(name);
  const session = new AnalysisSession({ format: 'summary', coapPort: [56830], heuristic: true, db, source: file, recordFile: file, rules: [] });
  const info = await readCapture(file, (p) => {
    session.push(p);
    if (flushEvery) session.flush();
  });
  session.finish(info.packets);
  return db;
}

const rows = (path: string) => {
  const db = new Database(path, { readonly: true });
  try {
    return db.prepare('SELECT * FROM message_index ORDER BY frame, n').all() as Array<Record<string, unknown>>;
  } finally {
    db.close();
  }
};

describe('message index', () => {
  it('the same rows whether a commit falls between a request and its response or not', async () => {
    const batched = rows(await indexRun('wakaama-register-dm.pcap', false));
    const split = rows(await indexRun('wakaama-register-dm.pcap', true));
    expect(split).toEqual(batched);
    // Requests answered in a later batch still have their response_in.
    expect(split.filter((r) => r.response_in !== null).length).toBeGreaterThan(5);
  });

  it('every request links its first response and the response its request; offsets point into the capture', async () => {
    const path = await indexRun('wakaama-register-dm.pcap', false);
    const db = openForReading(path);
    try {
      const listed = [...listMessages(db, path, {})];
      const byFrame = new Map(listed.map((m) => [m.frame, m]));
      for (const m of listed) {
        if (m.responseIn !== null) expect(byFrame.get(m.responseIn)?.responseTo).toBe(m.frame);
        expect(m.file).toBe(0);
        expect(m.offset).toBeGreaterThanOrEqual(24);
        expect(m.linkType).not.toBeNull();
      }
      const register = listed.find((m) => m.operation === 'register' && m.role === 'request')!;
      expect(register).toMatchObject({ type: 'CON', code: '0.02', path: '/rd', transport: 'udp' });
      expect(byFrame.get(register.responseIn!)).toMatchObject({ code: '2.01', operation: 'register', endpoint: register.endpoint });
    } finally {
      db.close();
    }
  });

  it('TCP: several messages of one frame get n = 0, 1, ... (and are all listed)', () => {
    const db = join(tmp(), 't.db');
    const session = new AnalysisSession({ format: 'summary', coapPort: [], heuristic: true, db, source: 'built', recordFile: '/nonexistent/built.pcap', rules: [] });
    const C = 1000;
    // RFC 8323 frames: length 0, no token; two GETs in one segment, then one more.
    session.push(raw(tcpFrame({ seq: C, flags: TCP_FLAGS.SYN })));
    session.push(raw(tcpFrame({ seq: C + 1, flags: TCP_FLAGS.PSH | TCP_FLAGS.ACK, payload: Buffer.from([0x00, 0x01, 0x00, 0x01]) })));
    session.push(raw(tcpFrame({ seq: C + 5, flags: TCP_FLAGS.PSH | TCP_FLAGS.ACK, payload: Buffer.from([0x00, 0x01]) })));
    session.finish(3);
    const all = rows(db).map((r) => [r.transport, r.n, r.code]);
    // raw() numbers frames on from other tests: the order and n are what count.
    expect(all).toEqual([[1, 0, 1], [1, 1, 1], [1, 0, 1]]);
  });

  it('a message the end of the capture drains from a reassembly is indexed after the later frames, with no place of its own', () => {
    const db = join(tmp(), 'late.db');
    const session = new AnalysisSession({ format: 'summary', coapPort: [], heuristic: true, db, source: 'built', recordFile: '/nonexistent/built.pcap', rules: [] });
    let frame = 0;
    const at = (data: Buffer, offset: number) => ({ ...raw(data), frame: ++frame, recordOffset: offset, recordFile: 0 });
    const C = 1000;
    session.push(at(tcpFrame({ seq: C, flags: TCP_FLAGS.SYN }), 24));
    session.push(at(tcpFrame({ seq: C + 1, flags: TCP_FLAGS.PSH | TCP_FLAGS.ACK, payload: Buffer.from([0x00, 0x01]) }), 100));
    // Two bytes missing before it: held until the end of the capture.
    session.push(at(tcpFrame({ seq: C + 5, flags: TCP_FLAGS.PSH | TCP_FLAGS.ACK, payload: Buffer.from([0x00, 0x01]) }), 200));
    session.push(at(udpFrame(Buffer.from([0x40, 0x01, 0x12, 0x34])), 300));
    session.finish(4);
    const all = rows(db);
    const frames = all.map((r) => [r.frame, r.n, r.transport, r.offset]);
    expect(frames).toEqual([[2, 0, 1, 100], [3, 0, 1, null], [4, 0, 0, 300]]);
  });
});
