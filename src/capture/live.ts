import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { PacketQueue } from './live-queue.js';
import { kernelStats } from './live-stats.js';
import { watchPacketSockets } from './packet-socket.js';
import { promiscuousOff } from './promisc.js';
import { CaptureError, type PacketSink, type RawPacket } from './types.js';

/** The parts of the `cap` addon (0.2) we use. It ships no type declarations and is CommonJS. */
interface CapInstance {
  open(device: string, filter: string, bufferSize: number, buffer: Buffer): string;
  close(): void;
  on(event: 'packet', listener: (nbytes: number, truncated: boolean) => void): void;
  removeAllListeners(event?: string): void;
}
export interface CapModule {
  Cap: { new (): CapInstance; deviceList(): Array<{ name: string; description?: string }> };
}

export interface LiveCaptureOptions {
  /** Interface name, or `any`. */
  device: string;
  /** BPF filter in pcap-filter syntax; '' captures everything. */
  filter: string;
  /** Bytes kept of each frame. */
  snaplen: number;
  /** libpcap's buffer between the kernel and us, in bytes. */
  bufferSize: number;
  /** Put the interface in promiscuous mode (as tcpdump does unless -p); false needs Linux and `koffi`. */
  promisc: boolean;
  /** The queue between capture and decoding (defaults: 64 MiB, 262,144 frames). */
  queueBytes?: number;
  queuePackets?: number;
}

