import { BlockList, isIP } from 'node:net';

/**
 * The LwM2M servers an operator declares (`--servers`): a cluster whose nodes send requests
 * from addresses its clients never registered with. Each entry is a host (any port), a socket
 * (host and port) or a subnet (CIDR, any port). Node's BlockList does the address and subnet
 * matching, for IPv4 and IPv6 in any textual form.
 */
export class DeclaredServers {
  /** Hosts and subnets declared without a port. */
  private readonly anyPort = new BlockList();
  /** Hosts declared with a port, by port. */
  private readonly byPort = new Map<number, BlockList>();
  /** The entries as given (normalised), for messages and for handing to a worker thread. */
  readonly entries: readonly string[];

  /** `specs`: entries as parseServerSpec accepts them; throws on the first that does not parse. */
  constructor(specs: readonly string[]) {
    const entries: string[] = [];
    for (const spec of specs) {
      const s = parseServerSpec(spec);
      if (s.prefix !== null) this.anyPort.addSubnet(s.host, s.prefix, s.family);
      else if (s.port === null) this.anyPort.addAddress(s.host, s.family);
      else {
        let list = this.byPort.get(s.port);
        if (!list) this.byPort.set(s.port, (list = new BlockList()));
        list.addAddress(s.host, s.family);
      }
      entries.push(spec.trim());
    }
    this.entries = entries;
  }

  get size(): number {
    return this.entries.length;
  }

  /** Is the socket ("a.b.c.d:port", "[v6]:port") a declared server? */
  has(socket: string): boolean {
    const split = splitSocket(socket);
    if (split === null) return false;
    const family = split.host.includes(':') ? 'ipv6' : 'ipv4';
    if (this.anyPort.check(split.host, family)) return true;
    const list = split.port === null ? undefined : this.byPort.get(split.port);
    return list !== undefined && list.check(split.host, family);
  }
}

export interface ServerSpec {
  host: string;
  family: 'ipv4' | 'ipv6';
  /** null: any port. */
  port: number | null;
  /** Subnet prefix length, or null for one host. */
  prefix: number | null;
}

/**
 * One `--servers` entry: `198.51.100.7`, `198.51.100.7:5683`, `198.51.100.0/24`,
 * `2001:db8::7`, `[2001:db8::7]:5683`, `2001:db8::/64`. Throws with the reason.
 */
export function parseServerSpec(spec: string): ServerSpec {
  const text = spec.trim();
  const fail = (why: string): never => {
    throw new Error(`"${text}" is not a server address (${why}; expected ADDR, ADDR:PORT, [IPv6]:PORT or ADDR/PREFIX)`);
  };
  if (text === '') fail('empty');
  const slash = text.indexOf('/');
  if (slash >= 0) {
    const host = text.slice(0, slash);
    const family = familyOf(host) ?? fail('not an IP address');
    const bits = text.slice(slash + 1);
    const prefix = /^\d{1,3}$/.test(bits) ? Number(bits) : NaN;
    if (!(prefix <= (family === 'ipv4' ? 32 : 128))) fail('bad prefix length');
    return { host, family, port: null, prefix };
  }
  const split = splitSocket(text) ?? fail('bad port');
  const family = familyOf(split.host) ?? fail('not an IP address');
  return { host: split.host, family, port: split.port, prefix: null };
}

function familyOf(host: string): 'ipv4' | 'ipv6' | null {
  const v = isIP(host);
  return v === 4 ? 'ipv4' : v === 6 ? 'ipv6' : null;
}

/** "a.b.c.d:port" / "[v6]:port" / a bare host → host and port (null when none); null when the port is bad. */
function splitSocket(text: string): { host: string; port: number | null } | null {
  let host = text;
  let port: string | null = null;
  if (text.startsWith('[')) {
    const end = text.indexOf(']');
    if (end < 0) return null;
    host = text.slice(1, end);
    const rest = text.slice(end + 1);
    if (rest !== '') {
      if (!rest.startsWith(':')) return null;
      port = rest.slice(1);
    }
  } else {
    const colon = text.lastIndexOf(':');
    // One colon: IPv4 (or a name) with a port; more: a bare IPv6 address.
    if (colon >= 0 && text.indexOf(':') === colon) {
      host = text.slice(0, colon);
      port = text.slice(colon + 1);
    }
  }
  if (port === null) return { host, port: null };
  const n = /^\d{1,5}$/.test(port) ? Number(port) : NaN;
  return n >= 1 && n <= 65535 ? { host, port: n } : null;
}
