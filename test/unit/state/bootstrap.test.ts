import { describe, expect, it } from 'vitest';
import { uint } from '../../support/coap-flow.js';
import { BOOTSTRAP, CLIENT, TrackedFlow } from '../../support/tracked-flow.js';

describe('bootstrap sessions', () => {
  it('records who asked, which server, what was written (path and length, never the value) and the finish', () => {
    const t = new TrackedFlow();
    t.exchange(CLIENT, BOOTSTRAP, { code: '0.02', path: '/bs', query: ['ep=meter-9'] }, { code: '2.04' });
    t.exchange(BOOTSTRAP, CLIENT, { code: '0.04', path: '/' }, { code: '2.02' });
    // The Security object's Secret Key: a 14-byte PSK as application/octet-stream.
    t.exchange(BOOTSTRAP, CLIENT, { code: '0.03', path: '/0/0/5', options: [['Content-Format', uint(42)]], payload: 'sesame-key-123' }, { code: '2.04' });
    t.exchange(BOOTSTRAP, CLIENT, { code: '0.02', path: '/bs' }, { code: '2.04' });
    const [s] = [...t.tracker.bootstrap.all()];
    expect(s).toMatchObject({ endpoint: 'meter-9', client: CLIENT, server: BOOTSTRAP, state: 'finished', startedAt: 1001, finishedAt: 1008, error: null });
    expect(s.steps.map((x) => [x.operation, x.path, x.code])).toEqual([
      ['bootstrap-request', null, '2.04'], ['bootstrap-delete', '/', '2.02'], ['bootstrap-write', '/0/0/5', '2.04'], ['bootstrap-finish', null, '2.04'],
    ]);
    expect(s.steps[2].written).toEqual([{ path: '/0/0/5', length: 14 }]);
    expect(JSON.stringify(s)).not.toMatch(/sesame|736573616d65/);
    // Nor does the device twin keep bootstrap values.
    expect(t.tracker.twin.get('meter-9', '/0/0/5')).toBeUndefined();
  });

  it('a refused Bootstrap-Finish is an error', () => {
    const t = new TrackedFlow();
    t.exchange(CLIENT, BOOTSTRAP, { code: '0.02', path: '/bs', query: ['ep=meter-9'] }, { code: '2.04' });
    t.exchange(BOOTSTRAP, CLIENT, { code: '0.02', path: '/bs' }, { code: '4.06' });
    expect([...t.tracker.bootstrap.all()][0]).toMatchObject({ state: 'error', error: '4.06' });
  });
});