/** Counters since the capture opened. */
export interface LiveStats {
  /** Frames libpcap handed to coapwatch. */
  received: number;
  /** Frames the kernel dropped because its capture buffer was full (libpcap's ps_drop); null where it cannot be read. */
  droppedKernel: number | null;
  /** Frames the interface itself dropped (its rx_dropped counter, libpcap's ps_ifdrop); null where it cannot be read. */
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
/** Frames decoded per queue drain, and how long a turn may decode before the capture callback gets to run again. */
const BATCH = 1024;
const SLICE_MS = 8;
/** How long the reader sleeps on an empty queue before looking at its stop condition again. */
const IDLE_WAIT_MS = 50;

let capModule: CapModule | undefined;

/** Loads `cap` on first use: offline analysis never needs it, so it is an optional dependency. */
function loadCap(): CapModule {
  capModule ??= loadCapWith(createRequire(import.meta.url));
  return capModule;
}

/** `require('cap')`, or a one-line CaptureError saying what to install. */
export function loadCapWith(req: (id: string) => unknown): CapModule {
  const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
  try {
    return req('cap') as CapModule;
  } catch (err) {
    const message = (err as Error).message.split('\n')[0];
    if ((err as NodeJS.ErrnoException).code === 'MODULE_NOT_FOUND' && /'cap'/.test(message)) {
      throw new CaptureError(`live capture needs the optional module "cap", which is not installed: install libpcap (Debian/Ubuntu: apt-get install libpcap-dev), then run "npm install cap" in ${root}`);
    }
    throw new CaptureError(`live capture needs the module "cap", which did not load (${message}): install libpcap (Debian/Ubuntu: apt-get install libpcap-dev), then run "npm rebuild cap" in ${root}`);
  }
}

/** Names of the interfaces libpcap can capture on. */
export function listInterfaces(): string[] {
  return loadCap().Cap.deviceList().map((d) => d.name);
}

/** LINKTYPE_* from the name `cap` gives the data link (its names, or "Unknown linktype N" with the DLT). */
function linkTypeOf(name: string): number {
  switch (name) {
    case 'ETHERNET': return 1;
    case 'NULL': return 0;
    case 'RAW': return 101;
    case 'LINKTYPE_LINUX_SLL': return 113;
    case 'IEEE802_11_RADIO': return 127;
  }
  const dlt = /(\d+)$/.exec(name);
  return dlt ? Number(dlt[1]) : -1;
}

/** The one line a user needs for what `cap.open` threw. */
function openError(cap: CapModule, opts: LiveCaptureOptions, err: unknown): CaptureError {
  const message = err instanceof Error ? err.message : String(err);
  if (/no such device/i.test(message)) return noSuchInterface(cap, opts.device);
  if (/not permitted|permission/i.test(message)) {
    return new CaptureError(`capture on "${opts.device}" is not permitted (${message}): it needs root or the CAP_NET_RAW capability, e.g. sudo setcap cap_net_raw,cap_net_admin=eip "$(readlink -f "$(which node)")"`);
  }
  if (opts.filter !== '') {
    // libpcap compiles the filter after opening the interface; if the interface opens without
    // it, the filter is what failed, and the message is libpcap's compiler's.
    const probe = new cap.Cap();
    try {
      probe.open(opts.device, '', 1 << 16, Buffer.alloc(64));
      probe.close();
      return new CaptureError(`--filter "${opts.filter}" does not compile: ${message}`);
    } catch {
      // the interface itself is the problem
    }
  }
  return new CaptureError(`cannot capture on "${opts.device}": ${message}`);
}

function noSuchInterface(cap: CapModule, device: string): CaptureError {
  const names = cap.Cap.deviceList().map((d) => d.name);
  return new CaptureError(`no such interface "${device}"; interfaces: ${names.join(', ') || 'none'}`);
}

/**
 * Captures on a live interface with libpcap (through `cap`). The capture callback only copies
 * each frame, with the time it was read, into a bounded queue in shared memory and returns;
 * decoding reads the queue (LiveFrameReader), preferably on another thread so that nothing it
 * does (a database commit) holds capture up. When decoding falls behind far enough to fill the
 * queue, the frames that do not fit are counted (`droppedPipeline`) rather than kept. Without
 * `promisc`, the promiscuous mode `cap` always asks for is taken back as soon as the interface
 * is open (promiscuousOff).
 */
export function openLiveCapture(opts: LiveCaptureOptions): LiveCapture {
  const cap = loadCap();
  if (!cap.Cap.deviceList().some((d) => d.name === opts.device)) throw noSuchInterface(cap, opts.device);
  // Whether --no-promisc can be done is known before anything is opened.
  const leavePromiscuous = opts.promisc ? null : promiscuousOff(opts.device);
  const c = new cap.Cap();
  const frameBuffer = Buffer.alloc(opts.snaplen);
  const sockets = watchPacketSockets();
  let linkName: string;
  try {
    linkName = c.open(opts.device, opts.filter, opts.bufferSize, frameBuffer);
  } catch (err) {
    throw openError(cap, opts, err);
  }
  // libpcap's socket, which `cap` does not expose: for --no-promisc and the kernel's drop counter.
  const fd = sockets.opened();
  if (leavePromiscuous) {
    try {
      leavePromiscuous(fd);
    } catch (err) {
      c.close();
      throw err;
    }
  }
  const linkType = linkTypeOf(linkName);
  const kernel = kernelStats(fd);
  const queue = PacketQueue.create(opts.queueBytes ?? DEFAULT_QUEUE_BYTES, opts.queuePackets ?? DEFAULT_QUEUE_PACKETS);
  const interfaceDrops = interfaceDropCounter(opts.device);
  const timeOrigin = performance.timeOrigin;
  let received = 0;
  let final: LiveStats | null = null;

  c.on('packet', (nbytes: number) => {
    received++;
    // Time of reading: `cap` does not pass libpcap's timestamp on.
    queue.push(frameBuffer, nbytes, nbytes, (timeOrigin + performance.now()) / 1000);
  });

  const stats = (): LiveStats => final ?? {
    received, droppedKernel: kernel.drops(), droppedInterface: interfaceDrops(), droppedPipeline: queue.dropped,
    queued: queue.length, queuedMax: queue.highWater,
  };
  const stop = (): LiveStats => {
    if (final === null) {
      c.removeAllListeners('packet');
      kernel.close(); // its last read needs the capture socket open
      const last = stats();
      c.close();
      final = last;
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

  constructor(private readonly queue: PacketQueue, linkType: number, sink: PacketSink) {
    const packet: RawPacket = { frame: 0, ts: 0, linkType, data: Buffer.alloc(0), origLength: 0 };
    this.packet = packet;
    this.deliver = (data, origLength, ts) => {
      packet.frame = ++this.delivered;
      packet.ts = ts;
      packet.data = data;
      packet.origLength = origLength;
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

/**
 * Drops counted by the interface since now, the way libpcap computes ps_ifdrop on Linux (the
 * rx_dropped statistic); for `any`, summed over every interface. Null where sysfs has none.
 */
function interfaceDropCounter(device: string): () => number | null {
  const base = '/sys/class/net';
  const read = (): number | null => {
    try {
      const names = device === 'any' ? readdirSync(base) : [device];
      let sum = 0;
      for (const name of names) sum += Number(readFileSync(join(base, name, 'statistics', 'rx_dropped'), 'latin1'));
      return Number.isFinite(sum) ? sum : null;
    } catch {
      return null;
    }
  };
  const start = read();
  return () => {
    const now = read();
    return now === null || start === null ? null : now - start;
  };
}
