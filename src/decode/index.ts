import type { RawPacket } from '../capture/types.js';
import type { OverflowCounters } from '../util/bounded-map.js';
import { Ipv4EndpointNames, Ipv6EndpointNames } from './address.js';
import { IpPacket, PROTOCOL_UDP } from './ip-packet.js';
import { decodeIpv4 } from './ipv4.js';
import { decodeIpv6 } from './ipv6.js';
import { locateNetworkLayer, NetworkLocation } from './link.js';
import { FragmentReassembler } from './reassembly.js';
import { DECODED, IGNORED, MALFORMED, UNSUPPORTED, type LayerStatus } from './status.js';
import { TCP_HEADER_LENGTH, TcpReassembler } from './tcp.js';
import type { Datagram, DecodeStats } from './types.js';
import { UDP_HEADER_LENGTH, udpDatagramLength } from './udp.js';

export type { Datagram, DecodeStats } from './types.js';

export interface DecoderOptions {
  /** Seconds of capture time an incomplete IP datagram waits for its missing fragments. Default 30. */
  fragmentTimeout?: number;
  /** Bytes of IP fragments held over all incomplete datagrams. Default 4 MiB. */
  maxFragmentBytes?: number;
  /** Out-of-order TCP bytes held per direction before a hole is given up. Default 1 MiB. */
  maxTcpBufferPerFlow?: number;
  /** TCP directions tracked at once; beyond it the oldest is flushed and forgotten. Default 65536. */
  maxTcpFlows?: number;
}

/**
 * The decode stage: link layer → IP → UDP/TCP. Each frame yields zero or more Datagrams through
 * `emit` (zero for non-IP frames and for fragments still waiting; several when a TCP segment
 * fills a hole). Bad input never throws: it is counted in `stats`.
 *
 * A Datagram's payload may be a view of the frame, valid only during `emit`.
 */
export class PacketDecoder {
  readonly stats: DecodeStats = {
    packets: 0,
    malformed: 0,
    ignored: 0,
    fragments: 0,
    fragmentsDropped: 0,
    reassembled: 0,
    unsupportedLinkTypes: [],
  };

  // Scratch state filled by the layers for each packet: decoding allocates only the Datagram.
  private readonly network = new NetworkLocation();
  private readonly ip = new IpPacket();
  private readonly ipv4Names = new Ipv4EndpointNames();
  private readonly ipv6Names = new Ipv6EndpointNames();
  private readonly fragments: FragmentReassembler;
  private readonly tcp: TcpReassembler;

  /** `overflow`: the run's counters, where reassembly tables report reached bounds. */
  constructor(opts: DecoderOptions = {}, overflow?: OverflowCounters) {
    this.fragments = new FragmentReassembler(this.stats, {
      timeout: opts.fragmentTimeout ?? 30,
      maxBytes: opts.maxFragmentBytes ?? 4 * 1024 * 1024,
    }, overflow);
    this.tcp = new TcpReassembler({
      maxBufferedPerFlow: opts.maxTcpBufferPerFlow ?? 1024 * 1024,
      maxFlows: opts.maxTcpFlows ?? 65536,
    }, overflow);
  }

  decode(p: RawPacket, emit: (d: Datagram) => void): void {
    this.stats.packets++;
    const data = p.data;
    let status = locateNetworkLayer(p.linkType, data, this.network);
    if (status === DECODED) {
      status =
        this.network.version === 4
          ? decodeIpv4(data, this.network.offset, p.ts, this.ip, this.fragments)
          : decodeIpv6(data, this.network.offset, p.ts, this.ip, this.fragments);
    }
    if (status === DECODED) status = this.decodeTransport(p, emit);
    if (status !== DECODED) this.count(status, p.linkType);
  }

  /**
   * End of capture: incomplete IP datagrams are dropped (counted in stats.fragmentsDropped) and
   * TCP bytes still held behind holes are delivered, with gap: true.
   */
  flush(emit: (d: Datagram) => void): void {
    this.fragments.clear();
    this.tcp.flush(emit);
  }

  private decodeTransport(p: RawPacket, emit: (d: Datagram) => void): LayerStatus {
    const { transport: buf, start, end, protocol } = this.ip;
    const isUdp = protocol === PROTOCOL_UDP;
    if (end - start < (isUdp ? UDP_HEADER_LENGTH : TCP_HEADER_LENGTH)) return MALFORMED;
    const srcPort = buf.readUInt16BE(start);
    const dstPort = buf.readUInt16BE(start + 2);
    const src = this.endpointName(true, srcPort);
    const dst = this.endpointName(false, dstPort);
    if (!isUdp) return this.tcp.segment(p.frame, p.ts, src, dst, srcPort, dstPort, buf, start, end, emit);

    const length = udpDatagramLength(buf, start, end);
    if (length < 0) return MALFORMED;
    emit({
      frame: p.frame,
      ts: p.ts,
      transport: 'udp',
      src,
      dst,
      srcPort,
      dstPort,
      payload: buf.subarray(start + UDP_HEADER_LENGTH, start + length),
    });
    return DECODED;
  }

  private endpointName(source: boolean, port: number): string {
    const ip = this.ip;
    if (ip.version === 4) return this.ipv4Names.name(source ? ip.src4 : ip.dst4, port);
    return this.ipv6Names.name(ip.addresses, source ? ip.src6 : ip.dst6, port);
  }

  private count(status: LayerStatus, linkType: number): void {
    if (status === MALFORMED) {
      this.stats.malformed++;
    } else if (status === IGNORED) {
      this.stats.ignored++;
    } else if (status === UNSUPPORTED) {
      this.stats.ignored++;
      if (!this.stats.unsupportedLinkTypes.includes(linkType)) this.stats.unsupportedLinkTypes.push(linkType);
    }
  }
}
