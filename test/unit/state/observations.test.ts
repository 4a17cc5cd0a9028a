import { describe, expect, it } from 'vitest';
import { uint } from '../../support/coap-flow.js';
import { CLIENT, SERVER, TrackedFlow } from '../../support/tracked-flow.js';

function observing(token = 'aa', path = '/3/0/9'): TrackedFlow {
  const t = new TrackedFlow();
  t.register('meter-7');
  t.exchange(SERVER, CLIENT, { code: '0.01', path, token, options: [['Observe', uint(0)]] }, { code: '2.05', options: [['Observe', uint(10)], ['Content-Format', uint(0)]], payload: '50' });
  return t;
}

function notify(t: TrackedFlow, seq: number, value: string, token = 'aa', code = '2.05') {
  return t.send(CLIENT, SERVER, { code, type: 'NON', token, options: [['Observe', uint(seq)], ['Content-Format', uint(0)]], payload: value });
}

const only = (t: TrackedFlow) => [...t.tracker.observations.all()];

describe('observations', () => {
  it('counts notifications, keeps the freshest sequence number and spots reordering (RFC 7641 3.4)', () => {
    const t = observing();
    notify(t, 11, '51');
    notify(t, 13, '53');
    notify(t, 12, '52'); // late
    const [obs] = only(t);
    expect(obs).toMatchObject({ endpoint: 'meter-7', token: 'aa', paths: ['/3/0/9'], state: 'active', notifications: 3, lastSeq: 13, reordered: 1, lastNotifiedAt: 1007 });
  });

  it('a cancelling GET (Observe=1) ends it as cancelled', () => {
    const t = observing();
    t.exchange(SERVER, CLIENT, { code: '0.01', path: '/3/0/9', token: 'aa', options: [['Observe', uint(1)]] }, { code: '2.05' });
    expect(only(t)[0]).toMatchObject({ state: 'cancelled', endedBy: 'cancel' });
  });

  it('a Reset answering a notification cancels it', () => {
    const t = observing();
    t.send(CLIENT, SERVER, { code: '2.05', type: 'CON', mid: 500, token: 'aa', options: [['Observe', uint(11)]], payload: '1' });
    t.send(SERVER, CLIENT, { code: '0.00', type: 'RST', mid: 500 });
    expect(only(t)[0]).toMatchObject({ state: 'cancelled', endedBy: 'reset' });
  });

  it('De-register ends the endpoint\'s observations', () => {
    const t = observing();
    t.exchange(CLIENT, SERVER, { code: '0.04', path: '/rd/7' }, { code: '2.02' });
    expect(only(t)[0]).toMatchObject({ state: 'ended', endedBy: 'deregistration' });
  });

  it('an error response rejects the observation', () => {
    const t = new TrackedFlow();
    t.register('meter-7');
    t.exchange(SERVER, CLIENT, { code: '0.01', path: '/9/9/9', token: 'bb', options: [['Observe', uint(0)]] }, { code: '4.04' });
    expect(only(t)[0]).toMatchObject({ state: 'rejected' });
  });

  it('attributes in force come from accepted write-attributes, resource level over object level; a bare name clears', () => {
    const t = observing();
    t.exchange(SERVER, CLIENT, { code: '0.03', path: '/3', query: ['pmin=5', 'pmax=100'] }, { code: '2.04' });
    t.exchange(SERVER, CLIENT, { code: '0.03', path: '/3/0/9', query: ['pmax=60', 'gt=80.5'] }, { code: '2.04' });
    t.exchange(SERVER, CLIENT, { code: '0.03', path: '/3/0/9', query: ['lt=1'] }, { code: '4.00' }); // refused: not in force
    const attrs = t.tracker.observations.attributes;
    expect(attrs.inForce('meter-7', '/3/0/9')).toEqual({ pmin: 5, pmax: 60, gt: 80.5 });
    t.exchange(SERVER, CLIENT, { code: '0.03', path: '/3/0/9', query: ['gt'] }, { code: '2.04' });
    expect(attrs.inForce('meter-7', '/3/0/9')).toEqual({ pmin: 5, pmax: 60 });
  });

  it('a notification for an observation that started before the capture is tracked from there', () => {
    const t = new TrackedFlow();
    t.register('meter-7');
    notify(t, 40, '3', 'cc');
    expect(only(t)[0]).toMatchObject({ token: 'cc', state: 'active', notifications: 1, lastSeq: 40 });
  });
});
