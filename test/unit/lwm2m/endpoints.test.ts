import { describe, expect, it } from 'vitest';
import { EndpointDirectory } from '../../../src/lwm2m/endpoints.js';
import { OverflowCounters } from '../../../src/util/bounded-map.js';

const SERVER = '198.51.100.1:5683';

describe('EndpointDirectory bounds', () => {
  it('drops the client address and location least recently used, and counts them', () => {
    const counters = new OverflowCounters();
    const dir = new EndpointDirectory(counters, 2);
    dir.registered('meter-1', '10.0.0.1:1', SERVER, '/rd/1');
    dir.registered('meter-2', '10.0.0.2:1', SERVER, '/rd/2');
    // meter-1 keeps talking: a notification looks up its address, an Update its location.
    expect(dir.byClientAddress('10.0.0.1:1')).toBe('meter-1');
    expect(dir.byLocation(SERVER, '/rd/1')).toBe('meter-1');
    dir.registered('meter-3', '10.0.0.3:1', SERVER, '/rd/3');
    expect(['10.0.0.1:1', '10.0.0.2:1', '10.0.0.3:1'].map((a) => dir.byClientAddress(a))).toEqual(['meter-1', undefined, 'meter-3']);
    expect(['/rd/1', '/rd/2', '/rd/3'].map((p) => dir.byLocation(SERVER, p))).toEqual(['meter-1', undefined, 'meter-3']);
    expect(counters.overflows()).toEqual([
      { table: 'lwm2m.registration-locations', bound: 2, evicted: 1 }, { table: 'lwm2m.client-addresses', bound: 2, evicted: 1 },
    ]);
  });

  it('a deregistration frees its location without counting a drop', () => {
    const counters = new OverflowCounters();
    const dir = new EndpointDirectory(counters, 1);
    dir.registered('meter-1', '10.0.0.1:1', SERVER, '/rd/1');
    dir.deregistered(SERVER, '/rd/1');
    dir.registered('meter-1', '10.0.0.1:1', SERVER, '/rd/9');
    expect(dir.byLocation(SERVER, '/rd/1')).toBeUndefined();
    expect(dir.byLocation(SERVER, '/rd/9')).toBe('meter-1');
    expect(counters.overflows()).toEqual([]);
  });
});
