import { describe, expect, it } from 'vitest';
import { CoapFlow, uint } from '../../support/coap-flow.js';

const A = '10.0.0.2:40000';
const B = '10.0.0.1:5683';

describe('exchange matching (RFC 7252 5.3, 4.4, 4.5; RFC 7641)', () => {
  it('piggybacked response by MID, response time, and a duplicate ACK', () => {
    const f = new CoapFlow();
    const req = f.send(A, B, { code: '0.01', mid: 10, token: '01', path: '/a' });
    const res = f.send(B, A, { code: '2.05', type: 'ACK', mid: 10, token: '01', payload: 'x' });
    expect(res.coap.match).toMatchObject({ role: 'response', retransmissionOf: null, responseTime: 1 });
    expect(res.coap.match.request?.frame).toBe(req.coap.frame);
    const dup = f.send(B, A, { code: '2.05', type: 'ACK', mid: 10, token: '01', payload: 'x' });
    expect(dup.coap.match.retransmissionOf).toBe(res.coap.frame);
    expect(dup.coap.match.responseTime).toBeNull();
  });

  it('a retransmitted CON request is flagged and its response still matches the original', () => {
    const f = new CoapFlow();
    const first = f.send(A, B, { code: '0.02', mid: 11, token: '02', path: '/b' });
    const again = f.send(A, B, { code: '0.02', mid: 11, token: '02', path: '/b' });
    expect(again.coap.match.retransmissionOf).toBe(first.coap.frame);
    const res = f.send(B, A, { code: '2.04', type: 'ACK', mid: 11, token: '02' });
    expect(res.coap.match.request?.frame).toBe(first.coap.frame);
  });

  it('a message ID used again after a quiet capture is a new message, not a retransmission', () => {
    // Nothing at all for more than two exchange lifetimes: the map ages on the time of each
    // lookup, not only at the next insert, and forgets what came before the gap whole.
    const f = new CoapFlow();
    f.send(A, B, { code: '0.02', mid: 13, token: '03', path: '/rd', ts: 1000 });
    f.send(B, A, { code: '0.00', type: 'ACK', mid: 99, ts: 1100 });
    const later = f.send(A, B, { code: '0.02', mid: 13, token: '03', path: '/rd', ts: 1000 + 3 * 247 });
    expect(later.coap.match).toMatchObject({ role: 'request', retransmissionOf: null });
    const ack = f.send(B, A, { code: '2.04', type: 'ACK', mid: 13, token: '03', ts: 1001 + 3 * 247 });
    expect(ack.coap.match.request?.frame).toBe(later.coap.frame);
  });

  it('separate response: empty ACK first, then a CON response matched by token, acknowledged in turn', () => {
    const f = new CoapFlow();
    const req = f.send(A, B, { code: '0.01', mid: 12, token: 'beef', path: '/slow' });
    const ack = f.send(B, A, { code: '0.00', type: 'ACK', mid: 12 });
    expect(ack.coap.match).toMatchObject({ role: 'ack' });
    expect(ack.coap.match.request?.frame).toBe(req.coap.frame);
    const res = f.send(B, A, { code: '2.05', type: 'CON', mid: 900, token: 'beef', payload: 'done' });
    expect(res.coap.match.role).toBe('response');
    expect(res.coap.match.request?.frame).toBe(req.coap.frame);
    expect(res.coap.match.responseTime).toBe(2);
    const ackOfRes = f.send(A, B, { code: '0.00', type: 'ACK', mid: 900 });
    expect(ackOfRes.coap.match.request?.frame).toBe(res.coap.frame);
  });

  it('the same MID in each direction belongs to two different exchanges', () => {
    const f = new CoapFlow();
    f.send(A, B, { code: '0.01', mid: 20, token: '01', path: '/x' });
    const other = f.send(B, A, { code: '0.01', mid: 20, token: '09', path: '/y' });
    expect(other.coap.match).toMatchObject({ role: 'request', retransmissionOf: null });
    const resToB = f.send(A, B, { code: '2.05', type: 'ACK', mid: 20, token: '09' });
    expect(resToB.coap.match.request?.frame).toBe(other.coap.frame);
  });

  it('a response from a third peer does not match', () => {
    const f = new CoapFlow();
    f.send(A, B, { code: '0.01', mid: 30, token: '03', path: '/x' });
    const stranger = f.send('10.9.9.9:5683', A, { code: '2.05', type: 'ACK', mid: 30, token: '03' });
    expect(stranger.coap.match.request).toBeNull();
  });

  it('RST answers a CON notification and ends nothing else', () => {
    const f = new CoapFlow();
    f.send(B, A, { code: '0.01', mid: 40, token: '0a', path: '/3/0/9', options: [['Observe', uint(0)]] });
    f.send(A, B, { code: '2.05', type: 'ACK', mid: 40, token: '0a', options: [['Observe', uint(1)]], payload: '5' });
    const n = f.send(A, B, { code: '2.05', type: 'CON', mid: 41, token: '0a', options: [['Observe', uint(2)]], payload: '6' });
    expect(n.coap.match.role).toBe('notification');
    const rst = f.send(B, A, { code: '0.00', type: 'RST', mid: 41 });
    expect(rst.coap.match.role).toBe('reset');
    expect(rst.coap.match.request?.frame).toBe(n.coap.frame);
  });

  it("a notification's record names the observation it was matched to; other records name none", () => {
    const f = new CoapFlow();
    const obs = f.send(B, A, { code: '0.01', mid: 60, token: '0c', path: '/3/0/9', options: [['Observe', uint(0)]] });
    const first = f.send(A, B, { code: '2.05', type: 'CON', mid: 61, token: '0c', options: [['Observe', uint(1)]], payload: '5' });
    expect(first.coap.match.role).toBe('response');
    const n = f.send(A, B, { code: '2.05', type: 'NON', mid: 62, token: '0c', options: [['Observe', uint(2)]], payload: '6' });
    expect(n.coap.match.role).toBe('notification');
    expect(n.coap.match.record?.observation).toBe(obs.coap.match.record);
    expect(obs.coap.match.record?.observation).toBeNull();
    expect(first.coap.match.record?.observation).toBeNull();
    const again = f.send(A, B, { code: '2.05', type: 'NON', mid: 62, token: '0c', options: [['Observe', uint(2)]], payload: '6' });
    expect(again.coap.match.record).toBe(n.coap.match.record);
  });

  it('records of messages without a Uri-Query share one empty list; a request keeps its own', () => {
    const f = new CoapFlow();
    const req = f.send(A, B, { code: '0.02', mid: 63, token: '0d', path: '/rd', query: ['ep=a', 'lt=60'] });
    const one = f.send(B, A, { code: '0.01', mid: 64, token: '0e', path: '/3/0/9' });
    const two = f.send(A, B, { code: '2.05', type: 'CON', mid: 65, token: '0f', payload: '1' });
    expect(req.coap.match.record?.uriQuery).toEqual(['ep=a', 'lt=60']);
    expect(one.coap.match.record?.uriQuery).toEqual([]);
    expect(two.coap.match.record?.uriQuery).toBe(one.coap.match.record?.uriQuery);
  });

  it('a cancel (Observe=1) reuses the token, and its response matches the cancel, not the observation', () => {
    const f = new CoapFlow();
    const obs = f.send(B, A, { code: '0.01', mid: 50, token: '0b', path: '/3/0/9', options: [['Observe', uint(0)]] });
    f.send(A, B, { code: '2.05', type: 'ACK', mid: 50, token: '0b', options: [['Observe', uint(1)]], payload: '5' });
    const cancel = f.send(B, A, { code: '0.01', mid: 51, token: '0b', path: '/3/0/9', options: [['Observe', uint(1)]] });
    const res = f.send(A, B, { code: '2.05', type: 'ACK', mid: 51, token: '0b', payload: '5' });
    expect(res.coap.match.request?.frame).toBe(cancel.coap.frame);
    expect(res.coap.match.request?.frame).not.toBe(obs.coap.frame);
  });

  it('notifications that go on after a cancel match the cancel, however far apart they come', () => {
    // A client notifying at its usual interval (five minutes here, more than an exchange
    // lifetime) on a cancelled observation: each notification still leads to the cancel, so
    // that the state stage counts it as late and the payload is read against the cancel's path.
    const f = new CoapFlow();
    f.send(B, A, { code: '0.01', mid: 50, token: '0c', path: '/3/0/9', options: [['Observe', uint(0)]], ts: 100 });
    f.send(A, B, { code: '2.05', type: 'ACK', mid: 50, token: '0c', options: [['Observe', uint(1)]], payload: '5', ts: 100 });
    const cancel = f.send(B, A, { code: '0.01', mid: 51, token: '0c', path: '/3/0/9', options: [['Observe', uint(1)]], ts: 200 });
    f.send(A, B, { code: '2.05', type: 'ACK', mid: 51, token: '0c', payload: '5', ts: 200 });
    for (let i = 1; i <= 4; i++) {
      const late = f.send(A, B, { code: '2.05', type: 'NON', mid: 70 + i, token: '0c', options: [['Observe', uint(1 + i)]], payload: '5', ts: 200 + 300 * i });
      expect(late.coap.match.role).toBe('notification');
      expect(late.coap.match.request?.frame).toBe(cancel.coap.frame);
    }
  });
});

