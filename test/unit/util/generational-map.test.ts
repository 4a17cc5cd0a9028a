import { describe, expect, it } from 'vitest';
import { OverflowCounters } from '../../../src/util/bounded-map.js';
import { GenerationalMap } from '../../../src/util/generational-map.js';

describe('GenerationalMap', () => {
  it('keeps an entry at least one period after its last use and at most two', () => {
    const m = new GenerationalMap<string, number>(100, 1000);
    m.set('a', 1, 0); // generation starts at 0
    m.set('b', 2, 50);
    m.set('x', 0, 100); // a new generation from 100: a and b are in the previous one
    expect(m.get('a', 100)).toBe(1); // read: moves into the current generation
    m.set('y', 0, 200); // generation from 200: b (last used in the one from 0) is gone
    expect(m.get('b', 200)).toBeUndefined();
    expect(m.get('a', 200)).toBe(1);
    m.set('z', 0, 300);
    m.set('w', 0, 400);
    expect(m.get('a', 400)).toBeUndefined();
    expect(m.evicted).toBe(0); // expiry is not overflow
  });

  it('forgets both generations after a whole period without a call, however long the gap', () => {
    const m = new GenerationalMap<string, number>(100, 1000);
    m.set('a', 1, 0);
    m.set('b', 2, 150); // a generation from 100: a is in the previous one
    m.set('c', 3, 1000); // nothing since 150: a and b were last used more than a period ago
    expect(m.get('b', 1000)).toBeUndefined();
    expect(m.get('a', 1000)).toBeUndefined();
    expect(m.get('c', 1000)).toBe(3);
    expect(m.size).toBe(1);
  });

  it('ages on lookups too, so that a lookup alone two periods later finds nothing', () => {
    const m = new GenerationalMap<string, number>(100, 1000);
    m.set('a', 1, 0);
    expect(m.get('a', 99)).toBe(1);
    expect(m.get('a', 250)).toBeUndefined();
    m.set('b', 2, 300); // in the generation from 250, when the lookup found the map expired
    expect(m.get('b', 400)).toBe(2); // the generation from 350 began: b, in the previous one, moves up
    expect(m.get('b', 549)).toBe(2); // used at 400, in the generation from 350
    expect(m.get('b', 749)).toBeUndefined(); // used at 549: two periods later it is gone
  });

  it('when full drops the oldest entry of the previous generation first, and counts it under its table name', () => {
    const counters = new OverflowCounters();
    const m = new GenerationalMap<number, number>(100, 3, 'coap.test', counters);
    m.set(1, 1, 0);
    m.set(2, 2, 1);
    m.set(3, 3, 100); // a new generation: 1 and 2 are in the previous one
    expect(m.get(1, 100)).toBe(1); // in use: moves into the current generation
    m.set(4, 4, 101);
    expect(m.get(2, 101)).toBeUndefined();
    expect([m.get(1, 101), m.get(3, 101), m.get(4, 101)]).toEqual([1, 3, 4]);
    m.set(5, 5, 102); // nothing left in the previous generation: the oldest of the current goes
    expect(m.get(3, 102)).toBeUndefined();
    expect(counters.overflows()).toEqual([{ table: 'coap.test', bound: 3, evicted: 2 }]);
  });

  it('evicts in insertion order over many inserts and deletes, holding its bound', () => {
    const m = new GenerationalMap<number, number>(Infinity, 1000);
    for (let i = 0; i < 50_000; i++) {
      m.set(i, i, 0);
      if (i % 3 === 0) m.delete(i - 500);
    }
    expect(m.size).toBe(1000);
    expect(m.get(49_999, 0)).toBe(49_999);
    expect(m.get(48_000, 0)).toBeUndefined();
    expect(m.evicted).toBe(50_000 - 1000 - Math.floor(49_999 / 3) + 166);
  });

  it('removes expired entries before the bound can drop a live one', () => {
    const m = new GenerationalMap<number, number>(10, 100);
    for (let i = 0; i < 60; i++) m.set(i, i, 0);
    m.set(1000, 0, 10);
    m.set(1001, 0, 20); // everything set at 0 has expired
    for (let i = 0; i < 98; i++) m.set(2000 + i, i, 21);
    expect(m.evicted).toBe(0);
    expect(m.size).toBe(100);
    m.set(3000, 0, 21);
    expect(m.evicted).toBe(1);
    expect(m.get(1000, 21)).toBeUndefined(); // the least recently used live entry
  });
});
