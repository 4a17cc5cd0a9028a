import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PacketDecoder, type DecoderOptions } from '../../../src/decode/index.js';
import { OverflowCounters } from '../../../src/util/bounded-map.js';
import { decodeAll, ethernet, ipv6, raw, tcp, TCP_FLAGS, tcpFrame, type TcpFields } from './build.js';

const { FIN, SYN, RST, PSH, ACK } = TCP_FLAGS;
const CLIENT = '10.0.0.1:40000';
const SERVER = '10.0.0.2:5683';
const UP = `${CLIENT}>${SERVER}`;
const DOWN = `${SERVER}>${CLIENT}`;

/** Client → server segment. */
const up = (f: TcpFields) => raw(tcpFrame({ srcPort: 40000, dstPort: 5683, ...f }, { src: '10.0.0.1', dst: '10.0.0.2' }));
/** Server → client segment. */
const down = (f: TcpFields) => raw(tcpFrame({ srcPort: 5683, dstPort: 40000, ...f }, { src: '10.0.0.2', dst: '10.0.0.1' }));

function run(packets: ReturnType<typeof up>[], opts: DecoderOptions = {}, flush = true) {
  const decoder = new PacketDecoder(opts);
  return decodeAll(packets, decoder, { flush });
}

/** The interesting part of each datagram: direction, bytes, and gap/event flags when set. */
function summary(out: ReturnType<typeof run>) {
  return out.map((d) => {
    const direction = d.flow === UP ? 'up' : d.flow === DOWN ? 'down' : d.flow;
    return `${direction} ${d.payload}${d.gap ? ' gap' : ''}${d.flowEvent ? ` ${d.flowEvent}` : ''}`;
  });
}

const C = 1000; // client ISN
const S = 5000; // server ISN

