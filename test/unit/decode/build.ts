/*
 * Byte-by-byte packet builders for the decode tests. Checksums are left zero: the decoder does
 * not verify them.
 */
import { readFileSync } from 'node:fs';
import type { RawPacket } from '../../../src/capture/types.js';
import { PacketDecoder, type Datagram } from '../../../src/decode/index.js';

export const LINKTYPE = {
  NULL: 0,
  ETHERNET: 1,
  RAW_OLD: 12,
  RAW_OPENBSD: 14,
  RAW: 101,
  LOOP: 108,
  LINUX_SLL: 113,
  IPV4: 228,
  IPV6: 229,
  LINUX_SLL2: 276,
} as const;

export function u16(v: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(v);
  return b;
}

export function u32(v: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(v >>> 0);
  return b;
}

/** "1.2.3.4" → 4 bytes. */
export function ipv4Address(text: string): Buffer {
  return Buffer.from(text.split('.').map(Number));
}

/** Full or "::"-compressed IPv6 text → 16 bytes (no embedded IPv4 form). */
export function ipv6Address(text: string): Buffer {
  const [head, tail] = text.includes('::') ? text.split('::') : [text, undefined];
  const headGroups = head ? head.split(':') : [];
  const tailGroups = tail ? tail.split(':') : [];
  const zeros = tail === undefined ? [] : Array(8 - headGroups.length - tailGroups.length).fill('0');
  const groups = [...headGroups, ...zeros, ...tailGroups];
  if (groups.length !== 8) throw new Error(`bad IPv6 address ${text}`);
  return Buffer.concat(groups.map((g) => u16(parseInt(g, 16))));
}

export function udp(srcPort: number, dstPort: number, payload: Buffer, length = payload.length + 8): Buffer {
  return Buffer.concat([u16(srcPort), u16(dstPort), u16(length), u16(0), payload]);
}

export const TCP_FLAGS = { FIN: 0x01, SYN: 0x02, RST: 0x04, PSH: 0x08, ACK: 0x10 } as const;

export interface TcpFields {
  srcPort?: number;
  dstPort?: number;
  seq: number;
  ack?: number;
  flags?: number;
  payload?: Buffer | string;
  /** TCP options, padded with zeros to a multiple of 4. */
  options?: Buffer;
}

export function tcp(f: TcpFields): Buffer {
  const options = f.options ?? Buffer.alloc(0);
  const padded = Buffer.concat([options, Buffer.alloc((4 - (options.length % 4)) % 4)]);
  const header = Buffer.alloc(20);
  header.writeUInt16BE(f.srcPort ?? 40000, 0);
  header.writeUInt16BE(f.dstPort ?? 5683, 2);
  header.writeUInt32BE(f.seq >>> 0, 4);
  header.writeUInt32BE((f.ack ?? 0) >>> 0, 8);
  header[12] = ((20 + padded.length) / 4) << 4;
  header[13] = f.flags ?? TCP_FLAGS.ACK;
  header.writeUInt16BE(65535, 14);
  const payload = typeof f.payload === 'string' ? Buffer.from(f.payload) : (f.payload ?? Buffer.alloc(0));
  return Buffer.concat([header, padded, payload]);
}

export interface Ipv4Fields {
  src?: string;
  dst?: string;
  protocol?: number;
  id?: number;
  /** Fragment offset in bytes (must be a multiple of 8). */
  fragmentOffset?: number;
  moreFragments?: boolean;
  options?: Buffer;
  /** Overrides the total length field. */
  totalLength?: number;
}

export function ipv4(payload: Buffer, f: Ipv4Fields = {}): Buffer {
  const options = f.options ?? Buffer.alloc(0);
  if (options.length % 4 !== 0) throw new Error('IPv4 options must be padded to 4 bytes');
  const header = Buffer.alloc(20);
  header[0] = 0x40 | ((20 + options.length) / 4);
  header.writeUInt16BE(f.totalLength ?? 20 + options.length + payload.length, 2);
  header.writeUInt16BE(f.id ?? 1, 4);
  header.writeUInt16BE(((f.fragmentOffset ?? 0) / 8) | (f.moreFragments ? 0x2000 : 0), 6);
  header[8] = 64;
  header[9] = f.protocol ?? 17;
  ipv4Address(f.src ?? '10.0.0.1').copy(header, 12);
  ipv4Address(f.dst ?? '10.0.0.2').copy(header, 16);
  return Buffer.concat([header, options, payload]);
}

export interface Ipv6Fields {
  src?: string;
  dst?: string;
  /** Next header of the fixed header (the first extension header, or the transport). */
  nextHeader?: number;
  /** Overrides the payload length field. */
  payloadLength?: number;
}

