import { describe, expect, it } from 'vitest';
import { uint } from '../../support/coap-flow.js';
import { SERVER, TrackedFlow } from '../../support/tracked-flow.js';

/*
 * The counts the metrics read at any moment without walking the tables: endpoints by state and
 * open observations, kept in step with every change and eviction.
 */
const client = (i: number) => `10.0.1.${i}:56830`;

/** The same counts, the slow way. */
function recount(t: TrackedFlow): Record<string, number> {
  const counts: Record<string, number> = { registering: 0, registered: 0, expired: 0, deregistered: 0, rejected: 0 };
  for (const e of t.tracker.registrations.all()) counts[e.state]++;
  return counts;
}

function observe(t: TrackedFlow, i: number, token: string): void {
  t.exchange(SERVER, client(i), { code: '0.01', path: '/3/0/9', token, options: [['Observe', uint(0)]] },
    { code: '2.05', options: [['Observe', uint(10)], ['Content-Format', uint(0)]], payload: '50' });
}

describe('state counts', () => {
  it('endpoints by state follow registration, rejection, de-registration, expiry and eviction', () => {
    const t = new TrackedFlow({ endpoints: 3 });
    const counts = () => ({ ...t.tracker.registrations.countsByState() });
    t.register('meter-1', undefined, client(1));
    t.register('meter-2', undefined, client(2));
    t.register('meter-3', ['lt=300'], client(3), '4.03');
    expect(counts()).toEqual({ registering: 0, registered: 2, expired: 0, deregistered: 0, rejected: 1 });
    t.exchange(client(1), SERVER, { code: '0.04', path: '/rd/7' }, { code: '2.02' });
    expect(counts()).toMatchObject({ registered: 1, deregistered: 1, rejected: 1 });
    // A fourth endpoint in a table of three: the one heard from least recently (meter-2) goes, and its count with it.
    t.register('meter-4', undefined, client(4));
    expect(t.tracker.registrations.evicted).toBe(1);
    expect(counts()).toEqual(recount(t));
    expect(counts()).toMatchObject({ registered: 1, deregistered: 1, rejected: 1 });
    // Capture time passes the lifetime: the registered one expires.
    t.tracker.tick(1e10);
    expect(counts()).toEqual({ registering: 0, registered: 0, expired: 1, deregistered: 1, rejected: 1 });
  });

  it('open observations: counted when requested, uncounted once when they end or are evicted', () => {
    const t = new TrackedFlow({ observations: 2 });
    t.register('meter-1', undefined, client(1));
    observe(t, 1, 'a1');
    observe(t, 1, 'a2');
    expect(t.tracker.observations.open).toBe(2);
    observe(t, 1, 'a3'); // a1 is evicted while open
    expect(t.tracker.observations.evicted).toBe(1);
    expect(t.tracker.observations.open).toBe(2);
    // A refused Observe ends at once; making room for it evicted a2, open too.
    t.exchange(SERVER, client(1), { code: '0.01', path: '/3/0/1', token: 'a4', options: [['Observe', uint(0)]] }, { code: '4.04' });
    expect(t.tracker.observations.evicted).toBe(2);
    expect(t.tracker.observations.open).toBe(1);
    t.exchange(client(1), SERVER, { code: '0.04', path: '/rd/7' }, { code: '2.02' });
    expect(t.tracker.observations.open).toBe(0);
  });

  it('open observations: one evicted while open and ended later (its notification is an error) leaves the count once', () => {
    const t = new TrackedFlow({ observations: 1 });
    t.register('meter-1', undefined, client(1));
    observe(t, 1, 'a1');
    observe(t, 1, 'a2'); // a1 is evicted while open
    expect(t.tracker.observations.open).toBe(1);
    // a1's notification still finds it through its Observe request, and ends it.
    t.send(client(1), SERVER, { code: '4.04', type: 'NON', token: 'a1', options: [['Observe', uint(11)]] });
    expect(t.tracker.observations.open).toBe(1);
    t.send(client(1), SERVER, { code: '5.00', type: 'NON', token: 'a2', options: [['Observe', uint(11)]] });
    expect(t.tracker.observations.open).toBe(0);
  });
});
