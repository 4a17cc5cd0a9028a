import { BoundedMap, type OverflowCounters } from '../util/bounded-map.js';
import { DECODED, MALFORMED, type LayerStatus } from './status.js';
import { seqDiff, TcpStream } from './tcp-stream.js';
import type { Datagram } from './types.js';

export const TCP_HEADER_LENGTH = 20;

const FIN = 0x01;
const SYN = 0x02;
const RST = 0x04;
const ACK = 0x10;

const EMPTY = Buffer.alloc(0);

export interface TcpLimits {
  /** Out-of-order bytes held per direction; beyond it the oldest hole is given up. */
  maxBufferedPerFlow: number;
  /** Directions tracked at once; beyond it the oldest is flushed and forgotten. */
  maxFlows: number;
}

/**
 * Turns TCP segments into in-order stream bytes, per direction.
 *
 * Bytes are delivered strictly in sequence order; segments ahead of a hole are copied and held
 * until the hole fills. A hole is given up (the next datagram says gap: true) when the buffer
 * limit is exceeded, when the receiver acknowledges the held bytes after it (it has the hole's
 * bytes, so they will never be retransmitted: the capture missed them), or at flush. Bytes
 * already delivered are never delivered again (retransmissions and overlaps: the first copy wins).
 */
export class TcpReassembler {
  /** Streams by source then destination endpoint: lookups need no per-packet key string. */
  private readonly streams = new Map<string, Map<string, TcpStream>>();
  /**
   * Every stream, by when it last carried a segment: the least recently used one is flushed
   * and forgotten when maxFlows is reached (counted as decode.tcp-streams overflow).
   */
  private readonly recent: BoundedMap<TcpStream, TcpStream>;
  /**
   * The last datagram of the segment being processed, held back until the segment is done so
   * that a FIN can mark it `flowEvent: 'close'` instead of costing an extra empty datagram.
   */
  private unsent: Datagram | null = null;
  private emit: (d: Datagram) => void = () => {};
  private frame = 0;
  private ts = 0;

  constructor(private readonly limits: TcpLimits, counters?: OverflowCounters) {
    this.recent = new BoundedMap('decode.tcp-streams', limits.maxFlows, counters);
  }

  /** Handles the segment buf[start, end); the caller has checked the fixed header fits. */
  segment(
    frame: number,
    ts: number,
    src: string,
    dst: string,
    srcPort: number,
    dstPort: number,
    buf: Buffer,
    start: number,
    end: number,
    emit: (d: Datagram) => void,
  ): LayerStatus {
    const headerLength = (buf[start + 12] >> 4) * 4;
    if (headerLength < TCP_HEADER_LENGTH || headerLength > end - start) return MALFORMED;
    const flags = buf[start + 13];
    const seq = buf.readUInt32BE(start + 4);
    const payloadStart = start + headerLength;
    const length = end - payloadStart;
    this.frame = frame;
    this.ts = ts;
    this.emit = emit;

    if ((flags & ACK) !== 0) this.acknowledged(dst, src, buf.readUInt32BE(start + 8));
    if ((flags & RST) !== 0) {
      this.reset(src, dst);
    } else {
      let stream = this.find(src, dst);
      let dataSeq = seq;
      if ((flags & SYN) !== 0) {
        dataSeq = (seq + 1) >>> 0; // the SYN occupies one sequence number
        const retransmittedSyn = stream !== undefined && stream.isn === seq;
        if (!retransmittedSyn) stream = this.open(stream, src, dst, srcPort, dstPort, seq);
      } else if (stream === undefined && length > 0) {
        stream = this.create(src, dst, srcPort, dstPort, -1, seq);
      }
      if (stream !== undefined && !stream.closed) {
        this.recent.get(stream);
        stream.lastFrame = frame;
        stream.lastTs = ts;
        if (length > 0) this.receive(stream, dataSeq, buf, payloadStart, length);
        if ((flags & FIN) !== 0) this.finReceived(stream, (dataSeq + length) >>> 0);
      }
    }
    this.release();
    return DECODED;
  }

  /** End of capture: delivers every byte still held behind a hole, then forgets all streams. */
  flush(emit: (d: Datagram) => void): void {
    this.emit = emit;
    // Least recently used first, as they would have been evicted.
    for (const stream of [...this.recent.values()].reverse()) {
      this.frame = stream.lastFrame;
      this.ts = stream.lastTs;
      this.finish(stream, false);
    }
    this.release();
  }

  private receive(stream: TcpStream, seq: number, buf: Buffer, start: number, length: number): void {
    const offset = seqDiff(seq, stream.nextSeq);
    if (offset + length <= 0) return; // a retransmission of bytes already delivered
    if (offset <= 0) {
      this.deliver(stream, buf.subarray(start - offset, start + length));
      this.drain(stream);
      return;
    }
    stream.hold(seq, buf, start, length);
    while (stream.heldBytes > this.limits.maxBufferedPerFlow) this.skipTo(stream, stream.held[0].seq);
  }

  private finReceived(stream: TcpStream, finSeq: number): void {
    // A FIN before the delivery point is a stale retransmission; the first FIN ahead of it counts.
    if (stream.finSeq < 0 && seqDiff(finSeq, stream.nextSeq) >= 0) stream.finSeq = finSeq;
    this.closeIfFinReached(stream);
  }

