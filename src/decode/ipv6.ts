import { PROTOCOL_TCP, PROTOCOL_UDP, type IpPacket } from './ip-packet.js';
import { fragmentIsMalformed, type FragmentReassembler } from './reassembly.js';
import { DECODED, HELD, IGNORED, MALFORMED, type LayerStatus } from './status.js';

const HEADER_LENGTH = 40;

const HOP_BY_HOP = 0;
const ROUTING = 43;
const FRAGMENT = 44;
const AUTHENTICATION = 51;
const DESTINATION_OPTIONS = 60;

const FRAGMENT_OFFSET_MASK = 0xfff8;
const MORE_FRAGMENTS = 1;

/**
 * Decodes the IPv6 header at data[offset] and walks its extension headers to the UDP or TCP
 * header. The payload length field bounds the packet (cutting link padding). Fragments go to
 * the reassembler; the walk then continues through the reassembled fragmentable part, whose
 * own extension headers (destination options, routing, AH) precede the transport header.
 * ESP, "no next header" and every other protocol are IGNORED.
 */
export function decodeIpv6(
  data: Buffer,
  offset: number,
  ts: number,
  ip: IpPacket,
  fragments: FragmentReassembler,
): LayerStatus {
  if (data.length - offset < HEADER_LENGTH) return MALFORMED;
  if (data[offset] >> 4 !== 6) return MALFORMED;
  let end = offset + HEADER_LENGTH + data.readUInt16BE(offset + 4);
  if (end > data.length) return MALFORMED;
  ip.version = 6;
  ip.addresses = data;
  ip.src6 = offset + 8;
  ip.dst6 = offset + 24;

  let buf = data;
  let pos = offset + HEADER_LENGTH;
  let next = data[offset + 6];
  let reassembled = false;
  for (;;) {
    switch (next) {
      case PROTOCOL_UDP:
      case PROTOCOL_TCP:
        ip.protocol = next;
        ip.transport = buf;
        ip.start = pos;
        ip.end = end;
        return DECODED;
      case HOP_BY_HOP:
      case ROUTING:
      case DESTINATION_OPTIONS:
      case AUTHENTICATION: {
        if (end - pos < 2) return MALFORMED;
        // Options-type headers count 8-byte units beyond the first; AH counts 4-byte units beyond two.
        const length = next === AUTHENTICATION ? (buf[pos + 1] + 2) * 4 : (buf[pos + 1] + 1) * 8;
        if (end - pos < length) return MALFORMED;
        next = buf[pos];
        pos += length;
        break;
      }
      case FRAGMENT: {
        // A fragment inside a reassembled payload would be nested fragmentation: nobody sends it.
        if (reassembled) return IGNORED;
        if (end - pos < 8) return MALFORMED;
        next = buf[pos];
        const offsetAndFlags = buf.readUInt16BE(pos + 2);
        const fragmentOffset = offsetAndFlags & FRAGMENT_OFFSET_MASK;
        const more = (offsetAndFlags & MORE_FRAGMENTS) !== 0;
        const id = buf.readUInt32BE(pos + 4);
        pos += 8;
        // An atomic fragment (RFC 6946) is a whole packet: no reassembly, keep walking.
        if (fragmentOffset === 0 && !more) break;
        if (!mayCarryUdpOrTcp(next)) return IGNORED;
        if (fragmentIsMalformed(fragmentOffset, end - pos, more)) return MALFORMED;
        const key = `6 ${data.toString('latin1', offset + 8, offset + 40)} ${id}`;
        const datagram = fragments.add(key, ts, fragmentOffset, more, next, buf, pos, end);
        if (datagram === null) return HELD;
        buf = datagram.payload;
        pos = 0;
        end = buf.length;
        next = datagram.protocol;
        reassembled = true;
        break;
      }
      default:
        return IGNORED;
    }
  }
}

/**
 * Whether the fragmentable part that starts with this header can lead to UDP or TCP: every
 * fragment repeats it, so fragments of other protocols are never held.
 */
function mayCarryUdpOrTcp(next: number): boolean {
  return (
    next === PROTOCOL_UDP ||
    next === PROTOCOL_TCP ||
    next === DESTINATION_OPTIONS ||
    next === ROUTING ||
    next === AUTHENTICATION
  );
}