describe('TCP reassembly', () => {
  it('follows a whole connection: handshake, data both ways, FIN both ways', () => {
    const out = run([
      up({ seq: C, flags: SYN }),
      down({ seq: S, ack: C + 1, flags: SYN | ACK }),
      up({ seq: C + 1, ack: S + 1 }),
      up({ seq: C + 1, ack: S + 1, flags: PSH | ACK, payload: 'hello' }),
      down({ seq: S + 1, ack: C + 6, flags: PSH | ACK, payload: 'world' }),
      up({ seq: C + 6, ack: S + 6, flags: FIN | ACK }),
      down({ seq: S + 6, ack: C + 7, flags: FIN | PSH | ACK, payload: '!' }),
      up({ seq: C + 7, ack: S + 8 }),
    ]);
    expect(summary(out)).toEqual(['up  open', 'down  open', 'up hello', 'down world', 'up  close', 'down ! close']);
    expect(out[2]).toMatchObject({
      transport: 'tcp',
      src: CLIENT,
      dst: SERVER,
      srcPort: 40000,
      dstPort: 5683,
      flow: UP,
      gap: false,
    });
  });

  it('pure ACKs and a lone FIN without a stream produce nothing', () => {
    expect(run([up({ seq: 1, ack: 2 }), down({ seq: 2, ack: 1, flags: FIN | ACK })])).toEqual([]);
  });

  it('delivers out-of-order segments in sequence order, when the hole fills', () => {
    const packets = [
      up({ seq: C, flags: SYN }),
      up({ seq: C + 4, payload: 'BBB' }),
      up({ seq: C + 7, payload: 'CC' }),
      up({ seq: C + 1, payload: 'AAA' }),
    ];
    const out = run(packets);
    expect(summary(out)).toEqual(['up  open', 'up AAA', 'up BBB', 'up CC']);
    expect(out.slice(1).map((d) => d.frame)).toEqual([packets[3].frame, packets[3].frame, packets[3].frame]);
  });

  it('keeps its own copy of held segments: the frame buffer may be reused', () => {
    const decoder = new PacketDecoder();
    const out: string[] = [];
    const collect = (d: { payload: Buffer }) => out.push(d.payload.toString());
    const ahead = up({ seq: C + 4, payload: 'late' });
    decoder.decode(up({ seq: C, flags: SYN }), collect);
    decoder.decode(ahead, collect);
    ahead.data.fill(0x58); // the capture reader reuses its buffer
    decoder.decode(up({ seq: C + 1, payload: 'abc' }), collect);
    expect(out).toEqual(['', 'abc', 'late']);
  });

  it('drops retransmitted bytes and keeps only the new part of an overlapping segment', () => {
    const out = run([
      up({ seq: C, flags: SYN }),
      up({ seq: C + 1, payload: 'abcd' }),
      up({ seq: C + 1, payload: 'abcd' }), // retransmission
      up({ seq: C + 3, payload: 'cdef' }), // overlaps 2 delivered bytes
      up({ seq: C + 9, payload: 'jk' }), // ahead
      up({ seq: C + 9, payload: 'jk' }), // duplicate of a held segment
      up({ seq: C + 8, payload: 'hijkl' }), // ahead too, overlapping the held 'jk'
      up({ seq: C + 7, payload: 'g' }),
    ]);
    expect(summary(out)).toEqual(['up  open', 'up abcd', 'up ef', 'up g', 'up hijkl']);
  });

  it('keeps the first copy when a retransmission carries different bytes', () => {
    const out = run([up({ seq: C, flags: SYN }), up({ seq: C + 1, payload: 'real' }), up({ seq: C + 1, payload: 'fake!' })]);
    expect(summary(out)).toEqual(['up  open', 'up real', 'up !']);
  });

  it('gives up a hole when the buffer limit is exceeded, and says so', () => {
    const big = 'x'.repeat(60);
    const out = run(
      [
        up({ seq: C, flags: SYN }),
        up({ seq: C + 1, payload: 'a' }),
        up({ seq: C + 12, payload: big }), // bytes C+2 .. C+12 never arrive
        up({ seq: C + 72, payload: big }), // 120 bytes held > 100
        up({ seq: C + 132, payload: 'z' }),
      ],
      { maxTcpBufferPerFlow: 100 },
      false,
    );
    expect(summary(out)).toEqual(['up  open', 'up a', `up ${big} gap`, `up ${big}`, 'up z']);
  });

  it('gives up a hole the receiver has acknowledged: the capture missed those bytes', () => {
    const out = run(
      [
        up({ seq: C, flags: SYN }),
        down({ seq: S, ack: C + 1, flags: SYN | ACK }),
        up({ seq: C + 1, payload: 'one' }),
        // C+4 .. C+8 ("two") lost by the capture, then:
        up({ seq: C + 7, payload: 'three' }),
        down({ seq: S + 1, ack: C + 12 }), // the server got everything
        up({ seq: C + 12, payload: 'four' }),
      ],
      {},
      false,
    );
    expect(summary(out)).toEqual(['up  open', 'down  open', 'up one', 'up three gap', 'up four']);
  });

  it('an acknowledgement never moves the stream past bytes it does not hold', () => {
    const packets = [
      up({ seq: C, flags: SYN }),
      up({ seq: C + 1, payload: 'a' }),
      down({ seq: S, ack: C + 50 }), // acknowledges bytes the capture never saw
      up({ seq: C + 50, payload: 'b' }), // so this is held, not declared in order
    ];
    expect(summary(run(packets, {}, false))).toEqual(['up  open', 'up a']);
    const acked = [...packets, down({ seq: S, ack: C + 51 })];
    expect(summary(run(acked, {}, false))).toEqual(['up  open', 'up a', 'up b gap']);
  });

  it('an acknowledgement covering a FIN behind a hole closes the stream', () => {
    const packets = [up({ seq: C, flags: SYN }), up({ seq: C + 5, flags: FIN | ACK }), down({ seq: S, ack: C + 6 })];
    const out = run(packets, {}, false);
    expect(summary(out)).toEqual(['up  open', 'up  gap close']);
  });

  it('delivers held bytes at flush, with gap: true, stamped with their stream\'s last frame', () => {
    const packets = [
      up({ seq: C, flags: SYN }),
      up({ seq: C + 1, payload: 'a' }),
      up({ seq: C + 5, payload: 'e' }),
      up({ seq: C + 9, payload: 'i' }),
    ];
    const out = run(packets);
    expect(summary(out)).toEqual(['up  open', 'up a', 'up e gap', 'up i gap']);
    expect(out[3].frame).toBe(packets[3].frame);
  });

  it('closes after the hole before an early FIN fills', () => {
    const out = run([
      up({ seq: C, flags: SYN }),
      up({ seq: C + 4, flags: FIN | ACK, payload: 'end' }),
      up({ seq: C + 1, payload: 'go ' }),
    ]);
    expect(summary(out)).toEqual(['up  open', 'up go ', 'up end close']);
  });

  it('a retransmitted SYN opens nothing new; a SYN with a new ISN replaces the connection', () => {
    const out = run([
      up({ seq: C, flags: SYN }),
      up({ seq: C, flags: SYN }),
      up({ seq: C + 1, payload: 'old' }),
      up({ seq: C + 10, payload: 'held' }),
      up({ seq: 90000, flags: SYN }),
      up({ seq: 90001, payload: 'new' }),
    ]);
    // The old connection's held bytes come out first, carrying its close.
    expect(summary(out)).toEqual(['up  open', 'up old', 'up held gap close', 'up  open', 'up new']);
  });

  it('RST closes both directions after delivering what was held', () => {
    const out = run([
      up({ seq: C, flags: SYN }),
      down({ seq: S, ack: C + 1, flags: SYN | ACK }),
      up({ seq: C + 1, payload: 'a' }),
      up({ seq: C + 5, payload: 'e' }),
      down({ seq: S + 1, flags: RST }),
      up({ seq: C + 6, payload: 'after' }),
    ]);
    // The sender's direction closes first. The data after the RST is a new, mid-connection
    // stream as far as we can tell.
    expect(summary(out)).toEqual(['up  open', 'down  open', 'up a', 'down  close', 'up e gap close', 'up after gap']);
  });

  it('follows sequence numbers across the 2^32 wrap', () => {
    const isn = 0xfffffffa;
    const out = run([
      up({ seq: isn, flags: SYN }),
      up({ seq: isn + 1, payload: 'abc' }), // 0xfffffffb .. 0xfffffffd
      up({ seq: 0x00000001, payload: 'ghi' }), // ahead, after the wrap
      up({ seq: 0xfffffffe, payload: 'def' }), // fills 0xfffffffe .. 0x00000000
      up({ seq: 0xfffffffe, payload: 'def' }), // retransmission across the wrap
      up({ seq: 0x00000004, flags: FIN | ACK }),
    ]);
    expect(summary(out)).toEqual(['up  open', 'up abc', 'up def', 'up ghi', 'up  close']);
  });

  it('starts at the first segment when the capture began mid-connection, flagging the unknown past', () => {
    const out = run([
      up({ seq: 777777, payload: 'middle' }),
      up({ seq: 777783, payload: 'end' }),
      up({ seq: 777770, payload: 'before' }), // older than the start: dropped
    ]);
    expect(summary(out)).toEqual(['up middle gap', 'up end']);
  });

  it('flushes and forgets the oldest stream beyond the flow limit', () => {
    const other = (f: TcpFields) => raw(tcpFrame({ srcPort: 40001, dstPort: 5683, ...f }, { src: '10.0.0.1' }));
    const packets = [
      up({ seq: C, flags: SYN }),
      up({ seq: C + 5, payload: 'held' }),
      other({ seq: 1, flags: SYN }), // evicts the first stream
      up({ seq: C + 1, payload: 'late' }),
    ];
    const out = run(packets, { maxTcpFlows: 1 });
    expect(summary(out)).toEqual(['up  open', 'up held gap', '10.0.0.1:40001>10.0.0.2:5683  open', 'up late gap']);
  });

  it('beyond the flow limit drops the least recently used stream (not the oldest opened) and counts it', () => {
    const other = (f: TcpFields) => raw(tcpFrame({ srcPort: 40001, dstPort: 5683, ...f }, { src: '10.0.0.1' }));
    const third = (f: TcpFields) => raw(tcpFrame({ srcPort: 40002, dstPort: 5683, ...f }, { src: '10.0.0.1' }));
    const counters = new OverflowCounters();
    const decoder = new PacketDecoder({ maxTcpFlows: 2 }, counters);
    const out = decodeAll([
      up({ seq: C, flags: SYN }),
      other({ seq: 1, flags: SYN }),
      up({ seq: C + 1, payload: 'used' }), // the first stream is now the most recently used
      third({ seq: 1, flags: SYN }), // evicts the second
      up({ seq: C + 5, payload: 'still' }),
    ], decoder, { flush: false });
    expect(summary(out).filter((l) => l.startsWith('up'))).toEqual(['up  open', 'up used', 'up still']);
    expect(counters.overflows()).toEqual([{ table: 'decode.tcp-streams', bound: 2, evicted: 1 }]);
  });

  it('works over IPv6', () => {
    const segment = (f: TcpFields) => raw(ethernet(ipv6(tcp({ srcPort: 1, dstPort: 5683, ...f }), { nextHeader: 6 })));
    const out = run([segment({ seq: 1, flags: SYN }), segment({ seq: 2, payload: 'v6' })]);
    expect(out.map((d) => [d.flow, d.payload])).toEqual([
      ['[2001:db8::1]:1>[2001:db8::2]:5683', ''],
      ['[2001:db8::1]:1>[2001:db8::2]:5683', 'v6'],
    ]);
  });

  it('skips TCP options', () => {
    const options = Buffer.from([2, 4, 0x05, 0xb4, 1, 1, 4, 2]); // MSS, NOP, NOP, SACK permitted
    expect(summary(run([up({ seq: 5, options, payload: 'opt' })]))).toEqual(['up opt gap']);
  });

  it('rebuilds the exact stream from segments in any order, duplicated and overlapping', () => {
    const stream = Buffer.from('The quick brown fox jumps over the lazy dog, 0123456789 times.');
    // Cuts covering the whole stream, plus extra overlapping ranges, delivered in random order.
    const ranges = fc
      .uniqueArray(fc.integer({ min: 1, max: stream.length - 1 }), { maxLength: 12 })
      .chain((cuts) => {
        const edges = [0, ...cuts.sort((a, b) => a - b), stream.length];
        const cover = edges.slice(1).map((end, i) => [edges[i], end] as [number, number]);
        const range = fc
          .tuple(fc.nat(stream.length - 1), fc.integer({ min: 1, max: 20 }))
          .map(([at, n]) => [at, Math.min(stream.length, at + n)] as [number, number]);
        const extra = fc.array(range, { maxLength: 6 });
        return extra.chain((more) => fc.shuffledSubarray([...cover, ...more], { minLength: cover.length + more.length }));
      });
    fc.assert(
      fc.property(ranges, fc.constantFrom(1000, 0xffffffd0), (segments, isn) => {
        const data = segments.map(([a, b]) => up({ seq: isn + 1 + a, payload: stream.subarray(a, b) }));
        const packets = [up({ seq: isn, flags: SYN }), ...data];
        const out = run(packets);
        expect(out.every((d) => !d.gap)).toBe(true);
        expect(out.map((d) => d.payload).join('')).toBe(stream.toString());
      }),
      { numRuns: 500 },
    );
  });
});
