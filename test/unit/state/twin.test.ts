import { describe, expect, it } from 'vitest';
import { samples, SERIES_CAPACITY } from '../../../src/state/index.js';
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

  it('without series keeps last values only (what the rules read)', () => {
    const twin = new DeviceTwin({}, false);
    twin.apply('meter-7', [{ path: '/3/0/9', name: 'Battery Level', type: 'integer', value: 80 }], 1000);
    twin.apply('meter-7', [{ path: '/3/0/9', name: 'Battery Level', type: 'integer', value: 79 }], 1001);
    expect(twin.get('meter-7', '/3/0/9')).toMatchObject({ value: 79, updatedAt: 1001, series: null });
  });
});
