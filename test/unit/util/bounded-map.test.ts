import { describe, expect, it } from 'vitest';
import { BoundedMap, OverflowCounters } from '../../../src/util/bounded-map.js';

describe('BoundedMap', () => {
  it('drops the least recently used entry when full, and counts it', () => {
    const m = new BoundedMap<string, number>('t', 3);
    m.set('a', 1);
    m.set('b', 2);
    m.set('c', 3);
    expect(m.get('a')).toBe(1); // a is now the most recently used
    m.set('d', 4);
    expect(m.has('b')).toBe(false);
    expect([...m.entries()].map(([k]) => k)).toEqual(['d', 'a', 'c']);
    expect(m.size).toBe(3);
    expect(m.evicted).toBe(1);
  });

  it('peek does not refresh an entry; delete and replace are not evictions', () => {
    const m = new BoundedMap<string, number>('t', 2);
    m.set('a', 1);
    m.set('b', 2);
    expect(m.peek('a')).toBe(1);
    m.set('b', 20);
    m.delete('b');
    expect(m.evicted).toBe(0);
    m.set('c', 3);
    m.set('d', 4);
    expect(m.has('a')).toBe(false);
    expect(m.evicted).toBe(1);
  });

  it('stays at its bound over many inserts, each counted', () => {
    const m = new BoundedMap<number, number>('t', 1000);
    for (let i = 0; i < 100_000; i++) m.set(i, i);
    expect(m.size).toBe(1000);
    expect(m.evicted).toBe(99_000);
    expect(m.get(99_999)).toBe(99_999);
    expect(m.get(98_999)).toBeUndefined();
  });

  it('reports overflowing tables through the run counters, by name', () => {
    const counters = new OverflowCounters();
    const a = new BoundedMap<number, number>('dtls.sessions', 2, counters);
    const b = new BoundedMap<number, number>('dtls.sessions', 2, counters);
    new BoundedMap<number, number>('quiet', 2, counters).set(1, 1);
    for (let i = 0; i < 5; i++) a.set(i, i);
    for (let i = 0; i < 3; i++) b.set(i, i);
    expect(counters.overflows()).toEqual([{ table: 'dtls.sessions', bound: 2, evicted: 4 }]);
    expect(counters.tables()).toEqual([{ table: 'dtls.sessions', bound: 2 }, { table: 'quiet', bound: 2 }]);
  });

  it('tells onEvict of each dropped entry (not of deletes or replacements)', () => {
    const dropped: [string, number][] = [];
    const m = new BoundedMap<string, number>('t', 2, undefined, (v, k) => dropped.push([k, v]));
    m.set('a', 1);
    m.set('b', 2);
    m.set('b', 3);
    m.delete('a');
    m.set('c', 4);
    m.set('d', 5);
    expect(dropped).toEqual([['b', 3]]);
    expect([...m.values()]).toEqual([5, 4]);
  });

  it('onEvict may use the table: the dropped entry is already gone', () => {
    const seen: string[] = [];
    const m = new BoundedMap<string, number>('t', 2, undefined, (_v, k) => {
      seen.push(`${k}:${m.has(k)}:${m.size}`);
      m.delete('never-there');
    });
    for (const k of ['a', 'b', 'c', 'd']) m.set(k, 0);
    expect(seen).toEqual(['a:false:2', 'b:false:2']);
    expect([...m.entries()].map(([k]) => k)).toEqual(['d', 'c']);
  });

  it('a table bounded at millions of entries takes no memory for entries it has not held', () => {
    // Preallocating for the bound would take two 4M-slot arrays (64 MB of heap) here.
    const before = process.memoryUsage().heapUsed;
    const m = new BoundedMap<number, number>('t', 2 ** 22);
    m.set(1, 1);
    expect(process.memoryUsage().heapUsed - before).toBeLessThan(16 << 20);
    expect(m.get(1)).toBe(1);
  });
});

