/** Dotted-quad text of an IPv4 address held as an unsigned 32-bit integer. */
export function ipv4ToString(ip: number): string {
  return [ip >>> 24, (ip >>> 16) & 0xff, (ip >>> 8) & 0xff, ip & 0xff].join('.');
}
