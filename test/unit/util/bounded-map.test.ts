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
});
