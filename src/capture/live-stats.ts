import { loadLibc, SOL_PACKET } from './packet-socket.js';

/** The kernel's count of frames dropped for want of room in the capture buffer. */
export interface KernelStats {
  /** Drops since the capture opened, or null where they cannot be read. */
  drops(): number | null;
  close(): void;
}

const PACKET_STATISTICS = 6;

/**
 * What libpcap's pcap_stats reports as ps_drop on Linux: the capture socket's PACKET_STATISTICS
 * drop count, asked of the socket directly (`fd`, see watchPacketSockets) since `cap` 0.2 does
 * not expose pcap_stats; the kernel resets the counters on every read, so they are summed here.
 * Where that cannot be done (no socket found, no koffi, not Linux), the count is unknown.
 */
export function kernelStats(fd: number | null): KernelStats {
  const libc = loadLibc();
  if (fd === null || typeof libc === 'string') return { drops: () => null, close: () => {} };
  const value = Buffer.alloc(12);
  let drops = 0;
  let closed = false;
  const read = (): number | null => {
    if (closed) return drops;
    const length = [value.length];
    if (libc.getsockopt(fd, SOL_PACKET, PACKET_STATISTICS, value, length) !== 0 || length[0] < 8) return null;
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
}
