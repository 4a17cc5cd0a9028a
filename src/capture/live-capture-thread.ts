import { performance } from 'node:perf_hooks';
import { parentPort, workerData } from 'node:worker_threads';
import { errbufText, loadLibpcap, PCAP_ERRBUF_SIZE, readNative } from './libpcap.js';
import { CAPTURE_COUNTERS, CAPTURE_DONE, CAPTURE_STOP, type CaptureThreadData, type CaptureThreadMessage } from './live-control.js';
import { PacketQueue } from './live-queue.js';

/*
 * The capture thread of a live capture: nothing but libpcap's read loop. It takes frames with
 * pcap_next_ex (libpcap hands them over a block at a time: when a block of its ring is full, or
 * after its read timeout) and copies each from libpcap's ring straight into the decoding queue's
 * shared memory, so that the kernel's buffer only ever waits for this loop, never for decoding.
 * The handle is non-blocking and the loop waits in poll(2) with a timeout of its own, because
 * libpcap would otherwise wait without end on a quiet interface, where the stop request and the
 * counters must still be seen to. When the opening thread sets CAPTURE_STOP, the loop goes on
 * reading the frames captured before that moment which libpcap still holds, publishes the final
 * counters and sets CAPTURE_DONE; the opening thread closes the handle after that.
 */

/** How often the kernel's counters are read (pcap_stats). */
const STATS_EVERY_MS = 200;
/** The longest wait in poll(2), i.e. how late a stop request or a quiet interface's counters may be seen. */
const POLL_MS = 50;
/**
 * After the stop request, how long the loop waits for more frames: libpcap hands a block of
 * frames over when it is full or its read timeout (READ_TIMEOUT_MS in live.ts, 100 ms) has
 * passed, so the frames captured just before the stop arrive up to that much later. They are
 * still read (a user stopping monitor expects what was on the wire until then), those captured
 * after it are not; a thread that falls behind still reads the backlog of earlier frames, for at
 * most STOP_READ_MAX_MS more.
 */
const STOP_DRAIN_MS = 150;
const STOP_READ_MAX_MS = 2_000;
const POLLIN = 1;

const { handle, queue: queueMemory, control: controlMemory, counters: countersMemory } = workerData as CaptureThreadData;
const control = new Int32Array(controlMemory);
const counters = new Float64Array(countersMemory);
const pcap = loadLibpcap();
const queue = new PacketQueue(queueMemory);
const ringAddress = pcap.addressOf(queue.ring);

const P = pcap.pointerBytes;
const L = pcap.longBytes;
// struct pcap_pkthdr { struct timeval ts (long tv_sec, long tv_usec); bpf_u_int32 caplen; bpf_u_int32 len; }
const header = Buffer.alloc(2 * L + 8);
const headerAt = Buffer.alloc(8);
const dataAt = Buffer.alloc(8);
const stats = Buffer.alloc(12); // struct pcap_stat { u_int ps_recv, ps_drop, ps_ifdrop; }
const pollFd = new Int32Array(2); // struct pollfd { int fd; short events; short revents; }, in host byte order
let received = 0;
let receivedBytes = 0;
let statsDue = 0;

/** The kernel's drop counters into the shared counters (pcap_stats: ps_drop, ps_ifdrop). */
function publishStats(): void {
  if (pcap.stats(handle, stats) === 0) {
    counters[CAPTURE_COUNTERS.droppedKernel] = readNative(stats, 4, 4);
    counters[CAPTURE_COUNTERS.droppedInterface] = readNative(stats, 8, 4);
    counters[CAPTURE_COUNTERS.statsRead] = 1;
  }
  statsDue = performance.now() + STATS_EVERY_MS;
}

/** Why the loop cannot start, or null. */
function prepare(): string | null {
  const errbuf = Buffer.alloc(PCAP_ERRBUF_SIZE);
  if (pcap.setnonblock(handle, 1, errbuf) !== 0) return errbufText(errbuf);
  const fd = pcap.selectableFd(handle);
  if (fd < 0) return 'libpcap has no file descriptor to wait on for this interface';
  pollFd[0] = fd;
  new Int16Array(pollFd.buffer)[2] = POLLIN;
  return null;
}

let failure = prepare();
publishStats();
/** Set once the stop request is seen: its time (libpcap's clock, seconds), how long to wait for blocks libpcap still holds, and the last moment to read at all. */
let stopAt = Infinity;
let waitUntil = Infinity;
let readUntil = Infinity;
while (failure === null) {
  const status = pcap.nextEx(handle, headerAt, dataAt);
  if (status === 1) {
    pcap.copyInto(header, readNative(headerAt, 0, P), header.length);
    const ts = readNative(header, 0, L) + readNative(header, L, L) / 1e6;
    // Frames come in capture order: one captured after the stop request ends the read.
    if (ts > stopAt) break;
    const length = readNative(header, 2 * L, 4);
    const wireLength = readNative(header, 2 * L + 4, 4);
    const at = queue.reserve(length);
    if (at >= 0) {
      pcap.copy(ringAddress + at, readNative(dataAt, 0, P), length);
      queue.commit(at, length, wireLength, ts);
    }
    counters[CAPTURE_COUNTERS.receivedBytes] = receivedBytes += wireLength;
    counters[CAPTURE_COUNTERS.received] = ++received;
    if ((received & 255) === 0 && performance.now() >= statsDue) publishStats();
  } else if (status === 0) {
    // Nothing handed over yet: wait for the next block, or for POLL_MS.
    const now = performance.now();
    if (now >= waitUntil) break;
    if (now >= statsDue) publishStats();
    pcap.poll(pollFd, 1, Math.max(1, Math.min(POLL_MS, Math.ceil(waitUntil - now))));
  } else {
    failure = pcap.geterr(handle) || pcap.statustostr(status);
  }
  if (stopAt === Infinity) {
    if (Atomics.load(control, CAPTURE_STOP) !== 0) {
      stopAt = Date.now() / 1000;
      waitUntil = performance.now() + STOP_DRAIN_MS;
      readUntil = waitUntil + STOP_READ_MAX_MS;
    }
  } else if (performance.now() >= readUntil) {
    break;
  }
}
publishStats();
Atomics.store(control, CAPTURE_DONE, 1);
Atomics.notify(control, CAPTURE_DONE);
if (failure !== null) parentPort!.postMessage({ type: 'error', message: failure } satisfies CaptureThreadMessage);
