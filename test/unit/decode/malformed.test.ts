import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PacketDecoder } from '../../../src/decode/index.js';
import {
  decodeAll,
  ethernet,
  ipv4,
  ipv6,
  ipv6Fragment,
  ipv6Options,
  LINKTYPE,
  raw,
  tcp,
  TCP_FLAGS,
  u16,
  u32,
  udp,
} from './build.js';

const UDP_OVER_IPV4 = ethernet(ipv4(udp(1, 2, Buffer.from('payload')), { options: Buffer.from([1, 1, 1, 0]) }));
const VLAN_TCP = ethernet(ipv4(tcp({ seq: 1, options: Buffer.from([2, 4, 5, 0xb4]), payload: 'tcp' }), { protocol: 6 }), {
  tags: [[0x88a8, 1], [0x8100, 2]],
});
const IPV6_EXTENSIONS = ethernet(
  ipv6(Buffer.concat([ipv6Options(44), ipv6Fragment(17, 0, true, 3), udp(1, 2, Buffer.alloc(16))]), { nextHeader: 0 }),
);
const COOKED_V2 = Buffer.concat([u16(0x86dd), Buffer.alloc(18), ipv6(udp(1, 2, Buffer.from('sll2')))]);
const NULL_LOOPBACK = Buffer.concat([u32(2), ipv4(udp(1, 2, Buffer.from('null')))]);

/** Frames whose every byte is covered by some length field, so any cut makes them malformed. */
const FRAMES: [string, Buffer, number][] = [
  ['Ethernet/IPv4 with options/UDP', UDP_OVER_IPV4, LINKTYPE.ETHERNET],
  ['QinQ/IPv4/TCP with options', VLAN_TCP, LINKTYPE.ETHERNET],
  ['Ethernet/IPv6/hop-by-hop/fragment/UDP', IPV6_EXTENSIONS, LINKTYPE.ETHERNET],
  ['Linux cooked v2/IPv6/UDP', COOKED_V2, LINKTYPE.LINUX_SLL2],
  ['BSD null/IPv4/UDP', NULL_LOOPBACK, LINKTYPE.NULL],
];

function decodeQuietly(data: Buffer, linkType: number) {
  const decoder = new PacketDecoder();
  const out = decodeAll([raw(data, linkType)], decoder);
  return { out, stats: decoder.stats };
}

