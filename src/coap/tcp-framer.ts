import { tcpFrameLength } from './decode.js';

/** Largest RFC 8323 frame buffered; beyond it the stream is resynchronised at the next segment. */
const MAX_FRAME = 1 << 20;

/**
 * Splits one direction of a TCP connection into RFC 8323 frames. Bytes are buffered only
 * while a frame is incomplete; after a gap the partial frame is dropped (its bytes are lost).
 */
export class TcpFramer {
  private pending: Buffer | null = null;

  /** Feeds the next in-order bytes; calls onFrame for every complete frame (a view: copy to keep). */
  push(bytes: Buffer, gap: boolean, onFrame: (frame: Buffer) => void, onError: (reason: string) => void): void {
    if (gap && this.pending) {
      onError(`${this.pending.length} bytes of a partial frame lost in a TCP gap`);
      this.pending = null;
    }
    const buf = this.pending ? Buffer.concat([this.pending, bytes]) : bytes;
    this.pending = null;
    let pos = 0;
    while (pos < buf.length) {
      const size = tcpFrameLength(buf, pos, buf.length);
      if (size > MAX_FRAME) {
        onError(`frame of ${size} bytes exceeds the ${MAX_FRAME}-byte limit; rest of segment skipped`);
        return;
      }
      if (size < 0 || pos + size > buf.length) break;
      onFrame(buf.subarray(pos, pos + size));
      pos += size;
    }
    if (pos < buf.length) this.pending = Buffer.from(buf.subarray(pos));
  }
}