describe('BoundedMap growth and eviction hooks', () => {
  it('keeps least-recently-used order while it grows towards its bound', () => {
    const m = new BoundedMap<number, number>('t', 5000);
    for (let i = 0; i < 5000; i++) m.set(i, i);
    expect(m.get(0)).toBe(0); // now the most recently used
    m.set(5000, 5000);
    expect(m.evicted).toBe(1);
    expect(m.has(1)).toBe(false);
    expect(m.has(0)).toBe(true);
    expect(m.oldest()).toEqual([2, 2]);
  });

  it('evictOldest drops and counts the least recently used entry; onEvict is told of every drop', () => {
    const told: string[] = [];
    const m = new BoundedMap<string, number>('t', 2, undefined, (v, k) => told.push(`${k}=${v}`));
    m.set('a', 1);
    m.set('b', 2);
    expect(m.evictOldest()).toBe(1);
    m.set('c', 3);
    m.set('d', 4);
    m.delete('c');
    expect(told).toEqual(['a=1', 'b=2']);
    expect(m.evicted).toBe(2);
  });

  it('oldestValue reads and deleteOldest removes the least recently used entry, neither counted nor told as an eviction', () => {
    const told: string[] = [];
    const m = new BoundedMap<string, number>('t', 3, undefined, (v, k) => told.push(`${k}=${v}`));
    expect(m.oldestValue()).toBeUndefined();
    m.deleteOldest(); // empty: nothing happens
    m.set('a', 1);
    m.set('b', 2);
    m.set('c', 3);
    m.get('a');
    expect(m.oldestValue()).toBe(2);
    m.deleteOldest();
    expect([...m.entries()].map(([k]) => k)).toEqual(['a', 'c']);
    expect(m.oldestValue()).toBe(3);
    m.set('d', 4);
    m.set('e', 5); // full again: c is evicted, counted
    expect(told).toEqual(['c=3']);
    expect(m.evicted).toBe(1);
  });
});

describe('BoundedMap slots', () => {
  it('reuses the slots of deleted entries and keeps the order of use through them', () => {
    const m = new BoundedMap<string, number>('t', 4);
    for (const k of ['a', 'b', 'c', 'd']) m.set(k, 0);
    m.delete('b');
    m.delete('a');
    m.set('e', 1); // takes a freed slot
    m.set('f', 2);
    expect(m.get('c')).toBe(0);
    expect([...m.entries()].map(([k]) => k)).toEqual(['c', 'f', 'e', 'd']);
    expect([...m.valuesOldestFirst()]).toEqual([0, 1, 2, 0]);
    expect(m.oldest()).toEqual(['d', 0]);
    m.set('g', 3);
    expect(m.has('d')).toBe(false);
    expect(m.evicted).toBe(1);
    m.clear();
    expect(m.size).toBe(0);
    expect(m.oldest()).toBeUndefined();
    m.set('h', 4);
    expect([...m.entries()]).toEqual([['h', 4]]);
  });

  it('matches a reference least-recently-used list over a long random run', () => {
    const bound = 37;
    const m = new BoundedMap<number, number>('t', bound);
    const reference: number[] = []; // keys, least recently used first
    let seed = 12345;
    const random = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) % n);
    for (let step = 0; step < 20_000; step++) {
      const key = random(60);
      const at = reference.indexOf(key);
      switch (random(4)) {
        case 0: // get
          expect(m.get(key)).toBe(at < 0 ? undefined : key);
          if (at >= 0) reference.push(...reference.splice(at, 1));
          break;
        case 1: // peek
          expect(m.peek(key)).toBe(at < 0 ? undefined : key);
          break;
        case 2: // delete
          expect(m.delete(key)).toBe(at >= 0);
          if (at >= 0) reference.splice(at, 1);
          break;
        default: // set
          m.set(key, key);
          if (at >= 0) reference.splice(at, 1);
          else if (reference.length === bound) reference.shift();
          reference.push(key);
      }
      expect(m.size).toBe(reference.length);
    }
    expect([...m.valuesOldestFirst()]).toEqual(reference);
    expect([...m.values()]).toEqual([...reference].reverse());
  });
});