  /**
   * The receiver acknowledged `ack` on the stream src→dst: it has every byte before that, so a
   * hole before held bytes (or before the FIN) that the acknowledgement covers will never be
   * filled. The stream only ever skips to bytes it holds: an acknowledgement of data the capture
   * missed entirely, or a bogus one, must not move it into nowhere.
   */
  private acknowledged(src: string, dst: string, ack: number): void {
    const stream = this.find(src, dst);
    if (stream === undefined) return;
    while (!stream.closed) {
      if (stream.held.length > 0 && seqDiff(ack, stream.held[0].seq) >= 0) this.skipTo(stream, stream.held[0].seq);
      else if (stream.finSeq >= 0 && seqDiff(ack, stream.finSeq) >= 0) this.skipTo(stream, stream.finSeq);
      else return;
    }
  }

  /** RST aborts both directions. */
  private reset(src: string, dst: string): void {
    const forward = this.find(src, dst);
    const backward = this.find(dst, src);
    if (forward !== undefined) this.finish(forward, true);
    if (backward !== undefined) this.finish(backward, true);
  }

  /** A SYN with a new ISN: a new connection, replacing whatever the same endpoints had. */
  private open(
    old: TcpStream | undefined,
    src: string,
    dst: string,
    srcPort: number,
    dstPort: number,
    isn: number,
  ): TcpStream {
    if (old !== undefined) this.finish(old, true);
    const stream = this.create(src, dst, srcPort, dstPort, isn, (isn + 1) >>> 0);
    this.send(this.datagram(stream, EMPTY, 'open'));
    return stream;
  }

  private create(src: string, dst: string, srcPort: number, dstPort: number, isn: number, nextSeq: number): TcpStream {
    if (this.recent.size >= this.limits.maxFlows) {
      // Made room for here, not by the map's own eviction, so that the stream's held bytes are delivered first.
      const oldest = this.recent.evictOldest();
      if (oldest !== undefined) this.finish(oldest, false);
    }
    const stream = new TcpStream(src, dst, srcPort, dstPort, isn, nextSeq);
    let byDestination = this.streams.get(src);
    if (byDestination === undefined) {
      byDestination = new Map();
      this.streams.set(src, byDestination);
    }
    byDestination.set(dst, stream);
    this.recent.set(stream, stream);
    return stream;
  }

  /** Delivers everything held (skipping holes), optionally announces the close, forgets the stream. */
  private finish(stream: TcpStream, announceClose: boolean): void {
    while (!stream.closed && stream.held.length > 0) this.skipTo(stream, stream.held[0].seq);
    if (announceClose && !stream.closed) this.close(stream);
    this.remove(stream);
  }

  private skipTo(stream: TcpStream, seq: number): void {
    stream.nextSeq = seq;
    stream.gap = true;
    this.drain(stream);
  }

  /** Delivers the held segments that the stream position has reached. */
  private drain(stream: TcpStream): void {
    const held = stream.held;
    while (held.length > 0) {
      const segment = held[0];
      const offset = seqDiff(segment.seq, stream.nextSeq);
      if (offset > 0) break;
      held.shift();
      stream.heldBytes -= segment.bytes.length;
      if (offset + segment.bytes.length > 0) this.deliver(stream, segment.bytes.subarray(-offset));
    }
    this.closeIfFinReached(stream);
  }

  private closeIfFinReached(stream: TcpStream): void {
    if (!stream.closed && stream.finSeq >= 0 && seqDiff(stream.nextSeq, stream.finSeq) >= 0) this.close(stream);
  }

  private close(stream: TcpStream): void {
    stream.closed = true;
    stream.held.length = 0;
    stream.heldBytes = 0;
    const last = this.unsent;
    if (last !== null && last.flow === stream.flow && last.flowEvent === undefined && !stream.gap) {
      last.flowEvent = 'close';
    } else {
      this.send(this.datagram(stream, EMPTY, 'close'));
    }
    // Once both directions are closed (or the other never sent anything) nothing more is expected.
    const reverse = this.find(stream.dst, stream.src);
    if (reverse === undefined || reverse.closed) {
      this.remove(stream);
      if (reverse !== undefined) this.remove(reverse);
    }
  }

  private deliver(stream: TcpStream, payload: Buffer): void {
    stream.nextSeq = (stream.nextSeq + payload.length) >>> 0;
    this.send(this.datagram(stream, payload));
  }

  private datagram(stream: TcpStream, payload: Buffer, flowEvent?: 'open' | 'close'): Datagram {
    const d: Datagram = {
      frame: this.frame,
      ts: this.ts,
      transport: 'tcp',
      src: stream.src,
      dst: stream.dst,
      srcPort: stream.srcPort,
      dstPort: stream.dstPort,
      payload,
      flow: stream.flow,
      gap: stream.gap,
    };
    if (flowEvent !== undefined) d.flowEvent = flowEvent;
    stream.gap = false;
    return d;
  }

  private send(d: Datagram): void {
    const previous = this.unsent;
    this.unsent = d;
    if (previous !== null) this.emit(previous);
  }

  private release(): void {
    const last = this.unsent;
    this.unsent = null;
    if (last !== null) this.emit(last);
  }

  private find(src: string, dst: string): TcpStream | undefined {
    return this.streams.get(src)?.get(dst);
  }

  /** Idempotent, and leaves alone a newer stream that has since taken the same endpoints. */
  private remove(stream: TcpStream): void {
    const byDestination = this.streams.get(stream.src);
    if (byDestination !== undefined && byDestination.get(stream.dst) === stream) {
      byDestination.delete(stream.dst);
      if (byDestination.size === 0) this.streams.delete(stream.src);
    }
    this.recent.delete(stream);
  }
}