describe('block-wise reassembly (RFC 7959)', () => {
  const block = (num: number, more: boolean, szx: number) => uint((num << 4) | (more ? 8 : 0) | szx);

  it('Block2 body over three responses, each block requested with a new token', () => {
    const f = new CoapFlow();
    const parts = ['a'.repeat(16), 'b'.repeat(16), 'ccc'];
    for (let i = 0; i < 3; i++) {
      f.send(A, B, { code: '0.01', mid: 60 + i, token: `0${i}`, path: '/big', options: i ? [['Block2', block(i, false, 0)]] : [] });
      const r = f.send(B, A, { code: '2.05', type: 'ACK', mid: 60 + i, token: `0${i}`, options: [['Block2', block(i, i < 2, 0)]], payload: parts[i] });
      if (i < 2) expect(r.coap.block).toEqual({ state: 'partial', blocks: i + 1 });
      else {
        expect(r.coap.block.state).toBe('complete');
        expect(r.coap.body?.toString()).toBe(parts.join(''));
      }
    }
  });

  it('beyond the transfer bound the least recently used transfer is dropped and counted', () => {
    const f = new CoapFlow({ limits: { blockTransfers: 1 } });
    f.send(A, B, { code: '0.03', mid: 80, token: '08', path: '/one', options: [['Block1', block(0, true, 0)]], payload: 'x'.repeat(16) });
    f.send(A, B, { code: '0.03', mid: 81, token: '09', path: '/two', options: [['Block1', block(0, true, 0)]], payload: 'y'.repeat(16) });
    const rest = f.send(A, B, { code: '0.03', mid: 82, token: '08', path: '/one', options: [['Block1', block(1, false, 0)]], payload: 'x' });
    expect(rest.coap.block).toEqual({ state: 'broken', reason: 'block 1 without block 0' });
    const done = f.send(A, B, { code: '0.03', mid: 83, token: '09', path: '/two', options: [['Block1', block(1, false, 0)]], payload: 'y' });
    expect(done.coap.block.state).toBe('complete');
    expect(f.pipeline.overflow.overflows()).toEqual([{ table: 'coap.blockwise', bound: 1, evicted: 1 }]);
  });

  it('a gap in the blocks is reported and nothing is decoded', () => {
    const f = new CoapFlow();
    f.send(A, B, { code: '0.03', mid: 70, token: '07', path: '/up', options: [['Block1', block(0, true, 0)]], payload: 'x'.repeat(16) });
    const skipped = f.send(A, B, { code: '0.03', mid: 71, token: '07', path: '/up', options: [['Block1', block(2, false, 0)]], payload: 'zz' });
    expect(skipped.coap.block).toMatchObject({ state: 'broken' });
    expect(skipped.coap.body).toBeNull();
  });
});

