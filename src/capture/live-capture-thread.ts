import { performance } from 'node:perf_hooks';
import { parentPort, workerData } from 'node:worker_threads';
import { loadLibpcap } from './libpcap.js';
import { CAPTURE_COUNTERS, CAPTURE_DONE, CAPTURE_STOP, type CaptureThreadData, type CaptureThreadMessage } from './live-control.js';
import { readNative } from './live-open.js';
import { PacketQueue } from './live-queue.js';

/*
 * The capture thread of a live capture: nothing but libpcap's read loop. It blocks in
 * pcap_next_ex (libpcap hands frames over in blocks, at the latest after its read timeout) and
 * copies each frame from libpcap's ring straight into the decoding queue's shared memory, so
 * that the kernel's buffer only ever waits for this loop, never for decoding. It ends when the
 * opening thread sets CAPTURE_STOP (and calls pcap_breakloop to wake it), after publishing the
 * final counters and setting CAPTURE_DONE; the opening thread closes the handle after that.
 */

/** How often the kernel's counters are read (pcap_stats) while frames flow. */
const STATS_EVERY_MS = 200;
const PCAP_ERROR_BREAK = -2;

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
let received = 0;
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

publishStats();
let failure: string | null = null;
while (Atomics.load(control, CAPTURE_STOP) === 0) {
  const status = pcap.nextEx(handle, headerAt, dataAt);
  if (status === 1) {
    pcap.copyInto(header, readNative(headerAt, 0, P), header.length);
    const length = readNative(header, 2 * L, 4);
    const at = queue.reserve(length);
    if (at >= 0) {
      pcap.copy(ringAddress + at, readNative(dataAt, 0, P), length);
      queue.commit(at, length, readNative(header, 2 * L + 4, 4), readNative(header, 0, L) + readNative(header, L, L) / 1e6);
    }
    counters[CAPTURE_COUNTERS.received] = ++received;
    if ((received & 1023) === 0 && performance.now() >= statsDue) publishStats();
  } else if (status === 0) {
    // libpcap's read timeout: no frame for a while
    if (performance.now() >= statsDue) publishStats();
  } else if (status !== PCAP_ERROR_BREAK) {
    failure = pcap.geterr(handle) || pcap.statustostr(status);
    break;
  }
}
publishStats();
Atomics.store(control, CAPTURE_DONE, 1);
Atomics.notify(control, CAPTURE_DONE);
if (failure !== null) parentPort!.postMessage({ type: 'error', message: failure } satisfies CaptureThreadMessage);
