import { writeSync } from 'node:fs';
import { PCAP_GLOBAL_HEADER_BYTES, writePcapGlobalHeader } from '../capture/index.js';

/** A UDP socket address plus what its frames carry on the captured link. */
export interface Station {
  mac: Buffer;
  /** IPv4 address as an unsigned 32-bit integer. */
  ip: number;
  port: number;
  /** TTL as seen at the capture point: hops away lower it. */
  ttl: number;
  /** IPv4 identification of the station's next datagram; the writer advances it. */
  ipId: number;
}

const SNAPLEN = 65535;
const LINKTYPE_ETHERNET = 1;
const RECORD_HEADER = 16;
const ETHERNET = 14;
const IPV4 = 20;
const UDP = 8;
const FRAME_OVERHEAD = RECORD_HEADER + ETHERNET + IPV4 + UDP;
const ETHERTYPE_IPV4 = 0x0800;
const IP_DONT_FRAGMENT = 0x4000;
const IPPROTO_UDP = 17;
/** One write per few MB: a write per packet would cost more than building it. */
const CHUNK_BYTES = 4 << 20;

/**
 * Writes a classic little-endian, microsecond pcap of Ethernet/IPv4/UDP frames, assembling each
 * record in place in a large chunk buffer.
 */
export class PcapWriter {
  private readonly chunk = Buffer.allocUnsafe(CHUNK_BYTES);
  private readonly view = new DataView(this.chunk.buffer, this.chunk.byteOffset, this.chunk.byteLength);
  private used = 0;
  packets = 0;
  bytes = 0;

  constructor(private readonly fd: number) {
    writePcapGlobalHeader(this.chunk, 0, LINKTYPE_ETHERNET, SNAPLEN);
    this.used = PCAP_GLOBAL_HEADER_BYTES;
  }

  writeUdp(us: number, src: Station, dst: Station, payload: Buffer): void {
    if (this.used + FRAME_OVERHEAD + payload.length > CHUNK_BYTES) this.flush();
    // DataView stores compile to plain moves; Buffer's write methods check their arguments on every call.
    const v = this.view;
    let o = this.used;
    const frameLength = ETHERNET + IPV4 + UDP + payload.length;
    v.setUint32(o, Math.floor(us / 1e6), true);
    v.setUint32(o + 4, us % 1e6, true);
    v.setUint32(o + 8, frameLength, true);
    v.setUint32(o + 12, frameLength, true);
    o += RECORD_HEADER;

    this.chunk.set(dst.mac, o);
    this.chunk.set(src.mac, o + 6);
    v.setUint16(o + 12, ETHERTYPE_IPV4);
    o += ETHERNET;

    v.setUint16(o, 0x4500); // version 4, 5-word header, no DSCP/ECN
    v.setUint16(o + 2, IPV4 + UDP + payload.length);
    v.setUint16(o + 4, src.ipId);
    src.ipId = (src.ipId + 1) & 0xffff;
    v.setUint16(o + 6, IP_DONT_FRAGMENT);
    v.setUint8(o + 8, src.ttl);
    v.setUint8(o + 9, IPPROTO_UDP);
    v.setUint16(o + 10, 0);
    v.setUint32(o + 12, src.ip);
    v.setUint32(o + 16, dst.ip);
    v.setUint16(o + 10, ipv4Checksum(v, o));
    o += IPV4;

    v.setUint16(o, src.port);
    v.setUint16(o + 2, dst.port);
    v.setUint16(o + 4, UDP + payload.length);
    v.setUint16(o + 6, 0); // "no checksum", allowed for UDP over IPv4 (RFC 768)
    o += UDP;

    this.chunk.set(payload, o);
    this.used = o + payload.length;
    this.packets++;
  }

  /** Writes out what is buffered; call once more after the last packet. */
  flush(): void {
    let done = 0;
    while (done < this.used) done += writeSync(this.fd, this.chunk, done, this.used - done);
    this.bytes += this.used;
    this.used = 0;
  }
}

/** RFC 791 header checksum: one's complement of the one's-complement sum of the header's 16-bit words. */
function ipv4Checksum(v: DataView, start: number): number {
  let sum = 0;
  for (let i = start; i < start + IPV4; i += 2) sum += v.getUint16(i);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}
