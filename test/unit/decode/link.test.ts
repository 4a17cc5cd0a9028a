import { describe, expect, it } from 'vitest';
import { PacketDecoder } from '../../../src/decode/index.js';
import { decodeAll, ethernet, ipv4, ipv6, LINKTYPE, raw, u16, u32, udp } from './build.js';

const v4 = ipv4(udp(1111, 5683, Buffer.from('four')), { src: '192.0.2.1', dst: '192.0.2.2' });
const v6 = ipv6(udp(2222, 5683, Buffer.from('six')), { src: 'fe80::1', dst: 'fe80::2' });

function le32(v: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(v);
  return b;
}

/** Linux cooked v1: packet type, ARPHRD, address length, 8 address bytes, protocol. */
function sll(protocol: number, payload: Buffer): Buffer {
  return Buffer.concat([u16(0), u16(772), u16(6), Buffer.alloc(8), u16(protocol), payload]);
}

/** Linux cooked v2: protocol, reserved, interface index, ARPHRD, packet type, address length, 8 address bytes. */
function sll2(protocol: number, payload: Buffer): Buffer {
  return Buffer.concat([u16(protocol), u16(0), u32(1), u16(772), Buffer.from([0, 6]), Buffer.alloc(8), payload]);
}

function decodeOne(data: Buffer, linkType: number) {
  const decoder = new PacketDecoder();
  const out = decodeAll([raw(data, linkType)], decoder);
  return { out, stats: decoder.stats };
}

const V4_DATAGRAM = { src: '192.0.2.1:1111', dst: '192.0.2.2:5683', payload: 'four', transport: 'udp' };
const V6_DATAGRAM = { src: '[fe80::1]:2222', dst: '[fe80::2]:5683', payload: 'six', transport: 'udp' };

describe('link layers', () => {
  const cases: [string, number, Buffer, Buffer][] = [
    ['Ethernet', LINKTYPE.ETHERNET, ethernet(v4), ethernet(v6)],
    ['BSD null, little-endian host', LINKTYPE.NULL, Buffer.concat([le32(2), v4]), Buffer.concat([le32(30), v6])],
    ['BSD null, big-endian host', LINKTYPE.NULL, Buffer.concat([u32(2), v4]), Buffer.concat([u32(24), v6])],
    ['BSD null, FreeBSD AF_INET6', LINKTYPE.NULL, Buffer.concat([u32(2), v4]), Buffer.concat([le32(28), v6])],
    ['OpenBSD loop', LINKTYPE.LOOP, Buffer.concat([u32(2), v4]), Buffer.concat([u32(24), v6])],
    ['raw IP (101)', LINKTYPE.RAW, v4, v6],
    ['raw IP (12)', LINKTYPE.RAW_OLD, v4, v6],
    ['raw IP (14)', LINKTYPE.RAW_OPENBSD, v4, v6],
    ['IPv4 / IPv6 link types', LINKTYPE.IPV4, v4, Buffer.alloc(0)],
    ['Linux cooked v1', LINKTYPE.LINUX_SLL, sll(0x0800, v4), sll(0x86dd, v6)],
    ['Linux cooked v2', LINKTYPE.LINUX_SLL2, sll2(0x0800, v4), sll2(0x86dd, v6)],
  ];

  for (const [name, linkType, frame4, frame6] of cases) {
    it(`${name} carries IPv4${frame6.length ? ' and IPv6' : ''}`, () => {
      expect(decodeOne(frame4, linkType).out).toMatchObject([V4_DATAGRAM]);
      if (frame6.length) expect(decodeOne(frame6, linkType).out).toMatchObject([V6_DATAGRAM]);
    });
  }

  it('LINKTYPE_IPV6 carries IPv6', () => {
    expect(decodeOne(v6, LINKTYPE.IPV6).out).toMatchObject([V6_DATAGRAM]);
  });

  it('a link type that announces one IP version but carries the other is malformed', () => {
    expect(decodeOne(v6, LINKTYPE.IPV4).stats.malformed).toBe(1);
    expect(decodeOne(ethernet(v4, { etherType: 0x86dd }), LINKTYPE.ETHERNET).stats.malformed).toBe(1);
  });

  it('skips 802.1Q, 802.1ad and legacy QinQ tags at any depth', () => {
    const tagged = [
      ethernet(v4, { tags: [[0x8100, 10]] }),
      ethernet(v4, { tags: [[0x88a8, 100], [0x8100, 10]] }),
      ethernet(v4, { tags: [[0x9100, 100], [0x8100, 10]] }),
      ethernet(v6, { tags: [[0x88a8, 1], [0x88a8, 2], [0x8100, 3]] }),
    ];
    const out = decodeAll(tagged.map((f) => raw(f)));
    expect(out.map((d) => d.payload)).toEqual(['four', 'four', 'four', 'six']);
  });

  it('VLAN tags after a Linux cooked header are skipped too', () => {
    const frame = sll(0x8100, Buffer.concat([u16(10), u16(0x0800), v4]));
    expect(decodeOne(frame, LINKTYPE.LINUX_SLL).out).toMatchObject([V4_DATAGRAM]);
  });

  it('cuts Ethernet padding using the IP length', () => {
    const small = ipv4(udp(1, 2, Buffer.from('x')));
    const out = decodeAll([raw(ethernet(small, { padding: 17 }))]);
    expect(out).toMatchObject([{ payload: 'x' }]);
  });

  it('counts non-IP frames as ignored', () => {
    const decoder = new PacketDecoder();
    const arp = ethernet(Buffer.alloc(28), { etherType: 0x0806 });
    const ipxOnNull = Buffer.concat([le32(23), Buffer.alloc(30)]);
    const llc = sll(0x0004, Buffer.alloc(20));
    decodeAll([raw(arp), raw(ipxOnNull, LINKTYPE.NULL), raw(llc, LINKTYPE.LINUX_SLL)], decoder);
    expect(decoder.stats).toMatchObject({ packets: 3, ignored: 3, malformed: 0 });
  });

  it('records each unsupported link type once and ignores its frames', () => {
    const decoder = new PacketDecoder();
    const out = decodeAll([raw(v4, 105), raw(v4, 105), raw(v4, 127)], decoder);
    expect(out).toEqual([]);
    expect(decoder.stats.unsupportedLinkTypes).toEqual([105, 127]);
    expect(decoder.stats.ignored).toBe(3);
  });
});
