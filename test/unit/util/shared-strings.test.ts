import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { OverflowCounters } from '../../../src/util/bounded-map.js';
import { SharedStrings } from '../../../src/util/shared-strings.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** A fresh copy of `s`, as a decoder makes one per message. */
const copy = (s: string) => Buffer.from(s).toString('latin1');

describe('SharedStrings', () => {
  it('hands out one copy per distinct string: holding many costs a reference each, not a string each', () => {
    const n = 50_000;
    const strings = new SharedStrings('t', 16);
    const held: unknown[] = new Array(n).fill(null); // the slots exist before the measurement
    gc();
    const before = process.memoryUsage().heapUsed;
    for (let i = 0; i < n; i++) held[i] = strings.shared(copy(i % 2 === 0 ? '/3305/0/5800' : '/3305/0/5700'));
    gc();
    const perString = (process.memoryUsage().heapUsed - before) / n;
    // A copy of its own costs each slot 32 bytes or more; a shared one nothing more than the slot.
    expect(perString).toBeLessThan(16);
    expect(new Set(held)).toEqual(new Set(['/3305/0/5800', '/3305/0/5700']));
  });

  it('is bounded: past its bound the string seen least recently is no longer shared, counted', () => {
    const counters = new OverflowCounters();
    const strings = new SharedStrings('paths', 2, counters);
    expect(['/a', '/b', '/a', '/c', '/a'].map((s) => strings.shared(copy(s)))).toEqual(['/a', '/b', '/a', '/c', '/a']);
    expect(counters.overflows()).toEqual([{ table: 'paths', bound: 2, evicted: 1 }]); // /b went
    strings.shared(copy('/b'));
    expect(counters.overflows()).toEqual([{ table: 'paths', bound: 2, evicted: 2 }]); // /c went, /a stays
  });
});
