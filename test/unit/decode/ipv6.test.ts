import { describe, expect, it } from 'vitest';
import { PacketDecoder } from '../../../src/decode/index.js';
import { decodeAll, ethernet, ipv6, ipv6Fragment, ipv6Options, raw, tcp, udp } from './build.js';

const HOP_BY_HOP = 0;
const ROUTING = 43;
const FRAGMENT = 44;
const ESP = 50;
const AH = 51;
const ICMPV6 = 58;
const NO_NEXT_HEADER = 59;
const DESTINATION_OPTIONS = 60;
const UDP = 17;
const TCP = 6;

function decode(frames: Buffer[], decoder = new PacketDecoder()) {
  return { out: decodeAll(frames.map((f) => raw(f)), decoder), stats: decoder.stats };
}

describe('IPv6', () => {
  it('decodes UDP straight after the fixed header', () => {
    const { out } = decode([ethernet(ipv6(udp(5683, 56830, Buffer.from('hello'))))]);
    expect(out).toMatchObject([{ src: '[2001:db8::1]:5683', dst: '[2001:db8::2]:56830', payload: 'hello' }]);
  });

  it('walks hop-by-hop, destination options, routing and AH headers', () => {
    const routing = Buffer.alloc(8); // type 0 fields left zero: only the length matters here
    routing[0] = AH;
    const ah = Buffer.alloc(16); // AH counts 4-byte units beyond two: (2 + 2) * 4 = 16 bytes
    ah[0] = TCP;
    ah[1] = 2;
    const headers = Buffer.concat([
      ipv6Options(DESTINATION_OPTIONS), // hop-by-hop
      ipv6Options(ROUTING, 2), // destination options, 16 bytes
      routing,
      ah,
      tcp({ seq: 1, flags: 0x18, payload: 'ext' }),
    ]);
    const { out } = decode([ethernet(ipv6(headers, { nextHeader: HOP_BY_HOP }))]);
    expect(out).toMatchObject([{ transport: 'tcp', payload: 'ext' }]);
  });

  it('cuts link padding using the payload length', () => {
    const { out } = decode([ethernet(ipv6(udp(1, 2, Buffer.from('p'))), { padding: 10 })]);
    expect(out).toMatchObject([{ payload: 'p' }]);
  });

  it('ignores ESP, no-next-header and other protocols', () => {
    const { out, stats } = decode([
      ethernet(ipv6(Buffer.alloc(16), { nextHeader: ESP })),
      ethernet(ipv6(ipv6Options(NO_NEXT_HEADER), { nextHeader: HOP_BY_HOP })),
      ethernet(ipv6(Buffer.alloc(8), { nextHeader: ICMPV6 })),
    ]);
    expect(out).toEqual([]);
    expect(stats).toMatchObject({ ignored: 3, malformed: 0 });
  });

  it('treats an atomic fragment as a whole packet', () => {
    const payload = Buffer.concat([ipv6Fragment(UDP, 0, false, 5), udp(1, 2, Buffer.from('atomic'))]);
    const { out, stats } = decode([ethernet(ipv6(payload, { nextHeader: FRAGMENT }))]);
    expect(out).toMatchObject([{ payload: 'atomic' }]);
    expect(stats.fragments).toBe(0);
  });

  describe('fragments', () => {
    // Hop-by-hop (unfragmentable) + fragment header, then a destination options header and UDP
    // in the fragmentable part, which only the first fragment carries.
    const body = Buffer.from('0123456789abcdefghijklmnopqrstuvwxyz'.repeat(4)); // 144 bytes
    const fragmentable = Buffer.concat([ipv6Options(UDP), udp(5683, 40000, body)]); // 8 + 152 = 160
    const fragment = (offset: number, length: number, id = 0x12345678, src?: string) =>
      ethernet(
        ipv6(
          Buffer.concat([
            ipv6Options(FRAGMENT),
            ipv6Fragment(DESTINATION_OPTIONS, offset, offset + length < fragmentable.length, id),
            fragmentable.subarray(offset, offset + length),
          ]),
          { nextHeader: HOP_BY_HOP, src },
        ),
      );

    it('reassembles fragments behind a hop-by-hop header, in order', () => {
      const { out, stats } = decode([fragment(0, 64), fragment(64, 64), fragment(128, 32)]);
      expect(out).toMatchObject([{ src: '[2001:db8::1]:5683', dstPort: 40000, payload: body.toString() }]);
      expect(stats).toMatchObject({ fragments: 3, reassembled: 1 });
    });

    it('reassembles fragments out of order, with duplicates', () => {
      const { out } = decode([fragment(128, 32), fragment(64, 64), fragment(128, 32), fragment(0, 64)]);
      expect(out).toMatchObject([{ payload: body.toString() }]);
    });

    it('keeps datagrams from different sources apart', () => {
      const other = '2001:db8::a';
      const { out } = decode([fragment(0, 64, 1, other), fragment(0, 64, 1), fragment(64, 96, 1), fragment(64, 96, 1, other)]);
      expect(out.map((d) => d.src)).toEqual(['[2001:db8::1]:5683', '[2001:db8::a]:5683']);
    });

    it('drops an incomplete datagram at flush', () => {
      const { out, stats } = decode([fragment(0, 64), fragment(128, 32)]);
      expect(out).toEqual([]);
      expect(stats).toMatchObject({ fragments: 2, fragmentsDropped: 2, reassembled: 0 });
    });

    it('does not hold fragments of protocols it would ignore', () => {
      const icmp = ipv6(Buffer.concat([ipv6Fragment(ICMPV6, 0, true, 1), Buffer.alloc(64)]), { nextHeader: FRAGMENT });
      const { stats } = decode([ethernet(icmp)]);
      expect(stats).toMatchObject({ ignored: 1, fragments: 0 });
    });
  });
});
