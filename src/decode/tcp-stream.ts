/** Signed distance from b to a in 32-bit sequence space (meaningful while they are < 2^31 apart). */
export function seqDiff(a: number, b: number): number {
  return (a - b) | 0;
}

/** A segment that arrived ahead of the stream position; its bytes are a private copy. */
interface HeldSegment {
  seq: number;
  bytes: Buffer;
}

/** One direction of a TCP connection: where delivery stands and what waits behind a hole. */
export class TcpStream {
  /** Datagram.flow: `${src}>${dst}`, built once per stream. */
  readonly flow: string;
  /** Sequence number of the next byte to deliver. */
  nextSeq: number;
  /** Segments beyond nextSeq, in sequence order. */
  readonly held: HeldSegment[] = [];
  heldBytes = 0;
  /** Sequence number the FIN occupies, -1 until one is seen. */
  finSeq = -1;
  /** The FIN was reached (or the connection reset): nothing more is delivered. */
  closed = false;
  /** Bytes were skipped: the next datagram carries gap: true. */
  gap: boolean;
  /** Frame and time of the last segment, stamped on what flush() delivers. */
  lastFrame = 0;
  lastTs = 0;

  constructor(
    readonly src: string,
    readonly dst: string,
    readonly srcPort: number,
    readonly dstPort: number,
    /** Initial sequence number from the SYN; -1 when the capture began mid-connection. */
    readonly isn: number,
    nextSeq: number,
  ) {
    this.flow = `${src}>${dst}`;
    this.nextSeq = nextSeq;
    // Without the SYN the first bytes we see may be the middle of a message: framers must resync.
    this.gap = isn < 0;
  }

  /** Keeps a copy of data[start, start + length), which starts at `seq`, beyond nextSeq. */
  hold(seq: number, data: Buffer, start: number, length: number): void {
    const held = this.held;
    const offset = seqDiff(seq, this.nextSeq);
    // Usually the newest segment is the furthest ahead, so search from the end.
    let i = held.length;
    while (i > 0 && seqDiff(held[i - 1].seq, this.nextSeq) > offset) i--;
    const previous = i > 0 ? held[i - 1] : undefined;
    const retransmission = previous !== undefined && previous.seq === seq && previous.bytes.length >= length;
    if (retransmission) return;
    held.splice(i, 0, { seq, bytes: Buffer.copyBytesFrom(data, start, length) });
    this.heldBytes += length;
  }
}
