import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/*
 * `cap` 0.2 exposes neither pcap_stats nor the capture socket, so what coapwatch needs from
 * libpcap's AF_PACKET socket on Linux (the kernel's drop counter, leaving promiscuous mode) it
 * asks of the socket directly, through libc and the optional FFI module `koffi`.
 */

export const SOL_PACKET = 263;

/** The libc calls made on the capture socket. */
export interface Libc {
  getsockopt(fd: number, level: number, name: number, value: Buffer, length: number[]): number;
  setsockopt(fd: number, level: number, name: number, value: Buffer, length: number): number;
  if_nametoindex(name: string): number;
  /** errno as the last call left it. */
  errno(): number;
}

interface Koffi {
  load(path: string): { func(signature: string): (...args: never[]) => number };
  errno(): number;
}

let libc: Libc | string | undefined;

/**
 * libc through `koffi`, or why it cannot be had: a phrase saying what is missing and what to do
 * about it, for an error message (callers that can do without just do without).
 */
export function loadLibc(): Libc | string {
  libc ??= openLibc(createRequire(import.meta.url));
  return libc;
}

export function openLibc(req: (id: string) => unknown, platform = process.platform): Libc | string {
  if (platform !== 'linux') return `that works on Linux only, and this is ${platform}`;
  const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
  let koffi: Koffi;
  try {
    koffi = req('koffi') as Koffi;
  } catch (err) {
    const message = (err as Error).message.split('\n')[0];
    if ((err as NodeJS.ErrnoException).code === 'MODULE_NOT_FOUND' && /'koffi'/.test(message)) {
      return `it needs the optional module "koffi", which is not installed: run "npm install koffi" in ${root}`;
    }
    return `it needs the optional module "koffi", which did not load (${message}): run "npm rebuild koffi" in ${root}`;
  }
  try {
    const lib = koffi.load('libc.so.6');
    return {
      getsockopt: lib.func('int getsockopt(int fd, int level, int name, _Out_ uint8_t *value, _Inout_ uint32_t *length)') as Libc['getsockopt'],
      setsockopt: lib.func('int setsockopt(int fd, int level, int name, const uint8_t *value, uint32_t length)') as Libc['setsockopt'],
      if_nametoindex: lib.func('unsigned int if_nametoindex(const char *name)') as Libc['if_nametoindex'],
      errno: () => koffi.errno(),
    };
  } catch (err) {
    return `"koffi" cannot load glibc's libc.so.6 (${(err as Error).message.split('\n')[0]}): it needs a glibc-based Linux`;
  }
}

/** The process's open packet sockets: socket inode by file descriptor. */
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
 * Finds the socket libpcap opens: call before opening the capture, then `opened()` after; it
 * is the one packet socket that was not there before. Null when there is not exactly one (no
 * procfs, not Linux).
 */
export function watchPacketSockets(): { opened(): number | null } {
  const before = packetSocketFds();
  return {
    opened: () => {
      const added = [...packetSocketFds()].filter(([fd, inode]) => before.get(fd) !== inode).map(([fd]) => fd);
      return added.length === 1 ? added[0] : null;
    },
  };
}
