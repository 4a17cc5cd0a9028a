import { runInNewContext } from 'node:vm';
import { setFlagsFromString } from 'node:v8';
import { describe, expect, it } from 'vitest';
import { OldestFirst } from '../../../src/util/oldest-first.js';

/** A full garbage collection (the flag is set before the function is made). */
function collect(): void {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
}

describe('OldestFirst', () => {
  it('gives keys oldest first, skipping deleted ones and seeing those inserted since', () => {
    const map = new Map<number, number>();
    const order = new OldestFirst(map);
    for (let i = 0; i < 5; i++) {
      map.set(i, i);
      order.changed();
    }
    expect(order.next()).toBe(0);
    map.delete(0);
    map.delete(1);
    map.delete(3);
    map.set(1, 1); // inserted again: now the newest
    expect(order.next()).toBe(2);
    expect(order.next()).toBe(4);
    expect(order.next()).toBe(1);
    map.clear();
    expect(order.next()).toBeUndefined();
  });

  it('still gives the oldest key after more changes than the map holds (a fresh iterator)', () => {
    const map = new Map<number, number>();
    const order = new OldestFirst(map);
    for (let i = 0; i < 10; i++) map.set(i, i);
    expect(order.next()).toBe(0);
    map.delete(0);
    for (let i = 0; i < 100; i++) {
      map.delete(5);
      map.set(5, 5);
      order.changed();
    }
    expect(order.next()).toBe(1);
    map.delete(1);
    expect(order.next()).toBe(2);
  });

  it('does not keep the old copies of a table that churns without evicting', () => {
    // A live iterator keeps the table it last saw, and every table rehashed from it, alive: this
    // churn would then hold several dead copies of a 100,000-entry table (each several MB).
    const map = new Map<number, number>();
    const order = new OldestFirst(map);
    for (let i = 0; i < 100_000; i++) map.set(i, i);
    expect(order.next()).toBe(0);
    collect();
    const before = process.memoryUsage().heapUsed;
    for (let round = 0; round < 10; round++) {
      for (let i = 1; i < 100_000; i++) {
        map.delete(i);
        map.set(i, i);
        order.changed();
      }
    }
    collect();
    expect(process.memoryUsage().heapUsed - before).toBeLessThan(12 << 20);
    expect(order.next()).toBe(0);
  });
});
