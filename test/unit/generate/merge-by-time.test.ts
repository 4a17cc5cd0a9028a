import { describe, expect, it } from 'vitest';
import { mergeByTime } from '../../../src/generate/merge-by-time.js';
import { Rng } from '../../../src/generate/prng.js';

describe('mergeByTime', () => {
  it('merges ordered streams of any length into one ordered stream, losing nothing', () => {
    const rng = new Rng(7);
    const streams = Array.from({ length: 9 }, (_, s) => {
      let t = 0;
      return Array.from({ length: s * 3 }, () => ({ us: (t += rng.int(0, 5)), s }));
    });
    const merged = [...mergeByTime(streams.map((s) => s.values()))];
    expect(merged).toHaveLength(streams.reduce((n, s) => n + s.length, 0));
    for (let i = 1; i < merged.length; i++) expect(merged[i].us).toBeGreaterThanOrEqual(merged[i - 1].us);
  });
});
