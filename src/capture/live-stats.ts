import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { createRequire } from 'node:module';

/** The kernel's count of frames dropped for want of room in the capture buffer. */
export interface KernelStats {
  /** Drops since the capture opened, or null where they cannot be read. */
  drops(): number | null;
  close(): void;
}

const SOL_PACKET = 263;
const PACKET_STATISTICS = 6;

type GetSockOpt = (fd: number, level: number, name: number, value: Buffer, length: number[]) => number;
let getsockopt: GetSockOpt | null | undefined;

/** libc's getsockopt through the optional FFI module `koffi`; null where either is missing. */
function loadGetSockOpt(): GetSockOpt | null {
  if (getsockopt !== undefined) return getsockopt;
  getsockopt = null;
  if (process.platform !== 'linux') return null;
  try {
    const koffi = createRequire(import.meta.url)('koffi') as {
      load(path: string): { func(signature: string): GetSockOpt };
    };
    getsockopt = koffi.load('libc.so.6').func('int getsockopt(int fd, int level, int name, _Out_ uint8_t *value, _Inout_ uint32_t *length)');
  } catch {
    // no koffi, or no glibc: the count stays unknown
  }
  return getsockopt;
}

/** Inodes of the process's open packet sockets, by file descriptor. */
function packetSocketFds(): Map<number, string> {
  const fds = new Map<number, string>();
  let inodes: Set<string>;
  try {
    inodes = new Set(readFileSync('/proc/net/packet', 'latin1').trim().split('\n').slice(1).map((l) => l.trim().split(/\s+/)[8]));
    for (const fd of readdirSync('/proc/self/fd')) {
      try {
        const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/self/fd/${fd}`));
        if (m && inodes.has(m[1])) fds.set(Number(fd), m[1]);
      } catch {
        // closed meanwhile
      }
    }
  } catch {
    // no procfs
  }
  return fds;
}

/**
 * What libpcap's pcap_stats reports as ps_drop on Linux: the capture socket's PACKET_STATISTICS
 * drop count. `cap` 0.2 does not expose pcap_stats, so the socket is found as the packet socket
 * that `open` created (by comparing the process's packet sockets before and after) and asked
 * directly; the kernel resets the counters on every read, so they are summed here. Where that
 * cannot be done (no koffi, not Linux), the count is unknown.
 */
export function kernelStatsProbe(): { before: Map<number, string>; open: () => KernelStats } {
  const before = loadGetSockOpt() ? packetSocketFds() : new Map<number, string>();
  return {
    before,
    open: () => {
      const call = loadGetSockOpt();
      const unknown: KernelStats = { drops: () => null, close: () => {} };
      if (!call) return unknown;
      const added = [...packetSocketFds()].filter(([fd, inode]) => before.get(fd) !== inode).map(([fd]) => fd);
      if (added.length !== 1) return unknown;
      const fd = added[0];
      const value = Buffer.alloc(12);
      let drops = 0;
      let closed = false;
      const read = (): number | null => {
        if (closed) return drops;
        const length = [value.length];
        if (call(fd, SOL_PACKET, PACKET_STATISTICS, value, length) !== 0 || length[0] < 8) return null;
        drops += value.readUInt32LE(4);
        return drops;
      };
      read(); // anything counted before capture started is not ours
      drops = 0;
      return {
        drops: read,
        close: () => {
          read();
          closed = true;
        },
      };
    },
  };
}
