import { describe, expect, it } from 'vitest';
import { uint } from '../../support/coap-flow.js';
import { CLIENT, SERVER, TrackedFlow } from '../../support/tracked-flow.js';

describe('registration table', () => {
  it('Register then 2.01: registered with the parameters, location and object list asked for', () => {
    const t = new TrackedFlow();
    t.register('meter-7', ['lt=300', 'lwm2m=1.1', 'b=UQ', 'sms=+4912345']);
    const ep = t.tracker.registrations.get('meter-7')!;
    expect(ep).toMatchObject({
      state: 'registered', location: '/rd/7', address: CLIENT, lifetime: 300, binding: 'UQ', lwm2mVersion: '1.1',
      sms: '+4912345', queueMode: true, registeredAt: 1002, expiresAt: 1302,
    });
    expect(ep.objects).toEqual(['/1/0', '/3/0', '/3305', '/3305/0']);
    expect(ep.objectVersions).toEqual({ '/3305': '1.1' });
    expect(t.changes.map((c) => [c.previous, c.endpoint.state, c.frame])).toEqual([[null, 'registering', 1], ['registering', 'registered', 2]]);
  });

  it('defaults: lifetime 86400, binding U, LwM2M 1.0', () => {
    const t = new TrackedFlow();
    t.register('bare', []);
    expect(t.tracker.registrations.get('bare')).toMatchObject({ lifetime: 86400, binding: 'U', lwm2mVersion: '1.0', queueMode: false });
  });

  it('a Register answered 4.xx is rejected', () => {
    const t = new TrackedFlow();
    t.register('intruder', undefined, CLIENT, '4.03');
    expect(t.tracker.registrations.get('intruder')?.state).toBe('rejected');
  });

  it('expires when capture time passes the lifetime without an Update, and ends its observations', () => {
    const t = new TrackedFlow();
    t.register('quiet', ['lt=5']);
    t.exchange(SERVER, CLIENT, { code: '0.01', path: '/3/0/9', token: 'ab', options: [['Observe', uint(0)]] }, { code: '2.05', options: [['Observe', uint(1)]] });
    t.idle(2);
    expect(t.tracker.registrations.get('quiet')?.state).toBe('registered');
    t.idle(2);
    const ep = t.tracker.registrations.get('quiet')!;
    expect(ep.state).toBe('expired');
    const expiry = t.changes.at(-1)!;
    expect(expiry).toMatchObject({ previous: 'registered', ts: 1007, frame: null });
    expect([...t.tracker.observations.all()][0]).toMatchObject({ state: 'ended', endedBy: 'expiry', endedAt: 1007 });
  });

  it('an Update extends the registration, can change parameters, and records a new client address (NAT rebinding)', () => {
    const t = new TrackedFlow();
    t.register('roamer', ['lt=5']);
    t.idle(3);
    const moved = '198.51.100.7:40001';
    t.exchange(moved, SERVER, { code: '0.02', path: '/rd/7', query: ['lt=60'] }, { code: '2.04' });
    t.idle(10);
    const ep = t.tracker.registrations.get('roamer')!;
    expect(ep).toMatchObject({ state: 'registered', lifetime: 60, address: moved, previousAddresses: [CLIENT], updatedAt: 1007, expiresAt: 1067 });
  });

  it('De-register answered 2.02 is deregistered', () => {
    const t = new TrackedFlow();
    t.register('leaver');
    t.exchange(CLIENT, SERVER, { code: '0.04', path: '/rd/7' }, { code: '2.02' });
    expect(t.tracker.registrations.get('leaver')).toMatchObject({ state: 'deregistered', expiresAt: null });
  });

  it('endpoints that announce the same object list share one copy (memory per idle endpoint)', () => {
    const t = new TrackedFlow();
    t.register('a', undefined, '10.0.0.3:1000');
    t.register('b', undefined, '10.0.0.4:1000');
    expect(t.tracker.registrations.get('a')!.objects).toBe(t.tracker.registrations.get('b')!.objects);
  });
});
