import { DECODED, IGNORED, MALFORMED, UNSUPPORTED, type LayerStatus } from './status.js';

/** Where a frame's IP header starts and which IP version the link layer announces. */
export class NetworkLocation {
  offset = 0;
  version: 4 | 6 = 4;
}

const ETHERTYPE_IPV4 = 0x0800;
const ETHERTYPE_IPV6 = 0x86dd;
/** 802.1Q VLAN tag, 802.1ad service tag, and the pre-standard QinQ tag some switches still send. */
const ETHERTYPE_VLAN = 0x8100;
const ETHERTYPE_QINQ = 0x88a8;
const ETHERTYPE_QINQ_LEGACY = 0x9100;

const AF_INET = 2;
/** AF_INET6 differs between the BSDs: NetBSD/OpenBSD 24, FreeBSD 28, macOS 30. */
const AF_INET6_NETBSD = 24;
const AF_INET6_FREEBSD = 28;
const AF_INET6_DARWIN = 30;

/**
 * Finds the IP header in a frame of the given LINKTYPE_* and stores it in `out`.
 * Returns IGNORED for frames that carry something other than IP (ARP, LLC, ...).
 */
export function locateNetworkLayer(linkType: number, data: Buffer, out: NetworkLocation): LayerStatus {
  switch (linkType) {
    case 1: // LINKTYPE_ETHERNET: dst MAC, src MAC, EtherType
      if (data.length < 14) return MALFORMED;
      return followEtherType(data, data.readUInt16BE(12), 14, out);
    case 113: // LINKTYPE_LINUX_SLL: 14 bytes of packet type/address, then the protocol
      if (data.length < 16) return MALFORMED;
      return followEtherType(data, data.readUInt16BE(14), 16, out);
    case 276: // LINKTYPE_LINUX_SLL2: protocol first, then 18 bytes of interface/address
      if (data.length < 20) return MALFORMED;
      return followEtherType(data, data.readUInt16BE(0), 20, out);
    case 0: // LINKTYPE_NULL: address family in the capturing host's byte order, unknown to us
      if (data.length < 4) return MALFORMED;
      if (addressFamily(data.readUInt32LE(0), out) === DECODED) return DECODED;
      return addressFamily(data.readUInt32BE(0), out);
    case 108: // LINKTYPE_LOOP: address family in network byte order
      if (data.length < 4) return MALFORMED;
      return addressFamily(data.readUInt32BE(0), out);
    case 101: // LINKTYPE_RAW
    case 12: // DLT_RAW as written by most platforms' libpcap
    case 14: // DLT_RAW on OpenBSD
      return rawIp(data, out);
    case 228: // LINKTYPE_IPV4
      return located(0, 4, out);
    case 229: // LINKTYPE_IPV6
      return located(0, 6, out);
    default:
      return UNSUPPORTED;
  }
}

/** Skips any number of VLAN tags (each 2 bytes of tag control, then the next EtherType). */
function followEtherType(data: Buffer, etherType: number, payload: number, out: NetworkLocation): LayerStatus {
  while (etherType === ETHERTYPE_VLAN || etherType === ETHERTYPE_QINQ || etherType === ETHERTYPE_QINQ_LEGACY) {
    if (data.length < payload + 4) return MALFORMED;
    etherType = data.readUInt16BE(payload + 2);
    payload += 4;
  }
  if (etherType === ETHERTYPE_IPV4) return located(payload, 4, out);
  if (etherType === ETHERTYPE_IPV6) return located(payload, 6, out);
  return IGNORED;
}

function addressFamily(family: number, out: NetworkLocation): LayerStatus {
  if (family === AF_INET) return located(4, 4, out);
  if (family === AF_INET6_NETBSD || family === AF_INET6_FREEBSD || family === AF_INET6_DARWIN) {
    return located(4, 6, out);
  }
  return IGNORED;
}

/** Raw IP link types carry no protocol field: the IP version nibble is all there is. */
function rawIp(data: Buffer, out: NetworkLocation): LayerStatus {
  if (data.length === 0) return MALFORMED;
  const version = data[0] >> 4;
  if (version === 4 || version === 6) return located(0, version, out);
  return MALFORMED;
}

function located(offset: number, version: 4 | 6, out: NetworkLocation): LayerStatus {
  out.offset = offset;
  out.version = version;
  return DECODED;
}
