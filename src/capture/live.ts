import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import { loadLibpcap } from './libpcap.js';
import {
  CAPTURE_CONTROL_WORDS, CAPTURE_COUNTER_COUNT, CAPTURE_COUNTERS, CAPTURE_DONE, CAPTURE_STOP, type CaptureThreadData,
  type CaptureThreadMessage,
} from './live-control.js';
import { openPcap } from './live-open.js';
import { PacketQueue } from './live-queue.js';
import type { RotatingPcapWriter } from './live-pcap-writer.js';
import type { PacketSink, RawPacket } from './types.js';

export interface LiveCaptureOptions {
  /** Interface name, or `any`. */
  device: string;
  /** BPF filter in pcap-filter syntax; '' captures everything. */
  filter: string;
  /** Bytes kept of each frame. */
  snaplen: number;
  /** libpcap's buffer between the kernel and us, in bytes. */
  bufferSize: number;
  /** Put the interface in promiscuous mode (as tcpdump does unless -p). */
  promisc: boolean;
  /** The queue between capture and decoding (defaults: 64 MiB, 262,144 frames). */
  queueBytes?: number;
  queuePackets?: number;
  /** Capture ended on its own because libpcap failed (the interface went away): libpcap's message. */
  onError?: (message: string) => void;
}

/** Counters since the capture opened. */
export interface LiveStats {
  /** Frames libpcap handed to coapwatch, and their bytes as they were on the wire. */
  received: number;
  receivedBytes: number;
  /** Frames the kernel dropped because its capture buffer was full (libpcap's ps_drop); null where it cannot be read. */
  droppedKernel: number | null;
  /** Frames the interface itself dropped (libpcap's ps_ifdrop); null where it cannot be read. */
  droppedInterface: number | null;
  /** Frames coapwatch dropped because decoding fell behind and its queue was full. */
  droppedPipeline: number;
  /** Frames waiting in the queue now, and at most so far. */
  queued: number;
  queuedMax: number;
}

export interface LiveCapture {
  /** LINKTYPE_* of the interface. */
  readonly linkType: number;
  /** Where the frames go: read them with a LiveFrameReader, on this thread or another. */
  readonly queue: PacketQueue;
  stats(): LiveStats;
  /** Stops capturing; the frames already queued stay there to be read. Idempotent. */
  stop(): LiveStats;
}

const DEFAULT_QUEUE_BYTES = 64 << 20;
const DEFAULT_QUEUE_PACKETS = 1 << 18;
/**
 * libpcap's read timeout: how long it may keep frames in a block of its ring before handing them
 * over when traffic is light (with heavy traffic a block fills first), i.e. the most a frame waits.
 */
const READ_TIMEOUT_MS = 100;
/** How long stop() waits for the capture thread to read what libpcap still holds (a few hundred ms; a thread still starting takes longer). */
const STOP_WAIT_MS = 5_000;
/** Frames decoded per queue drain, and how long a turn may decode before the event loop gets to run again. */
const BATCH = 1024;
const SLICE_MS = 8;
/** How long the reader sleeps on an empty queue before looking at its stop condition again. */
const IDLE_WAIT_MS = 50;

/**
 * Captures on a live interface with libpcap (bound through `koffi`, see libpcap.ts). The
 * interface is opened here, so that every error a user can meet (no such interface, no
 * permission, a filter that does not compile, libpcap or koffi missing) is thrown here as one
 * CaptureError; a thread of its own then reads libpcap and copies each frame, with libpcap's
 * time stamp, into a bounded queue in shared memory; decoding reads the queue (LiveFrameReader),
 * preferably on yet another thread so that nothing it does holds capture up. When decoding falls
 * behind far enough to fill the queue, the frames that do not fit are counted
 * (`droppedPipeline`) rather than kept.
 */
