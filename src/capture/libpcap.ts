import { createRequire } from 'node:module';
import { endianness } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CaptureError } from './types.js';

/*
 * libpcap, called directly through the FFI module `koffi` (optional, like live capture itself).
 *
 * Why not the `cap` addon: live capture is the hot path of `monitor`, and `cap` 0.2 stands in
 * its way three times. It hard-codes a 65,535-byte snap length and immediate mode, which on
 * Linux makes libpcap use TPACKET_V2 with fixed slots of the interface's MTU: on lo (MTU 64 KiB)
 * a 64 MiB buffer holds about 1,000 frames, 10 ms of traffic at 50,000 messages/s, so every
 * pause of the capture thread lost frames. It calls into JavaScript once per frame through
 * node's MakeCallback (8.5 µs of a core per frame measured). And it exposes neither pcap_stats
 * nor the promiscuous-mode switch. Here libpcap runs in its default (TPACKET_V3) mode, where
 * frames are packed into the ring at their captured length, the snap length is the user's, the
 * kernel's counters come from pcap_stats, and the capture thread copies each frame into the
 * decoding queue with three plain FFI calls (~0.3 µs).
 *
 * A pcap_t is passed around as its address (a number), so that the thread that opens the
 * capture and the thread that reads it can share it.
 */

/** The libpcap functions coapwatch calls, bound. Pointers to libpcap's own structures are addresses. */
export interface Libpcap {
  create(source: string, errbuf: Buffer): number;
  setSnaplen(p: number, snaplen: number): number;
  setPromisc(p: number, on: number): number;
  setTimeout(p: number, ms: number): number;
  setBufferSize(p: number, bytes: number): number;
  activate(p: number): number;
  geterr(p: number): string;
  statustostr(status: number): string;
  compile(p: number, program: Buffer, filter: string, optimize: number, netmask: number): number;
  setfilter(p: number, program: Buffer): number;
  freecode(program: Buffer): void;
  datalink(p: number): number;
  /** 1 a frame (its header's and data's addresses written to the two 8-byte buffers), 0 none (yet), < 0 error. */
  nextEx(p: number, header: Buffer, data: Buffer): number;
  stats(p: number, stats: Buffer): number;
  setnonblock(p: number, nonblock: number, errbuf: Buffer): number;
  selectableFd(p: number): number;
  /** libc's poll(2) on an array of struct pollfd. */
  poll(fds: ArrayBufferView, count: number, timeoutMs: number): number;
  close(p: number): void;
  findalldevs(list: Buffer, errbuf: Buffer): number;
  freealldevs(list: number): void;
  /** libc's memcpy between addresses; returns dst. */
  copy(dst: number, src: number, n: number): number;
  /** libc's memcpy from an address into a buffer. */
  copyInto(dst: Buffer, src: number, n: number): number;
  strlen(s: number): number;
  /** The address of a buffer's first byte: valid for as long as the buffer's memory does not move (SharedArrayBuffer memory never does). */
  addressOf(buffer: Buffer): number;
  /** Size of a pointer and of a C long, in bytes. */
  pointerBytes: number;
  longBytes: number;
}

/** pcap_activate's errors (pcap/pcap.h). */
export const PCAP_ERROR_NO_SUCH_DEVICE = -5;
export const PCAP_ERROR_PERM_DENIED = -8;
export const PCAP_ERROR_PROMISC_PERM_DENIED = -11;
export const PCAP_ERRBUF_SIZE = 256;
/** pcap_compile's netmask when it is not known (only broadcast tests need it). */
export const PCAP_NETMASK_UNKNOWN = 0xffffffff;

const LITTLE_ENDIAN = endianness() === 'LE';

/** A pointer- or long-sized integer stored at `offset` in host byte order (addresses fit in 53 bits). */
export function readNative(buffer: Buffer, offset: number, bytes: number): number {
  if (bytes === 4) return LITTLE_ENDIAN ? buffer.readUInt32LE(offset) : buffer.readUInt32BE(offset);
  return LITTLE_ENDIAN
    ? buffer.readUInt32LE(offset) + buffer.readUInt32LE(offset + 4) * 0x1_0000_0000
    : buffer.readUInt32BE(offset) * 0x1_0000_0000 + buffer.readUInt32BE(offset + 4);
}

/** The message libpcap left in an error buffer (NUL-terminated). */
export function errbufText(errbuf: Buffer): string {
  return errbuf.toString('latin1').replace(/\0.*$/s, '');
}

interface KoffiLibrary {
  func(signature: string): (...args: never[]) => unknown;
}
interface Koffi {
  load(path: string): KoffiLibrary;
  sizeof(type: string): number;
}

