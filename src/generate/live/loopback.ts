import { createSocket, type Socket } from 'node:dgram';
import { ipv4ToString } from '../ipv4.js';
import type { Station } from '../pcap-writer.js';

/** CoAP over DTLS (RFC 7252 §6.2): the port the generator's DTLS traffic goes to. */
const COAPS_PORT = 5684;
const LOOPBACK_NET = 0x7f000000;

/** Where one simulated station sits on loopback; port 0 until its socket is bound (then the kernel's pick). */
export interface LoopbackAddress {
  address: string;
  port: number;
}

/**
 * Loopback addresses the fleet takes besides the server's, as 127.b.c.d for a station at a.b.c.d:
 * the bootstrap server 127.0.0.2, outsiders 127.0.113.x (from TEST-NET-3), meters 127.1.x.x,
 * rebound meters 127.2.x.x. A --server among them would make a meter or an outsider look like
 * the server's own host.
 */
export function loopbackClash(serverIp: number): string | null {
  const b = (serverIp >>> 16) & 0xff;
  const c = (serverIp >>> 8) & 0xff;
  if (serverIp === (LOOPBACK_NET | 2) >>> 0) return 'the bootstrap server\'s';
  if (b === 0 && c === 113) return 'the outside hosts\'';
  if (b === 1 || b === 2) return 'the meters\'';
  return null;
}

/**
 * The simulated network on loopback: one UDP socket per station (address and port) of the
 * generated traffic, so that every datagram leaves from its sender's socket to its receiver's.
 * Addresses keep their host part (a.b.c.d → 127.b.c.d; the server stays where --server says), so
 * two sockets of one simulated host share an address, as host identity needs. Servers keep their
 * ports (the server --server's, CoAPS one above it, the bootstrap server --server's port on its
 * own address); every other socket takes a port the kernel picks, so that two runs side by side
 * never collide.
 */
export class LoopbackNetwork {
  private readonly sockets = new Map<string, { socket: Socket; address: LoopbackAddress }>();
  private readonly pending = new Map<string, Promise<void>>();
  private readonly pinned = new Map<string, number>();
  /** Datagrams the network's sockets received, and the first socket error. */
  received = 0;
  failure: Error | null = null;

  constructor(private readonly server: Station, bootstrapServer: Station | null) {
    this.pinned.set(key(server), server.port);
    if (server.port !== COAPS_PORT) this.pinned.set(key({ ip: server.ip, port: COAPS_PORT }), server.port + 1);
    if (bootstrapServer !== null) this.pinned.set(key(bootstrapServer), server.port);
  }

  /** The bound socket of `station` and its address, or null when it is not bound yet (call bind first). */
  get(station: Station): { socket: Socket; address: LoopbackAddress } | undefined {
    return this.sockets.get(key(station));
  }

  /** Binds `station`'s socket unless it is bound; rejects with a one-line reason. */
  bind(station: Station): Promise<void> {
    const k = key(station);
    if (this.sockets.has(k)) return Promise.resolve();
    let binding = this.pending.get(k);
    if (binding === undefined) {
      binding = this.open(k, station).finally(() => this.pending.delete(k));
      this.pending.set(k, binding);
    }
    return binding;
  }

  private open(k: string, station: Station): Promise<void> {
    const ip = station.ip >>> 24 === 0x7f ? station.ip : (LOOPBACK_NET | (station.ip & 0xffffff)) >>> 0;
    const address = ipv4ToString(ip);
    const port = this.pinned.get(k) ?? 0;
    if (port > 0xffff) return Promise.reject(new Error(`--server port ${this.server.port} leaves no port above it for CoAPS (DTLS)`));
    const socket = createSocket('udp4');
    return new Promise((resolve, reject) => {
      socket.once('error', (err: NodeJS.ErrnoException) => {
        socket.close();
        reject(new Error(`cannot bind ${address}:${port === 0 ? 'any port' : port} on loopback: ${err.code === 'EADDRINUSE' ? 'address in use' : err.code === 'EMFILE' ? 'too many open files (one socket per meter: raise ulimit -n)' : (err.code ?? err.message)}`));
      });
      socket.bind(port, address, () => {
        socket.removeAllListeners('error');
        socket.on('error', (err) => (this.failure ??= err));
        socket.on('message', () => void this.received++);
        this.sockets.set(k, { socket, address: { address, port: socket.address().port } });
        resolve();
      });
    });
  }

  close(): Promise<void> {
    const all = [...this.sockets.values()].map(({ socket }) => new Promise<void>((resolve) => socket.close(() => resolve())));
    this.sockets.clear();
    return Promise.all(all).then(() => undefined);
  }
}

function key(s: { ip: number; port: number }): string {
  return `${s.ip}:${s.port}`;
}