/** `payload` is everything after the fixed header: extension headers and transport. */
export function ipv6(payload: Buffer, f: Ipv6Fields = {}): Buffer {
  const header = Buffer.alloc(40);
  header[0] = 0x60;
  header.writeUInt16BE(f.payloadLength ?? payload.length, 4);
  header[6] = f.nextHeader ?? 17;
  header[7] = 64;
  ipv6Address(f.src ?? '2001:db8::1').copy(header, 8);
  ipv6Address(f.dst ?? '2001:db8::2').copy(header, 24);
  return Buffer.concat([header, payload]);
}

/** Hop-by-hop / destination options header padded (PadN) to `units` 8-byte units. */
export function ipv6Options(nextHeader: number, units = 1): Buffer {
  const h = Buffer.alloc(units * 8);
  h[0] = nextHeader;
  h[1] = units - 1;
  h[2] = 1; // PadN
  h[3] = units * 8 - 4;
  return h;
}

export function ipv6Fragment(nextHeader: number, offset: number, more: boolean, id: number): Buffer {
  const h = Buffer.alloc(8);
  h[0] = nextHeader;
  h.writeUInt16BE(offset | (more ? 1 : 0), 2);
  h.writeUInt32BE(id, 4);
  return h;
}

export interface EthernetFields {
  etherType?: number;
  /** VLAN tags outermost first: [tpid, vlan id]. */
  tags?: [number, number][];
  /** Bytes appended after the payload (Ethernet minimum-size padding). */
  padding?: number;
}

export function ethernet(payload: Buffer, f: EthernetFields = {}): Buffer {
  const macs = Buffer.from('020000000002020000000001', 'hex'); // destination, source
  const tags = (f.tags ?? []).map(([tpid, vid]) => Buffer.concat([u16(tpid), u16(vid)]));
  const etherType = f.etherType ?? (payload[0] >> 4 === 6 ? 0x86dd : 0x0800);
  return Buffer.concat([macs, ...tags, u16(etherType), payload, Buffer.alloc(f.padding ?? 0)]);
}

let nextFrame = 1;

export function raw(data: Buffer, linkType: number = LINKTYPE.ETHERNET, ts = 1000): RawPacket {
  return { frame: nextFrame++, ts, linkType, data, origLength: data.length, recordOffset: -1, recordFile: -1 };
}

/** A UDP datagram over IPv4 over Ethernet, the common case. */
export function udpFrame(payload: Buffer | string, ip: Ipv4Fields = {}, srcPort = 56830, dstPort = 5683): Buffer {
  const bytes = typeof payload === 'string' ? Buffer.from(payload) : payload;
  return ethernet(ipv4(udp(srcPort, dstPort, bytes), ip));
}

export function tcpFrame(f: TcpFields, ip: Ipv4Fields = {}): Buffer {
  return ethernet(ipv4(tcp(f), { protocol: 6, ...ip }));
}

/**
 * Decodes packets and returns what came out, with payloads copied (emit may hand out views)
 * and decoded as latin1 text for easy comparison.
 */
export function decodeAll(
  packets: RawPacket[],
  decoder = new PacketDecoder(),
  { flush = true } = {},
): (Omit<Datagram, 'payload'> & { payload: string })[] {
  const out: (Omit<Datagram, 'payload'> & { payload: string })[] = [];
  const collect = (d: Datagram) => out.push({ ...d, payload: d.payload.toString('latin1') });
  for (const p of packets) decoder.decode(p, collect);
  if (flush) decoder.flush(collect);
  return out;
}

/**
 * Reads a classic little-endian pcap file (24-byte global header, 16-byte record headers):
 * enough for the reference captures, independent of the capture reader being written in parallel.
 */
export function readPcap(path: string): RawPacket[] {
  const file = readFileSync(path);
  if (file.readUInt32LE(0) !== 0xa1b2c3d4) throw new Error(`${path}: not a little-endian µs pcap`);
  const linkType = file.readUInt32LE(20);
  const packets: RawPacket[] = [];
  for (let pos = 24; pos + 16 <= file.length; ) {
    const seconds = file.readUInt32LE(pos);
    const micros = file.readUInt32LE(pos + 4);
    const captured = file.readUInt32LE(pos + 8);
    const origLength = file.readUInt32LE(pos + 12);
    const data = Buffer.from(file.subarray(pos + 16, pos + 16 + captured));
    packets.push({ frame: packets.length + 1, ts: seconds + micros / 1e6, linkType, data, origLength, recordOffset: pos, recordFile: 0 });
    pos += 16 + captured;
  }
  return packets;
}
