import { PROTOCOL_TCP, PROTOCOL_UDP, type IpPacket } from './ip-packet.js';
import { fragmentIsMalformed, type FragmentReassembler } from './reassembly.js';
import { DECODED, HELD, IGNORED, MALFORMED, type LayerStatus } from './status.js';

const MORE_FRAGMENTS = 0x2000;
const FRAGMENT_OFFSET_MASK = 0x1fff;

/**
 * Decodes the IPv4 header at data[offset] into `ip`. The total length field bounds the packet,
 * which cuts Ethernet padding; options are skipped; fragments go to the reassembler and only
 * the one completing a datagram yields DECODED (with the reassembled payload).
 */
export function decodeIpv4(
  data: Buffer,
  offset: number,
  ts: number,
  ip: IpPacket,
  fragments: FragmentReassembler,
): LayerStatus {
  if (data.length - offset < 20) return MALFORMED;
  const versionAndLength = data[offset];
  const headerLength = (versionAndLength & 0x0f) * 4;
  if (versionAndLength >> 4 !== 4 || headerLength < 20) return MALFORMED;
  const totalLength = data.readUInt16BE(offset + 2);
  if (totalLength < headerLength || offset + totalLength > data.length) return MALFORMED;

  const protocol = data[offset + 9];
  // Checked before fragments are handled, so no memory is spent on datagrams we would ignore.
  if (protocol !== PROTOCOL_UDP && protocol !== PROTOCOL_TCP) return IGNORED;
  ip.version = 4;
  ip.protocol = protocol;
  ip.src4 = data.readUInt32BE(offset + 12);
  ip.dst4 = data.readUInt32BE(offset + 16);

  const start = offset + headerLength;
  const end = offset + totalLength;
  const flagsAndOffset = data.readUInt16BE(offset + 6);
  const fragmentOffset = (flagsAndOffset & FRAGMENT_OFFSET_MASK) * 8;
  const more = (flagsAndOffset & MORE_FRAGMENTS) !== 0;
  if (fragmentOffset === 0 && !more) {
    ip.transport = data;
    ip.start = start;
    ip.end = end;
    return DECODED;
  }

  if (fragmentIsMalformed(fragmentOffset, end - start, more)) return MALFORMED;
  const id = data.readUInt16BE(offset + 4);
  const key = `4 ${ip.src4} ${ip.dst4} ${protocol} ${id}`;
  const datagram = fragments.add(key, ts, fragmentOffset, more, protocol, data, start, end);
  if (datagram === null) return HELD;
  ip.transport = datagram.payload;
  ip.start = 0;
  ip.end = datagram.payload.length;
  return DECODED;
}
