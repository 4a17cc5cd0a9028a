const EMPTY = Buffer.alloc(0);

export const PROTOCOL_TCP = 6;
export const PROTOCOL_UDP = 17;

/**
 * The transport-layer part of one IP packet, as the IPv4/IPv6 decoders found it. A single
 * instance is reused for every packet so decoding allocates nothing.
 */
export class IpPacket {
  version: 4 | 6 = 4;
  /** IPv4 source and destination as unsigned 32-bit integers. */
  src4 = 0;
  dst4 = 0;
  /** IPv6: where the 16-byte source and destination addresses are (in the frame's header). */
  addresses: Buffer = EMPTY;
  src6 = 0;
  dst6 = 0;
  protocol = 0;
  /**
   * The transport header and payload are transport[start, end): the frame itself, or the
   * datagram reassembled from fragments. Link padding and anything past the IP length are cut.
   */
  transport: Buffer = EMPTY;
  start = 0;
  end = 0;
}
