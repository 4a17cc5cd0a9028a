import { describe, expect, it } from 'vitest';
import { resourceAt, samples, SERIES_CAPACITY } from '../../../src/state/index.js';
import { OverflowCounters } from '../../../src/util/bounded-map.js';
import { DeviceTwin } from '../../../src/state/twin.js';
import { uint } from '../../support/coap-flow.js';
import { CLIENT, SERVER, TrackedFlow } from '../../support/tracked-flow.js';

describe('device twin', () => {
  it('keeps the last value of read answers, notifications and accepted writes; refused writes change nothing', () => {
    const t = new TrackedFlow();
    t.register('meter-7');
    t.exchange(SERVER, CLIENT, { code: '0.01', path: '/3/0/9' }, { code: '2.05', options: [['Content-Format', uint(0)]], payload: '80' });
    t.exchange(SERVER, CLIENT, { code: '0.03', path: '/1/0/1', options: [['Content-Format', uint(0)]], payload: '600' }, { code: '2.04' });
    t.exchange(SERVER, CLIENT, { code: '0.03', path: '/1/0/1', options: [['Content-Format', uint(0)]], payload: '1' }, { code: '4.05' });
    const twin = t.tracker.twin;
    expect(twin.get('meter-7', '/3/0/9')).toMatchObject({ name: 'Battery Level', value: 80, updatedAt: 1004 });
    expect(twin.get('meter-7', '/1/0/1')).toMatchObject({ value: 600, updatedAt: 1006 });
  });

  it('keeps a bounded series of numeric samples, oldest first', () => {
    const t = new TrackedFlow();
    t.register('meter-7');
    for (let i = 0; i < SERIES_CAPACITY + 3; i++) {
      t.exchange(SERVER, CLIENT, { code: '0.01', path: '/3/0/9' }, { code: '2.05', options: [['Content-Format', uint(0)]], payload: String(i) });
    }
    const s = samples(t.tracker.twin.get('meter-7', '/3/0/9')!.series!);
    expect(s).toHaveLength(SERIES_CAPACITY);
    expect(s[0][1]).toBe(3);
    expect(s.at(-1)![1]).toBe(SERIES_CAPACITY + 2);
  });

  it('finds every value of an endpoint as its resources grow from one to many, in the order they came', () => {
    const twin = new DeviceTwin({}, false);
    const value = (i: number, v: number) => ({ path: `/3305/0/${5800 + i}`, name: null, type: 'float' as const, value: v });
    for (let n = 1; n <= 12; n++) {
      twin.apply('meter-7', [value(n - 1, n)], 1000 + n);
      twin.apply('meter-7', [value(0, 100 + n)], 2000 + n); // the first one, changed in place
      const paths = [...twin.resources('meter-7')!].map((r) => r.path);
      expect(paths).toEqual(Array.from({ length: n }, (_, i) => `/3305/0/${5800 + i}`));
      for (let i = 1; i < n; i++) expect(twin.get('meter-7', `/3305/0/${5800 + i}`)).toMatchObject({ value: i + 1, updatedAt: 1001 + i });
      expect(resourceAt(twin.resourcesOf('meter-7')!, '/3305/0/5800')).toMatchObject({ value: 100 + n, updatedAt: 2000 + n });
      expect(twin.get('meter-7', '/3305/0/9999')).toBeUndefined();
    }
    expect(twin.get('meter-8', '/3305/0/5800')).toBeUndefined();
  });

  it('counts every value of an endpoint it drops, whether it had one value, a few or many', () => {
    const counters = new OverflowCounters();
    const twin = new DeviceTwin({}, false, { endpoints: 1 }, counters);
    const values = (n: number) => Array.from({ length: n }, (_, i) => ({ path: `/3/0/${i}`, name: null, type: 'integer' as const, value: i }));
    twin.apply('meter-1', values(1), 1);
    twin.apply('meter-2', values(3), 2); // meter-1 goes with its one value
    twin.apply('meter-3', values(20), 3); // meter-2 goes with its three
    twin.apply('meter-4', values(2), 4); // meter-3 goes with its twenty
    expect(twin.dropped).toBe(24);
    expect(twin.get('meter-3', '/3/0/0')).toBeUndefined();
    expect(twin.get('meter-4', '/3/0/1')?.value).toBe(1);
  });

  it('without series keeps last values only (what the rules read)', () => {
    const twin = new DeviceTwin({}, false);
    twin.apply('meter-7', [{ path: '/3/0/9', name: 'Battery Level', type: 'integer', value: 80 }], 1000);
    twin.apply('meter-7', [{ path: '/3/0/9', name: 'Battery Level', type: 'integer', value: 79 }], 1001);
    expect(twin.get('meter-7', '/3/0/9')).toMatchObject({ value: 79, updatedAt: 1001, series: null });
  });
});
