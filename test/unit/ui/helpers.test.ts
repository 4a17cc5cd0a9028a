import { describe, expect, it } from 'vitest';
import { follow } from '../../../src/ui/state.js';
import { parseEndpointFilter, parseEventFilter, severitiesFrom } from '../../../src/ui/source.js';
import { sparkline } from '../../../src/ui/sparkline.js';
import { comparePaths } from '../../../src/ui/store-source.js';
import { cell, clean, duration, fit, lifetimeLeft } from '../../../src/ui/text.js';

describe('sparkline', () => {
  it('scales min..max to the eight blocks', () => {
    expect(sparkline([0, 1, 2, 3, 4, 5, 6, 7], 8)).toBe('▁▂▃▄▅▆▇█');
    expect(sparkline([5, 5, 5], 10)).toBe('▁▁▁');
    expect(sparkline([], 10)).toBe('');
    expect(sparkline([1, NaN, 3], 10)).toBe('▁█');
  });

  it('fits many values into the width, averaging, newest kept', () => {
    const s = sparkline(Array.from({ length: 1000 }, (_, i) => i), 20);
    expect(s).toHaveLength(20);
    expect(s[0]).toBe('▁');
    expect(s[19]).toBe('█');
  });
});

describe('text', () => {
  it('clean replaces control characters and escapes from the network', () => {
    expect(clean('a\x1b[2Jb\x07c\u202ed\n')).toBe('a\uFFFD[2Jb\uFFFDc\uFFFDd\uFFFD');
    expect(clean(null)).toBe('-');
    expect(clean(42)).toBe('42');
  });

  it('fit and cell cut to a width with an ellipsis', () => {
    expect(fit('abcdef', 4)).toBe('abc…');
    expect(cell('ab', 4)).toBe('ab  ');
    expect(cell('ab', 4, true)).toBe('  ab');
  });

  it('durations and lifetime left', () => {
    expect(duration(59)).toBe('59s');
    expect(duration(252)).toBe('4m12s');
    expect(duration(7260)).toBe('2h1m');
    expect(duration(90000)).toBe('1d1h');
    expect(lifetimeLeft('registered', 1000, 700)).toBe('5m0s');
    expect(lifetimeLeft('registered', 1000, 1200)).toBe('due');
    expect(lifetimeLeft('deregistered', null, 700)).toBe('-');
  });
});

describe('filters, paths, windows', () => {
  it('parses the events and endpoints filter syntax', () => {
    expect(parseEventFilter('sev:high rule:flood ep:meter-1 some text')).toEqual({ severity: 'high', rule: 'flood', endpoint: 'meter-1', text: 'some text' });
    expect(parseEndpointFilter('state:expired 10.1')).toEqual({ state: 'expired', text: '10.1' });
    expect(severitiesFrom('high')).toEqual(['high', 'critical']);
    expect(severitiesFrom('nonsense')).toHaveLength(5);
  });

  it('orders object-model paths numerically', () => {
    expect(['/3/0/13', '/3/0/2', '/10243/0/6', '/3305/1/5800', '/3/0'].sort(comparePaths)).toEqual(['/3/0', '/3/0/2', '/3/0/13', '/3305/1/5800', '/10243/0/6']);
  });

  it('follow keeps the cursor in the window, moving it as little as possible', () => {
    expect(follow(0, 5, 10)).toBe(0);
    expect(follow(0, 12, 10)).toBe(3);
    expect(follow(8, 4, 10)).toBe(4);
  });
});
