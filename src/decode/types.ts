/** A transport payload extracted from one captured frame, ready for the CoAP stage. */
export interface Datagram {
  frame: number;
  ts: number;
  /** 'dtls': plaintext the DTLS stage decrypted from a UDP datagram's application data. */
  transport: 'udp' | 'tcp' | 'dtls';
  /** "a.b.c.d:port" for IPv4, "[v6addr]:port" for IPv6 (RFC 5952 compressed, lower case). */
  src: string;
  dst: string;
  srcPort: number;
  dstPort: number;
  /**
   * UDP: the whole (reassembled) datagram payload.
   * TCP: the next in-order bytes of the stream in this direction (may be empty on SYN/FIN).
   */
  payload: Buffer;
  /** TCP only: direction-specific stream id, stable for the life of the connection. */
  flow?: string;
  /** TCP only: bytes were lost before this payload (a gap the stream could not fill); framers must resync. */
  gap?: boolean;
  /** TCP only: the connection started (SYN) or ended (FIN/RST) with this segment. */
  flowEvent?: 'open' | 'close';
}

export interface DecodeStats {
  packets: number;
  /** Frames whose link/IP/transport headers could not be decoded (truncated, bad lengths, ...). */
  malformed: number;
  /** Frames that were not IP, or IP but neither UDP nor TCP. */
  ignored: number;
  /** IP fragments held for reassembly or dropped after timeout. */
  fragments: number;
  /**
   * Fragments whose datagram never completed: timed out, evicted by the memory limit, still
   * incomplete at flush, or inconsistent with the fragments already held.
   */
  fragmentsDropped: number;
  reassembled: number;
  /** Link types seen that we do not decode. */
  unsupportedLinkTypes: number[];
}
