import { describe, expect, it } from 'vitest';
import { ExpiryQueue } from '../../../src/state/index.js';

describe('ExpiryQueue', () => {
  it('pops deadlines earliest first, each with its item, over a long mixed run', () => {
    const q = new ExpiryQueue<string>();
    const reference: Array<[number, string]> = [];
    let seed = 7;
    const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let step = 0; step < 5000; step++) {
      if (next() < 0.6 || reference.length === 0) {
        const at = Math.round(next() * 1e6) / 7; // distinct fractional deadlines
        q.push(at, `item-${at}`);
        reference.push([at, `item-${at}`]);
      } else {
        reference.sort((a, b) => a[0] - b[0]);
        const [at, item] = reference.shift()!;
        expect(q.peek()).toBe(at);
        expect(q.pop()).toEqual({ at, item });
      }
      expect(q.size).toBe(reference.length);
    }
  });

  it('is empty: peek is Infinity and pop undefined; rebuild replaces the contents', () => {
    const q = new ExpiryQueue<number>();
    expect(q.peek()).toBe(Infinity);
    expect(q.pop()).toBeUndefined();
    q.push(5, 5);
    q.push(1, 1);
    q.rebuild([[3, 3], [2, 2]]);
    expect([q.pop(), q.pop(), q.pop()]).toEqual([{ at: 2, item: 2 }, { at: 3, item: 3 }, undefined]);
  });
});
