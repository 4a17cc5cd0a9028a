import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { PipelineOptions } from '../../../src/pipeline/index.js';
import { StateTracker } from '../../../src/state/index.js';
import { analyzeFile } from '../../support/analyze.js';

/* Endpoint state on the captures made with Wakaama and libcoap, against their README. */
const capture = (name: string) => join(import.meta.dirname, '../../../captures/reference', name);
const WAKAAMA: PipelineOptions = { ports: [56830] };

async function track(name: string, opts: PipelineOptions = {}): Promise<StateTracker> {
  const tracker = new StateTracker();
  for (const m of await analyzeFile(capture(name), opts)) tracker.handle(m);
  return tracker;
}

const WAKAAMA_OBJECTS = ['/1', '/1/0', '/2/0', '/3/0', '/4/0', '/5/0', '/6/0', '/7/0', '/31024', '/31024/10', '/31024/11', '/31024/12'];

describe('endpoint state on the reference captures', () => {
  it('wakaama-register-dm: meter-0001, LwM2M 1.1, lifetime 120, deregistered; last values and attributes', async () => {
    const t = await track('wakaama-register-dm.pcap', WAKAAMA);
    expect([...t.registrations.all()].map((e) => e.name)).toEqual(['meter-0001']);
    const ep = t.registrations.get('meter-0001')!;
    expect(ep).toMatchObject({
      state: 'deregistered', lifetime: 120, binding: 'U', lwm2mVersion: '1.1', location: '/rd/0', address: '127.0.0.1:56830',
      previousAddresses: null, registeredAt: 1795415408.75501,
    });
    // The last Update (after instance 45 was deleted) carried the list in force.
    expect(ep.objects).toEqual(WAKAAMA_OBJECTS);
    expect(ep.updatedAt).toBe(1795415424.059601);
    const value = (path: string) => t.twin.get('meter-0001', path)?.value;
    expect(value('/3/0/14')).toBe('+02:00'); // written, accepted
    expect(value('/1/0/1')).toBe(600);
    expect(value('/3/0/15')).toBe('Europe/Berlin'); // the write-partial to Prague was refused (5.01)
    expect(value('/31024/10/1')).toBe('77');
    expect(value('/31024/10/3')).toBe(-30);
    expect(value('/31024/45/1')).toBe(120); // created, then read back
    expect(value('/3/0/0')).toBe('Open Mobile Alliance');
    expect(t.observations.attributes.inForce('meter-0001', '/31024/10/3')).toEqual({ gt: 90.25, lt: 10.5, st: 2 });
    expect(t.observations.attributes.inForce('meter-0001', '/3/0/9')).toEqual({}); // cleared by frame 29
    expect([...t.observations.all()]).toEqual([]);
  });

  it('wakaama-observe: meter-0002, lifetime 300; two observations, both cancelled, 5 notifications; Send values', async () => {
    const t = await track('wakaama-observe.pcap', WAKAAMA);
    expect(t.registrations.get('meter-0002')).toMatchObject({ state: 'deregistered', lifetime: 300, objects: WAKAAMA_OBJECTS });
    const obs = [...t.observations.all()];
    expect(obs.map((o) => [o.token, o.paths, o.state, o.endedBy, o.notifications, o.lastSeq, o.reordered])).toEqual([
      ['00000001', ['/3/0/9'], 'cancelled', 'cancel', 4, 4, 0],
      ['00000002', ['/31024/10'], 'cancelled', 'cancel', 1, 1, 0],
    ]);
    expect(obs.reduce((n, o) => n + o.notifications, 0)).toBe(5);
    expect(obs[0].lastNotifiedAt).toBe(1795415444.384309);
    // The last battery level came with the Send at frame 18, after the notifications (55, 60, 42, 17).
    expect(t.twin.get('meter-0002', '/3/0/9')).toMatchObject({ value: 5, updatedAt: 1795415451.186333 });
    expect(t.twin.get('meter-0002', '/31024/10/1')?.value).toBe(99);
  });

  it('wakaama-blockwise: meter-block, object list from the reassembled Block1 body', async () => {
    const t = await track('wakaama-blockwise.pcap', WAKAAMA);
    const ep = t.registrations.get('meter-block')!;
    expect(ep).toMatchObject({ state: 'deregistered', lifetime: 300, location: '/rd/0' });
    expect(ep.objects).toEqual(WAKAAMA_OBJECTS);
    expect(ep.objectVersions).toEqual({ '/1': '1.1', '/31024': '1.0' });
    expect(t.twin.get('meter-block', '/3/0/0')?.value).toBe('Open Mobile Alliance');
  });

  it.each(['libcoap-block-observe.pcap', 'libcoap-dtls-psk.pcap', 'libcoap-tcp-ipv6.pcap'])('%s: plain CoAP (or encrypted), no LwM2M endpoint', async (name) => {
    const t = await track(name);
    expect(t.registrations.size).toBe(0);
  });
});