describe('malformed input', () => {
  for (const [name, frame, linkType] of FRAMES) {
    it(`${name}: every truncation is counted malformed and nothing is emitted`, () => {
      expect(decodeQuietly(frame, linkType).stats.malformed).toBe(0);
      for (let length = 0; length < frame.length; length++) {
        const { out, stats } = decodeQuietly(frame.subarray(0, length), linkType);
        expect({ length, out, malformed: stats.malformed }).toEqual({ length, out: [], malformed: 1 });
      }
    });
  }

  it('every truncation of a raw IP frame is malformed', () => {
    for (const frame of [ipv4(udp(1, 2, Buffer.from('x'))), ipv6(udp(1, 2, Buffer.from('x')))]) {
      for (let length = 0; length < frame.length; length++) {
        expect(decodeQuietly(frame.subarray(0, length), LINKTYPE.RAW).stats.malformed).toBe(1);
      }
    }
  });

  const bogus: [string, Buffer][] = [
    ['IPv4 version 5', patch(ipv4(udp(1, 2, Buffer.alloc(4))), 0, 0x55)],
    ['IPv4 header length below 20', patch(ipv4(udp(1, 2, Buffer.alloc(4))), 0, 0x44)],
    ['IPv4 header length beyond the total length', ipv4(Buffer.alloc(0), { options: Buffer.alloc(40), totalLength: 24 })],
    ['IPv4 total length below the header', ipv4(udp(1, 2, Buffer.alloc(4)), { totalLength: 19 })],
    ['IPv6 version 4 on an IPv6 link', patch(ipv6(udp(1, 2, Buffer.alloc(4))), 0, 0x40)],
    ['IPv6 payload length beyond the frame', ipv6(udp(1, 2, Buffer.alloc(4)), { payloadLength: 100 })],
    ['IPv6 extension header longer than the packet', ipv6(patch(ipv6Options(17), 1, 9), { nextHeader: 60 })],
    ['IPv6 AH longer than the packet', ipv6(Buffer.from([17, 4, 0, 0, 0, 0, 0, 0]), { nextHeader: 51 })],
    ['IPv6 fragment header cut short', ipv6(Buffer.alloc(4), { nextHeader: 44 })],
    ['TCP data offset below 5', patch(ipv4(tcp({ seq: 1 }), { protocol: 6 }), 20 + 12, 0x40)],
    ['TCP data offset beyond the segment', patch(ipv4(tcp({ seq: 1 }), { protocol: 6 }), 20 + 12, 0xf0)],
    ['TCP header shorter than 20 bytes', ipv4(Buffer.alloc(19), { protocol: 6 })],
    ['UDP header shorter than 8 bytes', ipv4(Buffer.alloc(7))],
  ];
  for (const [name, packet] of bogus) {
    it(`${name} is malformed`, () => {
      const linkType = name.startsWith('IPv6') ? LINKTYPE.IPV6 : LINKTYPE.RAW;
      expect(decodeQuietly(packet, linkType)).toMatchObject({ out: [], stats: { malformed: 1, ignored: 0 } });
    });
  }

  it('never throws on random bytes, whatever the link type', () => {
    const linkTypes = Object.values(LINKTYPE);
    fc.assert(
      fc.property(fc.constantFrom(...linkTypes), fc.uint8Array({ maxLength: 120 }), (linkType, bytes) => {
        const decoder = new PacketDecoder();
        decodeAll([raw(Buffer.from(bytes), linkType)], decoder);
        expect(decoder.stats.packets).toBe(1);
      }),
      { numRuns: 3000 },
    );
  });

  it('never throws on valid frames with random bytes changed, decoded as one capture', () => {
    const frames = [...FRAMES.map(([, frame, linkType]) => [frame, linkType] as const)];
    const mutation = fc.record({
      frame: fc.nat(frames.length - 1),
      edits: fc.array(fc.tuple(fc.nat(200), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }),
      cut: fc.nat(200),
    });
    fc.assert(
      fc.property(fc.array(mutation, { minLength: 1, maxLength: 30 }), (mutations) => {
        const decoder = new PacketDecoder();
        const packets = mutations.map(({ frame, edits, cut }) => {
          const [original, linkType] = frames[frame];
          const data = Buffer.from(original);
          for (const [at, value] of edits) data[at % data.length] = value;
          return raw(data.subarray(0, Math.max(cut, data.length - cut)), linkType);
        });
        decodeAll(packets, decoder);
        expect(decoder.stats.packets).toBe(mutations.length);
      }),
      { numRuns: 1000 },
    );
  });

  it('never throws on random TCP segments of a few connections', () => {
    const segment = fc.record({
      port: fc.constantFrom(1, 2),
      reverse: fc.boolean(),
      seq: fc.oneof(fc.integer({ min: 0, max: 64 }), fc.constant(0xfffffff0), fc.nat()),
      ack: fc.integer({ min: 0, max: 64 }),
      flags: fc.constantFrom(TCP_FLAGS.ACK, TCP_FLAGS.SYN, TCP_FLAGS.FIN | TCP_FLAGS.ACK, TCP_FLAGS.RST, 0xff),
      length: fc.integer({ min: 0, max: 20 }),
    });
    fc.assert(
      fc.property(fc.array(segment, { maxLength: 40 }), fc.integer({ min: 1, max: 64 }), (segments, limit) => {
        const packets = segments.map((s) => {
          const [srcPort, dstPort] = s.reverse ? [5683, s.port] : [s.port, 5683];
          const [src, dst] = s.reverse ? ['10.0.0.2', '10.0.0.1'] : ['10.0.0.1', '10.0.0.2'];
          const segment = tcp({ srcPort, dstPort, seq: s.seq, ack: s.ack, flags: s.flags, payload: Buffer.alloc(s.length, 97) });
          return raw(ethernet(ipv4(segment, { protocol: 6, src, dst })));
        });
        decodeAll(packets, new PacketDecoder({ maxTcpBufferPerFlow: limit, maxTcpFlows: 3 }));
      }),
      { numRuns: 1000 },
    );
  });
});

function patch(buf: Buffer, at: number, value: number): Buffer {
  const copy = Buffer.from(buf);
  copy[at] = value;
  return copy;
}