export function openLiveCapture(opts: LiveCaptureOptions): LiveCapture {
  const pcap = loadLibpcap();
  const { handle, linkType } = openPcap({ ...opts, timeoutMs: READ_TIMEOUT_MS });
  const queue = PacketQueue.create(opts.queueBytes ?? DEFAULT_QUEUE_BYTES, opts.queuePackets ?? DEFAULT_QUEUE_PACKETS);
  const data: CaptureThreadData = {
    handle, queue: queue.memory,
    control: new SharedArrayBuffer(CAPTURE_CONTROL_WORDS * 4), counters: new SharedArrayBuffer(CAPTURE_COUNTER_COUNT * 8),
  };
  const control = new Int32Array(data.control);
  const counters = new Float64Array(data.counters);
  const thread = new Worker(new URL('./live-capture-thread.js', import.meta.url), { workerData: data, stdout: false, stderr: false });
  // It ends when stop() says so; it must not keep a process alive that is ending for another reason.
  thread.unref();
  let final: LiveStats | null = null;
  const failed = (message: string) => {
    if (final === null) opts.onError?.(message);
  };
  thread.on('message', (m: CaptureThreadMessage) => failed(m.message));
  thread.on('error', (err) => {
    Atomics.store(control, CAPTURE_DONE, 1); // it will not touch the handle again
    failed(`the capture thread failed: ${err.message}`);
  });

  const stats = (): LiveStats => {
    if (final !== null) return final;
    const read = counters[CAPTURE_COUNTERS.statsRead] === 1;
    return {
      received: counters[CAPTURE_COUNTERS.received],
      receivedBytes: counters[CAPTURE_COUNTERS.receivedBytes],
      droppedKernel: read ? counters[CAPTURE_COUNTERS.droppedKernel] : null,
      droppedInterface: read ? counters[CAPTURE_COUNTERS.droppedInterface] : null,
      droppedPipeline: queue.dropped, queued: queue.length, queuedMax: queue.highWater,
    };
  };
  const stop = (): LiveStats => {
    if (final === null) {
      Atomics.store(control, CAPTURE_STOP, 1);
      const finished = Atomics.wait(control, CAPTURE_DONE, 0, STOP_WAIT_MS) !== 'timed-out';
      final = stats();
      // A thread that did not finish may still be in libpcap: the handle is left to the process's end then.
      if (finished) pcap.close(handle);
    }
    return final;
  };
  return { linkType, queue, stats, stop };
}

/**
 * The decoding side of a live capture: numbers the queued frames from 1 and hands them to a
 * sink as RawPackets (one object, reused; `data` valid only during the call).
 */
export class LiveFrameReader {
  /** Frames handed to the sink so far. */
  delivered = 0;
  private readonly packet: RawPacket;
  private readonly deliver: (data: Buffer, origLength: number, ts: number) => void;

  /** `write`: monitor --write; each frame is written there first, and carries where it lies in it. */
  constructor(private readonly queue: PacketQueue, linkType: number, sink: PacketSink, write?: RotatingPcapWriter) {
    const packet: RawPacket = { frame: 0, ts: 0, linkType, data: Buffer.alloc(0), origLength: 0, recordOffset: -1, recordFile: -1 };
    this.packet = packet;
    this.deliver = (data, origLength, ts) => {
      packet.frame = ++this.delivered;
      packet.ts = ts;
      packet.data = data;
      packet.origLength = origLength;
      if (write) {
        packet.recordOffset = write.write(ts, data, origLength);
        packet.recordFile = write.fileIndex;
      }
      sink(packet);
    };
  }

  /** Hands over what is queued, for at most `sliceMs`; returns how many frames. */
  drain(sliceMs = SLICE_MS): number {
    const deadline = performance.now() + sliceMs;
    let n = 0;
    let batch: number;
    do n += batch = this.queue.drain(BATCH, this.deliver);
    while (batch === BATCH && performance.now() < deadline);
    return n;
  }

  /** Hands over everything queued (at the end). */
  drainAll(): number {
    return this.queue.drain(Number.MAX_SAFE_INTEGER, this.deliver);
  }

  /**
   * Reads until `stopped()` says so: in slices, yielding to the event loop between them (so that
   * timers and messages are served), and sleeping while the queue is empty.
   */
  async run(stopped: () => boolean): Promise<void> {
    while (!stopped()) {
      this.drain();
      if (this.queue.length === 0) await this.queue.waitForFrames(IDLE_WAIT_MS);
      else await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }
}