describe('bounded exchange tables', () => {
  it('a full exchange table drops its least recently used request, counts it, and its ACK no longer matches', () => {
    const f = new CoapFlow({ limits: { exchanges: 2 } });
    f.send(A, B, { code: '0.01', mid: 1, token: '01', path: '/a' });
    f.send(A, B, { code: '0.01', mid: 2, token: '02', path: '/b' });
    f.send(A, B, { code: '0.01', mid: 3, token: '03', path: '/c' });
    expect(f.send(B, A, { code: '2.05', type: 'ACK', mid: 1, token: '01' }).coap.match.request).toBeNull();
    expect(f.send(B, A, { code: '2.05', type: 'ACK', mid: 3, token: '03' }).coap.match.request).not.toBeNull();
    expect(f.pipeline.overflow.overflows()).toEqual([
      { table: 'coap.exchanges-by-mid', bound: 2, evicted: 1 },
      { table: 'coap.exchanges-by-token', bound: 2, evicted: 1 },
    ]);
  });

  it('a full peer-pair table drops the least recently used pair and counts it; that pair matches afresh', () => {
    const f = new CoapFlow({ limits: { peerPairs: 2 } });
    const C = '10.0.0.3:40000';
    const D = '10.0.0.4:40000';
    f.send(A, B, { code: '0.01', mid: 1, token: '01', path: '/a' });
    f.send(C, B, { code: '0.01', mid: 1, token: '01', path: '/a' });
    f.send(D, B, { code: '0.01', mid: 1, token: '01', path: '/a' }); // A-B goes
    expect(f.send(B, A, { code: '2.05', type: 'ACK', mid: 1, token: '01' }).coap.match.request).toBeNull();
    expect(f.send(B, D, { code: '2.05', type: 'ACK', mid: 1, token: '01' }).coap.match.request?.src).toBe(D);
    expect(f.pipeline.overflow.overflows()).toEqual([{ table: 'coap.peer-pairs', bound: 2, evicted: 2 }]);
  });

  it('nothing is reported while no table is full', () => {
    const f = new CoapFlow();
    for (let mid = 0; mid < 100; mid++) f.send(A, B, { code: '0.01', mid, token: '01', path: '/a' });
    expect(f.pipeline.overflow.overflows()).toEqual([]);
  });
});
