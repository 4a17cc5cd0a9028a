import { createHash } from 'node:crypto';
import { isIPv4, isIPv6 } from 'node:net';

/**
 * Community ID v1 (github.com/corelight/community-id-spec): a flow hash that Zeek, Suricata,
 * Arkime and the Elastic and Splunk pipelines compute the same way, so that a SIEM can join
 * this sensor's records with theirs. SHA-1 over seed, both addresses, protocol, a pad byte and
 * both ports, with the lower (address, port) first so both directions hash alike; base64,
 * prefixed "1:".
 */
export const PROTO_TCP = 6;
export const PROTO_UDP = 17;

/** The address as network-order bytes (4 for IPv4, 16 for IPv6), or null when it is neither. */
export function addressBytes(ip: string): Buffer | null {
  if (isIPv4(ip)) return Buffer.from(ip.split('.').map(Number));
  if (!isIPv6(ip)) return null;
  let text = ip;
  const out = Buffer.alloc(16);
  // An embedded IPv4 tail (::ffff:1.2.3.4) is two groups.
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4) {
    const b = v4[1].split('.').map(Number);
    text = text.slice(0, -v4[1].length) + `${((b[0] << 8) | b[1]).toString(16)}:${((b[2] << 8) | b[3]).toString(16)}`;
  }
  const [head, tail] = text.includes('::') ? text.split('::') : [text, null];
  const groups = (s: string) => (s === '' ? [] : s.split(':').map((g) => parseInt(g, 16)));
  const front = groups(head);
  const back = tail === null ? [] : groups(tail);
  const all = [...front, ...new Array<number>(8 - front.length - back.length).fill(0), ...back];
  for (let i = 0; i < 8; i++) out.writeUInt16BE(all[i], i * 2);
  return out;
}

/** The hashed tuple of the spec: seed, lower side, higher side, protocol, pad, their ports. */
export function communityIdInput(proto: number, src: Buffer, srcPort: number, dst: Buffer, dstPort: number, seed = 0): Buffer {
  const srcFirst = Buffer.compare(src, dst) < 0 || (src.equals(dst) && srcPort <= dstPort);
  const [a, aPort, b, bPort] = srcFirst ? [src, srcPort, dst, dstPort] : [dst, dstPort, src, srcPort];
  const buf = Buffer.alloc(2 + a.length + b.length + 2 + 4);
  let o = buf.writeUInt16BE(seed, 0);
  o += a.copy(buf, o);
  o += b.copy(buf, o);
  o = buf.writeUInt8(proto, o);
  o = buf.writeUInt8(0, o);
  o = buf.writeUInt16BE(aPort, o);
  buf.writeUInt16BE(bPort, o);
  return buf;
}

/** The SHA-1 digest of the flow's tuple: the Community ID is its base64; EVE's flow_id is drawn from it too. */
export function flowDigest(proto: number, src: Buffer, srcPort: number, dst: Buffer, dstPort: number, seed = 0): Buffer {
  return createHash('sha1').update(communityIdInput(proto, src, srcPort, dst, dstPort, seed)).digest();
}

export function communityIdOf(digest: Buffer): string {
  return `1:${digest.toString('base64')}`;
}

/** Community ID v1 of a UDP or TCP flow given as text addresses; null when an address does not parse. */
export function communityId(proto: number, srcIp: string, srcPort: number, dstIp: string, dstPort: number, seed = 0): string | null {
  const src = addressBytes(srcIp);
  const dst = addressBytes(dstIp);
  if (!src || !dst || src.length !== dst.length) return null;
  return communityIdOf(flowDigest(proto, src, srcPort, dst, dstPort, seed));
}
