import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { endpointName, MAX_ENDPOINT_NAME } from '../../../src/lwm2m/endpoint-name.js';
import { uint } from '../../support/coap-flow.js';
import { CLIENT, SERVER, TrackedFlow } from '../../support/tracked-flow.js';

const bytes = (...parts: Array<string | number[]>) => Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p) : Buffer.from(p))));

describe('endpointName', () => {
  it('keeps valid UTF-8 names as they are', () => {
    for (const name of ['meter-0002', 'urn:imei:490154203237518', 'Zähler-ß-東京-🚀', '', 'a'.repeat(MAX_ENDPOINT_NAME)]) {
      expect(endpointName(Buffer.from(name))).toBe(name);
    }
  });

  it('escapes each byte that is not valid UTF-8, and backslashes, so nothing merges', () => {
    expect(endpointName(bytes('x', [0xff]))).toBe('x\\xff');
    expect(endpointName(bytes('x', [0xfe]))).toBe('x\\xfe');
    // The literal text `x\xff` is another name than the byte 0xff after x.
    expect(endpointName(Buffer.from('x\\xff'))).toBe('x\\\\xff');
    // A valid U+FFFD is not an invalid byte.
    expect(endpointName(Buffer.from('x\uFFFD'))).toBe('x\uFFFD');
    // Overlong, surrogate, past U+10FFFF and truncated sequences: every byte escaped, valid neighbours kept.
    expect(endpointName(bytes([0xc0, 0xaf], 'é'))).toBe('\\xc0\\xafé');
    expect(endpointName(bytes([0xed, 0xa0, 0x80]))).toBe('\\xed\\xa0\\x80');
    expect(endpointName(bytes([0xf4, 0x90, 0x80, 0x80]))).toBe('\\xf4\\x90\\x80\\x80');
    expect(endpointName(bytes('ab', [0xe2, 0x82]))).toBe('ab\\xe2\\x82');
  });

  it('cuts long names to the limit with a hash of the whole name', () => {
    const a = endpointName(Buffer.from('a'.repeat(256) + 'one'.repeat(20)));
    const b = endpointName(Buffer.from('a'.repeat(256) + 'two'.repeat(20)));
    expect(a).not.toBe(b);
    for (const name of [a, b]) {
      expect(name).toHaveLength(MAX_ENDPOINT_NAME);
      expect(name).toMatch(/^a{221}\\…#[0-9a-f]{32}$/);
    }
    // The SHA-256 of all the bytes, not of the kept part.
    const whole = Buffer.from('a'.repeat(300));
    expect(endpointName(whole).slice(-32)).toBe(createHash('sha256').update(whole).digest('hex').slice(0, 32));
    expect(endpointName(Buffer.alloc(60_000, 0x41))).toHaveLength(MAX_ENDPOINT_NAME);
    // A cut never splits a character or an escape.
    const emoji = endpointName(Buffer.from('🚀'.repeat(200)));
    expect(emoji).toMatch(new RegExp(`^(🚀){110}\\\\…#[0-9a-f]{32}$`, 'u'));
    const escaped = endpointName(Buffer.alloc(100, 0xff));
    expect(escaped).toMatch(/^(\\xff){55}\\…#[0-9a-f]{32}$/);
  });

  it('never gives two different byte strings the same name, and never a name over the limit', () => {
    // Short and long, valid and invalid UTF-8, with backslashes and escape look-alikes.
    const piece = fc.oneof(
      fc.uint8Array({ maxLength: 8 }),
      fc.constantFrom(...['\\', '\\x', '\\xff', '\\…#', 'é', '🚀', 'a'.repeat(250)].map((s) => Buffer.from(s))),
    );
    const name = fc.array(piece, { maxLength: 6 }).map((parts) => Buffer.concat(parts));
    fc.assert(fc.property(name, name, (a, b) => {
      const na = endpointName(a);
      expect(na.length).toBeLessThanOrEqual(MAX_ENDPOINT_NAME);
      if (!a.equals(b)) expect(na).not.toBe(endpointName(b));
    }), { numRuns: 2000 });
  });
});

describe('endpoint identity through the LwM2M stage and the state table', () => {
  /** Register `ep` (raw query bytes after "ep=") from `client`, answered 2.01 /rd/<location>. */
  function register(t: TrackedFlow, ep: Buffer, client: string, location: string) {
    return t.exchange(client, SERVER, {
      code: '0.02', path: '/rd',
      options: [['Uri-Query', Buffer.concat([Buffer.from('ep='), ep])], ['Uri-Query', Buffer.from('lt=300')], ['Content-Format', uint(40)]],
      payload: '</3/0>',
    }, { code: '2.01', options: [['Location-Path', Buffer.from('rd')], ['Location-Path', Buffer.from(location)]] });
  }

  for (const [label, first, second] of [
    ['invalid UTF-8 bytes', bytes('x', [0xff]), bytes('x', [0xfe])],
    ['300-character names sharing their first 256', Buffer.from('m'.repeat(256) + '1'.repeat(44)), Buffer.from('m'.repeat(256) + '2'.repeat(44))],
  ] as const) {
    it(`${label} stay two endpoints, named alike in messages and the endpoint table`, () => {
      const t = new TrackedFlow();
      const one = register(t, first, CLIENT, '1');
      const two = register(t, second, '10.0.0.3:56830', '2');
      // The server's request to each client carries that client's name.
      const read = t.exchange(SERVER, '10.0.0.3:56830', { code: '0.01', path: '/3/0/9' }, { code: '2.05', payload: '55' });
      const names = [endpointName(first), endpointName(second)];
      expect(names[0]).not.toBe(names[1]);
      expect([one.lwm2m?.endpoint, two.lwm2m?.endpoint, read.lwm2m?.endpoint]).toEqual([names[0], names[1], names[1]]);
      expect([...t.tracker.registrations.all()].map((e) => e.name).sort()).toEqual([...names].sort());
      for (const name of names) expect(t.tracker.registrations.get(name)?.state).toBe('registered');
    });
  }
});
