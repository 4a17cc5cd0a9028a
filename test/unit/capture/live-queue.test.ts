import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PacketQueue } from '../../../src/capture/live-queue.js';
import { pushFrame } from './helpers.js';

const frame = (n: number, length: number) => Buffer.alloc(length, n & 0xff);

function drainAll(q: PacketQueue): Array<{ data: Buffer; orig: number; ts: number }> {
  const out: Array<{ data: Buffer; orig: number; ts: number }> = [];
  q.drain(Number.MAX_SAFE_INTEGER, (data, orig, ts) => out.push({ data: Buffer.from(data), orig, ts }));
  return out;
}

describe('PacketQueue (capture → decoding backpressure)', () => {
  it('hands frames over in order, copied, with their lengths and times', () => {
    const q = PacketQueue.create(1024, 16);
    const scratch = Buffer.alloc(100);
    for (let i = 0; i < 5; i++) {
      scratch.fill(i);
      expect(pushFrame(q, scratch, 10 + i, 50 + i, 1000 + i)).toBe(true);
    }
    scratch.fill(0xee); // the capture buffer is reused: queued frames must not change
    const got = drainAll(q);
    expect(got.map((g) => [g.data.length, g.data[0], g.orig, g.ts])).toEqual([0, 1, 2, 3, 4].map((i) => [10 + i, i, 50 + i, 1000 + i]));
    expect(q.length).toBe(0);
  });

  it('counts frames that find no room as dropped instead of growing', () => {
    const q = PacketQueue.create(1000, 1000);
    let accepted = 0;
    for (let i = 0; i < 50; i++) if (pushFrame(q, frame(i, 100), 100, 100, i)) accepted++;
    expect(accepted).toBe(10);
    expect(q.dropped).toBe(40);
    expect(q.highWater).toBe(10);
    // Decoding catches up: room again.
    expect(drainAll(q).map((g) => g.ts)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(pushFrame(q, frame(1, 100), 100, 100, 99)).toBe(true);
  });

  it('is shared memory: another view of it (as a worker thread has) reads what one pushed', () => {
    const producer = PacketQueue.create(4096, 8);
    const consumer = new PacketQueue(structuredClone(producer.memory));
    pushFrame(producer, Buffer.from('hello'), 5, 60, 1.5);
    const got: string[] = [];
    consumer.drain(10, (d, orig, ts) => got.push(`${d.toString()} ${orig} ${ts}`));
    expect(got).toEqual(['hello 60 1.5']);
    expect(producer.length).toBe(0); // freed for the producer too
  });

  it('waitForFrames resolves when a frame arrives, and after the timeout when none does', async () => {
    const q = PacketQueue.create(4096, 8);
    const t0 = performance.now();
    await q.waitForFrames(30);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(25);
    const waiting = q.waitForFrames(5_000);
    setTimeout(() => pushFrame(q, Buffer.from('x'), 1, 1, 0), 10);
    await waiting;
    expect(performance.now() - t0).toBeLessThan(4_500); // woken by the frame, not by the 5 s timeout
    expect(q.length).toBe(1);
  });

  it('reserve + commit: a frame written into the ring by other means (the capture thread copies from libpcap) is queued, at the place reserve gave', () => {
    const q = PacketQueue.create(64, 4);
    const at = q.reserve(5);
    expect(at).toBe(0);
    q.ring.write('hello', at, 'latin1');
    q.commit(at, 5, 60, 7.5);
    expect(q.reserve(100)).toBe(-1); // more than the ring: refused and counted
    expect(q.dropped).toBe(1);
    expect(q.reserve(3)).toBe(5); // right after the first frame
    expect(drainAll(q).map((g) => [g.data.toString('latin1'), g.orig, g.ts])).toEqual([['hello', 60, 7.5]]);
  });

  it('is bounded by its slot count too', () => {
    const q = PacketQueue.create(1 << 20, 3); // rounded up to 4 slots
    for (let i = 0; i < 6; i++) pushFrame(q, frame(i, 1), 1, 1, i);
    expect(q.length).toBe(4);
    expect(q.dropped).toBe(2);
  });

  it('drains in batches of at most max frames', () => {
    const q = PacketQueue.create(4096, 64);
    for (let i = 0; i < 10; i++) pushFrame(q, frame(i, 8), 8, 8, i);
    const seen: number[] = [];
    expect(q.drain(3, (_d, _o, ts) => seen.push(ts))).toBe(3);
    expect(q.drain(3, (_d, _o, ts) => seen.push(ts))).toBe(3);
    expect(q.length).toBe(4);
    expect(seen).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('never hands over a corrupted frame, whatever the interleaving of pushes and drains (model check)', () => {
    const op = fc.oneof(
      fc.record({ push: fc.integer({ min: 0, max: 300 }) }),
      fc.record({ drain: fc.integer({ min: 0, max: 8 }) }),
    );
    fc.assert(fc.property(fc.integer({ min: 1, max: 1200 }), fc.integer({ min: 1, max: 12 }), fc.array(op, { maxLength: 200 }), (bytes, slots, ops) => {
      const q = PacketQueue.create(bytes, slots);
      const model: Array<{ id: number; length: number }> = [];
      let id = 0;
      let dropped = 0;
      const check = (data: Buffer, orig: number, ts: number) => {
        const expected = model.shift()!;
        expect(ts).toBe(expected.id);
        expect(orig).toBe(expected.length);
        expect(data.length).toBe(expected.length);
        expect(data.every((b) => b === (expected.id & 0xff))).toBe(true);
      };
      for (const o of ops) {
        if ('push' in o) {
          const n = id++;
          if (pushFrame(q, frame(n, o.push), o.push, o.push, n)) model.push({ id: n, length: o.push });
          else dropped++;
        } else {
          q.drain(o.drain, check);
        }
        expect(q.length).toBe(model.length);
        expect(q.length).toBeLessThanOrEqual(q.capacityPackets);
      }
      q.drain(Number.MAX_SAFE_INTEGER, check);
      expect(model.length).toBe(0);
      expect(q.dropped).toBe(dropped);
    }), { numRuns: 300 });
  });
});
