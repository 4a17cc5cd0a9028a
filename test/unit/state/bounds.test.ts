import { describe, expect, it } from 'vitest';
import { uint } from '../../support/coap-flow.js';
import { SERVER, TrackedFlow } from '../../support/tracked-flow.js';
import { MAX_PATHS_PER_ENDPOINT } from '../../../src/state/attributes.js';
import { InternedLists, MAX_OBJECTS } from '../../../src/state/interned-lists.js';
import { MAX_STEPS, MAX_WRITTEN } from '../../../src/state/bootstrap.js';
import { MAX_PATHS as MAX_COMPOSITE_PATHS } from '../../../src/state/observations.js';
import { MAX_STRING } from '../../../src/state/twin.js';
import { OverflowCounters } from '../../../src/util/bounded-map.js';

const client = (i: number) => `10.0.1.${i}:56830`;

function observe(t: TrackedFlow, i: number, token: string, path = '/3/0/9'): void {
  t.exchange(SERVER, client(i), { code: '0.01', path, token, options: [['Observe', uint(0)]] },
    { code: '2.05', options: [['Observe', uint(10)], ['Content-Format', uint(0)]], payload: '50' });
}

describe('bounded state tables', () => {
  it('state.endpoints drops the endpoint heard from least recently, and counts it', () => {
    const t = new TrackedFlow({ endpoints: 2 });
    t.register('meter-1', undefined, client(1));
    t.register('meter-2', undefined, client(2));
    // meter-1 talks again (registers anew): meter-2 is now the least recently heard from.
    t.register('meter-1', undefined, client(1));
    t.register('meter-3', undefined, client(3));
    const names = [...t.tracker.registrations.all()].map((e) => e.name);
    expect(names.sort()).toEqual(['meter-1', 'meter-3']);
    expect(t.tracker.registrations.evicted).toBe(1);
    expect(t.overflows()).toContainEqual({ table: 'state.endpoints', bound: 2, evicted: 1 });
  });

  it('state.bootstrap-by-endpoint keeps the latest session of each name, drops the name whose session started longest ago, and counts it', () => {
    const t = new TrackedFlow({ bootstrapSessions: 2 });
    const bootstrap = (ep: string, socket: string) => t.exchange(socket, '10.0.0.9:5685', { code: '0.02', path: '/bs', query: [`ep=${ep}`] }, { code: '2.04' });
    bootstrap('meter-1', client(1));
    bootstrap('meter-2', client(2));
    bootstrap('meter-1', '10.0.1.1:40000');
    bootstrap('meter-3', client(3));
    const sessions = t.tracker.bootstrap;
    expect(sessions.forEndpoint('meter-1')?.client).toBe('10.0.1.1:40000');
    expect(sessions.forEndpoint('meter-2')).toBeUndefined();
    expect(sessions.forEndpoint('meter-3')?.client).toBe(client(3));
    expect(t.overflows()).toContainEqual({ table: 'state.bootstrap-by-endpoint', bound: 2, evicted: 1 });
  });

  it('state.observations drops the observation started longest ago and unlinks it from its endpoint', () => {
    const t = new TrackedFlow({ observations: 2 });
    t.register('meter-1', undefined, client(1));
    observe(t, 1, 'a1');
    observe(t, 1, 'a2');
    observe(t, 1, 'a3');
    expect([...t.tracker.observations.all()].map((o) => o.token)).toEqual(['a2', 'a3']);
    expect(t.tracker.observations.evicted).toBe(1);
    // De-registration ends the live ones; the dropped one is not touched again.
    t.exchange(client(1), SERVER, { code: '0.04', path: '/rd/7' }, { code: '2.02' });
    expect([...t.tracker.observations.all()].map((o) => o.endedBy)).toEqual(['deregistration', 'deregistration']);
    expect(t.overflows()).toEqual([{ table: 'state.observations', bound: 2, evicted: 1 }]);
  });

  it('state.twin-endpoints and state.resources drop the endpoint whose values changed least recently, with its values', () => {
    const t = new TrackedFlow({ twinEndpoints: 2 });
    for (const i of [1, 2, 3]) {
      t.register(`meter-${i}`, undefined, client(i));
      observe(t, i, `b${i}`);
    }
    expect(t.tracker.twin.get('meter-1', '/3/0/9')).toBeUndefined();
    expect(t.tracker.twin.get('meter-3', '/3/0/9')?.value).toBe(50);
    expect(t.overflows()).toEqual([
      { table: 'state.twin-endpoints', bound: 2, evicted: 1 },
      { table: 'state.resources', bound: 1 << 23, evicted: 1 },
    ]);
  });

  it('state.resources: past the value bound whole endpoints go, least recently changed first', () => {
    const t = new TrackedFlow({ resources: 2 });
    for (const i of [1, 2, 3]) {
      t.register(`meter-${i}`, undefined, client(i));
      observe(t, i, `c${i}`);
    }
    expect(t.tracker.twin.resourcesOf('meter-1')).toBeUndefined();
    expect([...t.tracker.twin.resources('meter-2') ?? []]).toHaveLength(1);
    expect([...t.tracker.twin.resources('meter-3') ?? []]).toHaveLength(1);
    expect(t.overflows()).toEqual([{ table: 'state.resources', bound: 2, evicted: 1 }]);
  });

  it('observations of the same path share one frozen path list', () => {
    const t = new TrackedFlow();
    for (const i of [1, 2]) t.register(`meter-${i}`, undefined, client(i));
    observe(t, 1, 'c1', '/3305/0/5800');
    observe(t, 2, 'c2', '/3305/0/5800');
    observe(t, 1, 'c3', '/3/0/9');
    const [a, b, c] = [...t.tracker.observations.all()];
    expect([a.paths, b.paths, c.paths]).toEqual([['/3305/0/5800'], ['/3305/0/5800'], ['/3/0/9']]);
    expect(a.paths).toBe(b.paths);
    expect(Object.isFrozen(a.paths)).toBe(true);
    expect(t.overflows()).toEqual([]);
  });

  it('state.attributes drops the endpoint written least recently', () => {
    const t = new TrackedFlow({ attributeEndpoints: 1 });
    for (const i of [1, 2]) {
      t.register(`meter-${i}`, undefined, client(i));
      t.exchange(SERVER, client(i), { code: '0.03', path: '/3/0/9', query: ['pmin=10'] }, { code: '2.04' });
    }
    const attributes = t.tracker.observations.attributes;
    expect(attributes.inForce('meter-1', '/3/0/9')).toEqual({});
    expect(attributes.inForce('meter-2', '/3/0/9')).toEqual({ pmin: 10 });
    expect(t.overflows()).toEqual([{ table: 'state.attributes', bound: 1, evicted: 1 }]);
  });

  it('state.attribute-paths: paths past the bound per endpoint are not recorded, and counted', () => {
    const t = new TrackedFlow();
    t.register('meter-1', undefined, client(1));
    const paths = Array.from({ length: MAX_PATHS_PER_ENDPOINT + 2 }, (_, k) => `/3305/0/${5000 + k}`);
    for (const path of paths) t.exchange(SERVER, client(1), { code: '0.03', path, query: ['pmax=60'] }, { code: '2.04' });
    // Written again: a path already recorded is updated, not counted.
    t.exchange(SERVER, client(1), { code: '0.03', path: paths[0], query: ['pmax=30'] }, { code: '2.04' });
    const attributes = t.tracker.observations.attributes;
    expect(attributes.inForce('meter-1', paths[0])).toEqual({ pmax: 30 });
    expect(attributes.inForce('meter-1', paths[MAX_PATHS_PER_ENDPOINT - 1])).toEqual({ pmax: 60 });
    expect(attributes.inForce('meter-1', paths[MAX_PATHS_PER_ENDPOINT])).toEqual({});
    expect(t.overflows()).toEqual([{ table: 'state.attribute-paths', bound: MAX_PATHS_PER_ENDPOINT, evicted: 2 }]);
  });

  it('state.registration-objects: objects past the bound of a registration\'s list are not recorded, and the registration counted', () => {
    const counters = new OverflowCounters();
    const lists = new InternedLists(counters);
    const list = (count: number) => Array.from({ length: count }, (_, k) => `/3305/${k}`);
    const gateway = lists.objects(list(MAX_OBJECTS + 5));
    expect(gateway).toHaveLength(MAX_OBJECTS);
    expect(gateway.at(-1)).toBe(`/3305/${MAX_OBJECTS - 1}`);
    expect(Object.keys(lists.versionsOf(list(MAX_OBJECTS + 5).map((uri) => ({ uri, attrs: { ver: '1.1' } }))))).toHaveLength(MAX_OBJECTS);
    // A list at the bound is whole, and not counted.
    expect(lists.objects(list(MAX_OBJECTS))).toHaveLength(MAX_OBJECTS);
    expect(counters.overflows()).toEqual([{ table: 'state.registration-objects', bound: MAX_OBJECTS, evicted: 1 }]);
  });

  it('state.resource-strings: a string value longer than the bound is kept cut, and counted', () => {
    const t = new TrackedFlow();
    t.register('meter-1', undefined, client(1));
    t.exchange(SERVER, client(1), { code: '0.01', path: '/3/0/0' }, { code: '2.05', options: [['Content-Format', uint(0)]], payload: 'x'.repeat(MAX_STRING + 70) });
    t.exchange(SERVER, client(1), { code: '0.01', path: '/3/0/1' }, { code: '2.05', options: [['Content-Format', uint(0)]], payload: 'y'.repeat(MAX_STRING) });
    expect(t.tracker.twin.get('meter-1', '/3/0/0')?.value).toBe('x'.repeat(MAX_STRING));
    expect(t.tracker.twin.get('meter-1', '/3/0/1')?.value).toBe('y'.repeat(MAX_STRING));
    expect(t.overflows()).toEqual([{ table: 'state.resource-strings', bound: MAX_STRING, evicted: 1 }]);
  });

  it('state.bootstrap-steps and state.bootstrap-written: steps past the bound of a session, and paths past the bound of a write, are not recorded, and counted', () => {
    const t = new TrackedFlow();
    const bs = '10.0.0.9:5685';
    t.exchange(client(1), bs, { code: '0.02', path: '/bs', query: ['ep=meter-1'] }, { code: '2.04' });
    // A Bootstrap-Write of MAX_WRITTEN + 1 resources (TLV, one byte each), then more steps than a session keeps.
    const tlv = Buffer.from(Array.from({ length: MAX_WRITTEN + 1 }, (_, id) => [0xc1, id, 1]).flat());
    t.exchange(bs, client(1), { code: '0.03', path: '/1/0', options: [['Content-Format', uint(11542)]], payload: tlv }, { code: '2.04' });
    for (let k = 0; k < MAX_STEPS; k++) t.exchange(bs, client(1), { code: '0.04', path: '/2' }, { code: '2.02' });
    const [session] = [...t.tracker.bootstrap.all()];
    expect(session.steps).toHaveLength(MAX_STEPS);
    expect(session.steps[1].written).toHaveLength(MAX_WRITTEN);
    // The request and the write took two of the steps.
    expect(t.overflows()).toEqual([
      { table: 'state.bootstrap-steps', bound: MAX_STEPS, evicted: 2 },
      { table: 'state.bootstrap-written', bound: MAX_WRITTEN, evicted: 1 },
    ]);
  });

  it('state.composite-paths: an Observe-Composite of more paths than the bound keeps the first, and is counted', () => {
    const t = new TrackedFlow();
    t.register('meter-1', undefined, client(1));
    const paths = Array.from({ length: MAX_COMPOSITE_PATHS + 1 }, (_, k) => `/3/0/${k}`);
    t.exchange(SERVER, client(1), {
      code: '0.05', path: '/', options: [['Observe', uint(0)], ['Content-Format', uint(110)], ['Accept', uint(110)]],
      payload: JSON.stringify(paths.map((n) => ({ n }))),
    }, { code: '2.05', options: [['Observe', uint(1)], ['Content-Format', uint(110)]], payload: '[{"n":"/3/0/0","vs":"x"}]' });
    const [obs] = [...t.tracker.observations.all()];
    expect(obs.paths).toEqual(paths.slice(0, MAX_COMPOSITE_PATHS));
    expect(t.overflows()).toEqual([{ table: 'state.composite-paths', bound: MAX_COMPOSITE_PATHS, evicted: 1 }]);
  });

  it('nothing is reported while every table is below its bound', () => {
    const t = new TrackedFlow();
    for (const i of [1, 2, 3]) {
      t.register(`meter-${i}`, undefined, client(i));
      observe(t, i, `d${i}`);
    }
    expect(t.overflows()).toEqual([]);
  });
});