/** Where the shared library is found, by platform (Debian names it libpcap.so.0.8). */
const LIBRARY_NAMES: Record<string, string[]> = {
  linux: ['libpcap.so.1', 'libpcap.so.0.8', 'libpcap.so'],
  darwin: ['libpcap.A.dylib', 'libpcap.dylib'],
  win32: ['wpcap.dll'],
};
const LIBC_NAMES: Record<string, string> = { linux: 'libc.so.6', darwin: 'libSystem.B.dylib', win32: 'msvcrt.dll' };

let loaded: { pcap: Libpcap; library: KoffiLibrary } | undefined;

/** libpcap bound through koffi, loaded on first use; a CaptureError saying what to install when it cannot be. */
export function loadLibpcap(): Libpcap {
  loaded ??= openLibpcap(createRequire(import.meta.url));
  return loaded.pcap;
}

/** The loaded libpcap itself, for a caller that binds a function coapwatch does not use (bench:live injects frames). */
export function libpcapLibrary(): KoffiLibrary {
  loadLibpcap();
  return loaded!.library;
}

export function openLibpcap(req: (id: string) => unknown, platform: string = process.platform): { pcap: Libpcap; library: KoffiLibrary } {
  const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
  let koffi: Koffi;
  try {
    koffi = req('koffi') as Koffi;
  } catch (err) {
    const message = (err as Error).message.split('\n')[0];
    if ((err as NodeJS.ErrnoException).code === 'MODULE_NOT_FOUND' && /'koffi'/.test(message)) {
      throw new CaptureError(`live capture needs the optional module "koffi", which is not installed: run "npm install koffi" in ${root}`);
    }
    throw new CaptureError(`live capture needs the module "koffi", which did not load (${message}): run "npm rebuild koffi" in ${root}`);
  }
  const names = LIBRARY_NAMES[platform] ?? LIBRARY_NAMES.linux;
  let library: KoffiLibrary | undefined;
  let firstError = '';
  for (const name of names) {
    try {
      library = koffi.load(name);
      break;
    } catch (err) {
      firstError ||= (err as Error).message.split('\n')[0];
    }
  }
  if (library === undefined) {
    throw new CaptureError(`live capture needs libpcap, which cannot be loaded (${firstError}): install it (Debian/Ubuntu: apt-get install libpcap0.8)`);
  }
  const libc = koffi.load(LIBC_NAMES[platform] ?? LIBC_NAMES.linux);
  const f = <T>(lib: KoffiLibrary, signature: string) => lib.func(signature) as unknown as T;
  const l = library;
  const copyInto = f<Libpcap['copyInto']>(libc, 'uintptr_t memcpy(void *dst, uintptr_t src, size_t n)');
  const pcap: Libpcap = {
    create: f(l, 'uintptr_t pcap_create(const char *source, void *errbuf)'),
    setSnaplen: f(l, 'int pcap_set_snaplen(uintptr_t p, int snaplen)'),
    setPromisc: f(l, 'int pcap_set_promisc(uintptr_t p, int promisc)'),
    setTimeout: f(l, 'int pcap_set_timeout(uintptr_t p, int ms)'),
    setBufferSize: f(l, 'int pcap_set_buffer_size(uintptr_t p, int bytes)'),
    activate: f(l, 'int pcap_activate(uintptr_t p)'),
    geterr: f(l, 'const char *pcap_geterr(uintptr_t p)'),
    statustostr: f(l, 'const char *pcap_statustostr(int status)'),
    compile: f(l, 'int pcap_compile(uintptr_t p, void *program, const char *filter, int optimize, uint32_t netmask)'),
    setfilter: f(l, 'int pcap_setfilter(uintptr_t p, void *program)'),
    freecode: f(l, 'void pcap_freecode(void *program)'),
    datalink: f(l, 'int pcap_datalink(uintptr_t p)'),
    nextEx: f(l, 'int pcap_next_ex(uintptr_t p, void *header, void *data)'),
    stats: f(l, 'int pcap_stats(uintptr_t p, void *stats)'),
    setnonblock: f(l, 'int pcap_setnonblock(uintptr_t p, int nonblock, void *errbuf)'),
    selectableFd: f(l, 'int pcap_get_selectable_fd(uintptr_t p)'),
    poll: f(libc, 'int poll(void *fds, unsigned long count, int timeout)'),
    close: f(l, 'void pcap_close(uintptr_t p)'),
    findalldevs: f(l, 'int pcap_findalldevs(void *list, void *errbuf)'),
    freealldevs: f(l, 'void pcap_freealldevs(uintptr_t list)'),
    copy: f(libc, 'uintptr_t memcpy(uintptr_t dst, uintptr_t src, size_t n)'),
    copyInto,
    strlen: f(libc, 'size_t strlen(uintptr_t s)'),
    addressOf: (buffer) => copyInto(buffer, 0, 0),
    pointerBytes: koffi.sizeof('void *'),
    longBytes: koffi.sizeof('long'),
  };
  return { pcap, library };
}
