import { describe, expect, it } from 'vitest';
import { formatIpv6, Ipv4EndpointNames, Ipv6EndpointNames } from '../../../src/decode/address.js';
import { decodeAll, ethernet, ipv6, ipv6Address, raw, udp } from './build.js';

/** Eight groups as written in full, without compression. */
function bytesOf(full: string): Buffer {
  return Buffer.concat(full.split(':').map((g) => Buffer.from(g.padStart(4, '0'), 'hex')));
}

describe('IPv6 text form (RFC 5952)', () => {
  const cases: [string, string, string][] = [
    ['compresses the zero run', '2001:db8:0:0:0:0:2:1', '2001:db8::2:1'],
    ['drops leading zeros', '2001:0db8:0000:0000:0000:0000:0000:0001', '2001:db8::1'],
    ['writes hex in lower case', '2001:DB8:ABCD:EF01:0:0:0:FFFF', '2001:db8:abcd:ef01::ffff'],
    ['never compresses a single zero group', '2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'],
    ['compresses the longest run', '2001:0:0:1:0:0:0:1', '2001:0:0:1::1'],
    ['compresses the first run on a tie', '2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
    ['the unspecified address', '0:0:0:0:0:0:0:0', '::'],
    ['loopback', '0:0:0:0:0:0:0:1', '::1'],
    ['a trailing run', '1:0:0:0:0:0:0:0', '1::'],
    ['a longer trailing run after a shorter leading one', '0:0:1:0:0:0:0:0', '0:0:1::'],
    ['no zeros at all', '1:2:3:4:5:6:7:8', '1:2:3:4:5:6:7:8'],
    ['link-local', 'fe80:0:0:0:1:2:3:4', 'fe80::1:2:3:4'],
    ['IPv4-mapped', '0:0:0:0:0:ffff:c000:0201', '::ffff:192.0.2.1'],
    ['IPv4-compatible (deprecated) stays hex', '0:0:0:0:0:0:c000:0201', '::c000:201'],
    ['a run in the middle', '1:0:0:0:0:0:0:1', '1::1'],
    ['zero runs of two at both ends', '0:0:1:2:3:4:0:0', '::1:2:3:4:0:0'],
  ];
  for (const [name, full, expected] of cases) {
    it(`${name}: ${full} → ${expected}`, () => {
      expect(formatIpv6(bytesOf(full), 0)).toBe(expected);
    });
  }

  it('reads the address at an offset', () => {
    const buf = Buffer.concat([Buffer.alloc(3, 0xee), bytesOf('2001:db8:0:0:0:0:0:7')]);
    expect(formatIpv6(buf, 3)).toBe('2001:db8::7');
  });

  it('is what Datagram.src/dst carry', () => {
    const frame = ethernet(ipv6(udp(5683, 1, Buffer.alloc(0)), { src: '2001:DB8:0:0:1:0:0:1', dst: '::ffff:c000:201' }));
    expect(decodeAll([raw(frame)])).toMatchObject([{ src: '[2001:db8::1:0:0:1]:5683', dst: '[::ffff:192.0.2.1]:1' }]);
  });
});

describe('endpoint name caches', () => {
  it('IPv4: names stay right however many endpoints collide in the table', () => {
    const names = new Ipv4EndpointNames();
    const expected = (a: number, port: number) => `10.${(a >> 16) & 255}.${(a >> 8) & 255}.${a & 255}:${port}`;
    const wrong: string[] = [];
    for (let round = 0; round < 2; round++) {
      for (let i = 0; i < 50_000; i++) {
        const address = (0x0a000000 | (i * 7919)) & 0x0affffff;
        const port = (i * 31) & 0xffff;
        const name = names.name(address >>> 0, port);
        if (name !== expected(address, port)) wrong.push(name);
      }
    }
    expect(wrong).toEqual([]);
    expect(names.name(0, 0)).toBe('0.0.0.0:0');
    expect(names.name(0xffffffff, 65535)).toBe('255.255.255.255:65535');
  });

  it('IPv6: names stay right however many endpoints collide in the table', () => {
    const names = new Ipv6EndpointNames();
    const address = ipv6Address('2001:db8::');
    const wrong: string[] = [];
    for (let round = 0; round < 2; round++) {
      for (let i = 0; i < 20_000; i++) {
        address.writeUInt32BE((i * 2654435761) >>> 0, 12);
        const port = i & 0xffff;
        const name = names.name(address, 0, port);
        if (name !== `[${formatIpv6(address, 0)}]:${port}`) wrong.push(name);
      }
    }
    expect(wrong).toEqual([]);
    expect(names.name(Buffer.alloc(16), 0, 0)).toBe('[::]:0');
  });
});
