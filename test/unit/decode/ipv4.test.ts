import { describe, expect, it } from 'vitest';
import { PacketDecoder } from '../../../src/decode/index.js';
import { decodeAll, ethernet, ipv4, raw, udp, udpFrame } from './build.js';

/** A UDP datagram with a 200-byte payload cut into IPv4 fragments of the given payload sizes. */
function fragmentsOf(sizes: number[], id = 7, src = '10.0.0.1') {
  const payload = Buffer.alloc(200);
  for (let i = 0; i < payload.length; i++) payload[i] = 65 + (i % 26);
  const datagram = udp(5683, 56830, payload);
  const frames: Buffer[] = [];
  let offset = 0;
  for (const size of sizes) {
    const more = offset + size < datagram.length;
    const piece = datagram.subarray(offset, offset + size);
    frames.push(ethernet(ipv4(piece, { id, src, fragmentOffset: offset, moreFragments: more })));
    offset += size;
  }
  if (offset !== datagram.length) throw new Error('sizes must add up to the datagram length (208)');
  return { frames, text: payload.toString('latin1') };
}

describe('IPv4', () => {
  it('skips header options', () => {
    const routerAlert = [0x94, 0x04, 0x00, 0x00];
    const recordRoute = [0x07, 0x0b, 0x04, 0x0a, 0x00, 0x00, 0x01, 0x00]; // one address recorded, then end of options
    const options = Buffer.from([...routerAlert, ...recordRoute]);
    const out = decodeAll([raw(udpFrame('with options', { options }))]);
    expect(out).toMatchObject([
      { src: '10.0.0.1:56830', dst: '10.0.0.2:5683', srcPort: 56830, dstPort: 5683, payload: 'with options' },
    ]);
  });

  it('emits frame and timestamp of the packet', () => {
    const p = raw(udpFrame('x'), undefined, 1234.5);
    expect(decodeAll([p])).toMatchObject([{ frame: p.frame, ts: 1234.5 }]);
  });

  it('ignores protocols other than UDP and TCP', () => {
    const decoder = new PacketDecoder();
    decodeAll([raw(ethernet(ipv4(Buffer.alloc(8), { protocol: 1 })))], decoder);
    expect(decoder.stats).toMatchObject({ ignored: 1, malformed: 0 });
  });

  it('cuts the UDP payload to the UDP length', () => {
    const datagram = Buffer.concat([udp(1, 2, Buffer.from('abc'), 11), Buffer.from('trailer')]);
    expect(decodeAll([raw(ethernet(ipv4(datagram)))])).toMatchObject([{ payload: 'abc' }]);
  });

  it('counts a UDP length beyond the captured bytes, or below 8, as malformed', () => {
    const decoder = new PacketDecoder();
    const out = decodeAll(
      [
        raw(ethernet(ipv4(udp(1, 2, Buffer.from('abc'), 100)))),
        raw(ethernet(ipv4(udp(1, 2, Buffer.from('abc'), 7)))),
      ],
      decoder,
    );
    expect(out).toEqual([]);
    expect(decoder.stats.malformed).toBe(2);
  });

  it('accepts an empty UDP payload', () => {
    expect(decodeAll([raw(udpFrame(''))])).toMatchObject([{ payload: '' }]);
  });

  describe('fragment reassembly', () => {
    it('reassembles fragments in order, stamped with the last fragment', () => {
      const { frames, text } = fragmentsOf([64, 64, 80]);
      const decoder = new PacketDecoder();
      const packets = frames.map((f, i) => raw(f, undefined, 10 + i));
      const out = decodeAll(packets, decoder);
      expect(out).toHaveLength(1);
      expect(out[0]).toMatchObject({ frame: packets[2].frame, ts: 12, srcPort: 5683, dstPort: 56830, payload: text });
      expect(decoder.stats).toMatchObject({ fragments: 3, reassembled: 1, fragmentsDropped: 0, malformed: 0 });
    });

    it('reassembles fragments out of order; the datagram is stamped with the completing one', () => {
      const { frames, text } = fragmentsOf([64, 64, 80]);
      const packets = [raw(frames[2]), raw(frames[0]), raw(frames[1])];
      expect(decodeAll(packets)).toMatchObject([{ frame: packets[2].frame, payload: text }]);
    });

    it('ignores duplicated fragments', () => {
      const { frames, text } = fragmentsOf([64, 64, 80]);
      const decoder = new PacketDecoder();
      const out = decodeAll([frames[0], frames[0], frames[1], frames[0], frames[2], frames[2]].map((f) => raw(f)), decoder);
      // The trailing duplicate of the last fragment starts a new datagram, which never completes.
      expect(out).toMatchObject([{ payload: text }]);
      expect(decoder.stats).toMatchObject({ fragments: 6, reassembled: 1, fragmentsDropped: 1 });
    });

    it('keeps the first copy of overlapping bytes', () => {
      const first = Buffer.concat([udp(1, 2, Buffer.alloc(0), 8 + 24), Buffer.from('AAAAAAAA')]); // header + 8 bytes
      const overlap = Buffer.from('BBBBBBBBBBBBBBBB'); // offset 8, 16 bytes: overlaps 8..16
      const last = Buffer.from('CCCCCCCCCCCCCCCC'); // offset 16: overlaps 16..24 of the previous one
      const packets = [
        ipv4(first, { id: 9, moreFragments: true }),
        ipv4(overlap, { id: 9, fragmentOffset: 8, moreFragments: true }),
        ipv4(last, { id: 9, fragmentOffset: 16 }),
      ].map((p) => raw(ethernet(p)));
      expect(decodeAll(packets)).toMatchObject([{ payload: 'AAAAAAAABBBBBBBBCCCCCCCC' }]);
    });

    it('drops a datagram that never completes and counts its fragments', () => {
      const { frames } = fragmentsOf([64, 64, 80]);
      const decoder = new PacketDecoder();
      const out = decodeAll([raw(frames[0]), raw(frames[2])], decoder);
      expect(out).toEqual([]);
      expect(decoder.stats).toMatchObject({ fragments: 2, reassembled: 0, fragmentsDropped: 2 });
    });

    it('gives up after the timeout in capture time', () => {
      const { frames } = fragmentsOf([64, 64, 80]);
      const decoder = new PacketDecoder({ fragmentTimeout: 30 });
      const packets = [raw(frames[0], undefined, 100), raw(frames[1], undefined, 131), raw(frames[2], undefined, 132)];
      const out = decodeAll(packets, decoder, { flush: false });
      expect(out).toEqual([]);
      expect(decoder.stats).toMatchObject({ fragments: 3, fragmentsDropped: 1 });
    });

    it('bounds the bytes held, dropping the oldest datagrams first', () => {
      const decoder = new PacketDecoder({ maxFragmentBytes: 1000 });
      const packets = [];
      for (let id = 0; id < 20; id++) packets.push(raw(fragmentsOf([64, 64, 80], id).frames[0]));
      const last = fragmentsOf([64, 64, 80], 19);
      packets.push(raw(last.frames[1]), raw(last.frames[2]));
      const out = decodeAll(packets, decoder, { flush: false });
      expect(out).toMatchObject([{ payload: last.text }]);
      expect(decoder.stats.fragmentsDropped).toBeGreaterThan(0);
      decoder.flush(() => {});
      expect(decoder.stats.fragmentsDropped + 3).toBe(decoder.stats.fragments);
    });

    it('keeps datagrams with different ids or sources apart', () => {
      const a = fragmentsOf([64, 144], 1, '10.0.0.1');
      const b = fragmentsOf([64, 144], 1, '10.0.0.9');
      const out = decodeAll([a.frames[0], b.frames[0], b.frames[1], a.frames[1]].map((f) => raw(f)));
      expect(out.map((d) => d.src)).toEqual(['10.0.0.9:5683', '10.0.0.1:5683']);
    });

    it('rejects a fragment that contradicts the announced end', () => {
      const { frames, text } = fragmentsOf([64, 64, 80]);
      const bogusLast = ethernet(ipv4(Buffer.alloc(8), { id: 7, fragmentOffset: 64 })); // says the datagram ends at 72
      const decoder = new PacketDecoder();
      const out = decodeAll([frames[0], frames[2], bogusLast, frames[1]].map((f) => raw(f)), decoder);
      expect(out).toMatchObject([{ payload: text }]);
      expect(decoder.stats.fragmentsDropped).toBe(1);
    });

    it('counts impossible fragments as malformed', () => {
      const decoder = new PacketDecoder();
      const packets = [
        ipv4(Buffer.alloc(12), { moreFragments: true }), // not a multiple of 8
        ipv4(Buffer.alloc(16), { fragmentOffset: 65528 }), // beyond 65535
        ipv4(Buffer.alloc(0), { fragmentOffset: 8 }), // empty
      ].map((p) => raw(ethernet(p)));
      decodeAll(packets, decoder);
      expect(decoder.stats).toMatchObject({ malformed: 3, fragments: 0 });
    });

    it('does not hold fragments of protocols it would ignore', () => {
      const decoder = new PacketDecoder();
      decodeAll([raw(ethernet(ipv4(Buffer.alloc(64), { protocol: 1, moreFragments: true })))], decoder);
      expect(decoder.stats).toMatchObject({ ignored: 1, fragments: 0 });
    });
  });
});
