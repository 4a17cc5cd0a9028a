/*
 * Endpoint names for Datagram.src/dst: "1.2.3.4:5683" and "[2001:db8::1]:5683".
 *
 * Every packet needs two, and building strings per packet would cost more than the rest of the
 * decoding, so names are cached in fixed-size direct-mapped tables: address and port hash to one
 * slot, and an endpoint that collides replaces the previous one. Memory stays constant however
 * many endpoints a capture holds; a hit allocates nothing, a miss builds one string.
 */

const IPV4_SLOT_BITS = 14;
const IPV6_SLOT_BITS = 12;

/** Multiplicative hashing constants (odd, well-mixed bits). */
const MIX_A = 0x85ebca6b;
const MIX_B = 0x9e3779b1;

export class Ipv4EndpointNames {
  private readonly addresses = new Uint32Array(1 << IPV4_SLOT_BITS);
  /** -1 in empty slots, which no port matches. */
  private readonly ports = new Int32Array(1 << IPV4_SLOT_BITS).fill(-1);
  private readonly names = new Array<string>(1 << IPV4_SLOT_BITS).fill('');

  /** `address` is the 32-bit unsigned value of the address bytes in network order. */
  name(address: number, port: number): string {
    const slot = Math.imul(address ^ Math.imul(port, MIX_A), MIX_B) >>> (32 - IPV4_SLOT_BITS);
    if (this.addresses[slot] === address && this.ports[slot] === port) return this.names[slot];
    const name = `${formatIpv4(address)}:${port}`;
    this.addresses[slot] = address;
    this.ports[slot] = port;
    this.names[slot] = name;
    return name;
  }
}

export class Ipv6EndpointNames {
  /** The address of each slot as four 32-bit words. */
  private readonly words = new Int32Array(4 << IPV6_SLOT_BITS);
  private readonly ports = new Int32Array(1 << IPV6_SLOT_BITS).fill(-1);
  private readonly names = new Array<string>(1 << IPV6_SLOT_BITS).fill('');

  /** The address is the 16 bytes at buf[offset]. */
  name(buf: Buffer, offset: number, port: number): string {
    const w0 = buf.readInt32BE(offset);
    const w1 = buf.readInt32BE(offset + 4);
    const w2 = buf.readInt32BE(offset + 8);
    const w3 = buf.readInt32BE(offset + 12);
    let h = Math.imul(w0 ^ Math.imul(port, MIX_A), MIX_B);
    h = Math.imul(h ^ w1, MIX_B);
    h = Math.imul(h ^ w2, MIX_B);
    h = Math.imul(h ^ w3, MIX_B);
    const slot = h >>> (32 - IPV6_SLOT_BITS);
    const words = this.words;
    const at = slot * 4;
    if (
      this.ports[slot] === port &&
      words[at] === w0 &&
      words[at + 1] === w1 &&
      words[at + 2] === w2 &&
      words[at + 3] === w3
    ) {
      return this.names[slot];
    }
    const name = `[${formatIpv6(buf, offset)}]:${port}`;
    words[at] = w0;
    words[at + 1] = w1;
    words[at + 2] = w2;
    words[at + 3] = w3;
    this.ports[slot] = port;
    this.names[slot] = name;
    return name;
  }
}

function formatIpv4(address: number): string {
  return `${address >>> 24}.${(address >>> 16) & 255}.${(address >>> 8) & 255}.${address & 255}`;
}

/**
 * RFC 5952 text of the 16-byte IPv6 address at buf[offset]: lower-case hex without leading
 * zeros, the longest run of two or more zero groups written "::" (the first run on a tie), and
 * IPv4-mapped addresses as ::ffff:a.b.c.d (its section 5).
 */
export function formatIpv6(buf: Uint8Array, offset: number): string {
  const groups: number[] = [];
  for (let i = 0; i < 8; i++) groups.push((buf[offset + 2 * i] << 8) | buf[offset + 2 * i + 1]);
  const ipv4Mapped = groups[5] === 0xffff && groups.slice(0, 5).every((g) => g === 0);
  if (ipv4Mapped) return `::ffff:${formatIpv4(((groups[6] << 16) | groups[7]) >>> 0)}`;

  let bestStart = -1;
  let bestLength = 1; // a single zero group is never compressed
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }

  const hex = (from: number, to: number) =>
    groups
      .slice(from, to)
      .map((g) => g.toString(16))
      .join(':');
  if (bestStart < 0) return hex(0, 8);
  return `${hex(0, bestStart)}::${hex(bestStart + bestLength, 8)}`;
}
