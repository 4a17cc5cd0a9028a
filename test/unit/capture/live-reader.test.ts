import { describe, expect, it } from 'vitest';
import { LiveFrameReader } from '../../../src/capture/live.js';
import { PacketQueue } from '../../../src/capture/live-queue.js';
import { pushFrame } from './helpers.js';
import type { RawPacket } from '../../../src/capture/types.js';

describe('LiveFrameReader (the decoding side of monitor)', () => {
  it('numbers frames from 1 with the link type, time and wire length they were queued with', () => {
    const q = PacketQueue.create(1 << 16, 64);
    const got: Array<Omit<RawPacket, 'data'> & { data: string }> = [];
    const reader = new LiveFrameReader(q, 113, (p) => got.push({ ...p, data: p.data.toString() }));
    pushFrame(q, Buffer.from('one'), 3, 3, 10.5);
    pushFrame(q, Buffer.from('two!'), 4, 90, 11.25);
    expect(reader.drain()).toBe(2);
    expect(got).toEqual([
      { frame: 1, ts: 10.5, linkType: 113, data: 'one', origLength: 3, recordOffset: -1, recordFile: -1 },
      { frame: 2, ts: 11.25, linkType: 113, data: 'two!', origLength: 90, recordOffset: -1, recordFile: -1 },
    ]);
    pushFrame(q, Buffer.from('3'), 1, 1, 12);
    expect(reader.drainAll()).toBe(1);
    expect(got[2].frame).toBe(3);
    expect(reader.delivered).toBe(3);
  });

  it('run: reads frames as they come, sleeps on an empty queue, and returns once told to stop', async () => {
    const q = PacketQueue.create(1 << 16, 64);
    const frames: number[] = [];
    const reader = new LiveFrameReader(q, 1, (p) => frames.push(p.ts));
    let stop = false;
    const running = reader.run(() => stop);
    for (let i = 0; i < 5; i++) {
      pushFrame(q, Buffer.from([i]), 1, 1, i);
      await new Promise((r) => setTimeout(r, 5));
    }
    await new Promise((r) => setTimeout(r, 20));
    expect(frames).toEqual([0, 1, 2, 3, 4]);
    stop = true;
    await running;
  });

  it('a sink that throws stops run with its error (the store failing, say)', async () => {
    const q = PacketQueue.create(1 << 16, 64);
    const reader = new LiveFrameReader(q, 1, () => {
      throw new Error('disk full');
    });
    pushFrame(q, Buffer.from('x'), 1, 1, 0);
    await expect(reader.run(() => false)).rejects.toThrow('disk full');
  });
});
