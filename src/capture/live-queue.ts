/** The shared memory of a PacketQueue, to hand to another thread (postMessage / workerData). */
export interface PacketQueueMemory {
  bytes: SharedArrayBuffer;
  slots: SharedArrayBuffer;
  times: SharedArrayBuffer;
  control: SharedArrayBuffer;
}

/** Atomics.waitAsync (ES2024; Node 16+), which this project's TypeScript lib does not declare. */
interface AtomicsWaitAsync {
  waitAsync(array: Int32Array, index: number, value: number, timeoutMs: number): { async: false; value: string } | { async: true; value: Promise<string> };
}

/** Control words: frames pushed and frames freed (int32 sequence numbers that wrap), drops, most queued. */
const WRITTEN = 0;
const FREED = 1;
const DROPPED = 2;
const HIGH_WATER = 3;
/** 1 while the consumer sleeps on an empty queue: only then does a push wake it. */
const WAITING = 4;
const CONTROL_WORDS = 5;

/**
 * The bounded queue between the capture thread and decoding, in shared memory so that the two
 * may run on different threads (one producer, one consumer): a byte ring holding the frames back
 * to back, and for each frame its place, length, wire length and time. `reserve` + `commit` put a
 * frame in at once; when the ring or the slot table is full the frame is counted as dropped
 * instead, so a consumer that falls behind costs frames, never memory.
 */
export class PacketQueue {
  /** The frames' bytes; a producer writes a reserved frame's here. */
  readonly ring: Buffer;
  /** offset, length, wire length of each slot. */
  private readonly slots: Int32Array;
  private readonly times: Float64Array;
  private readonly control: Int32Array;
  private readonly mask: number;
  readonly capacityBytes: number;
  readonly capacityPackets: number;

  /** A new queue; the slot count is rounded up to a power of two. */
  static create(capacityBytes: number, capacityPackets: number): PacketQueue {
    if (capacityBytes < 1 || capacityPackets < 1) throw new RangeError('queue capacity must be positive');
    const packets = 2 ** Math.ceil(Math.log2(capacityPackets));
    return new PacketQueue({
      bytes: new SharedArrayBuffer(capacityBytes),
      slots: new SharedArrayBuffer(packets * 3 * 4),
      times: new SharedArrayBuffer(packets * 8),
      control: new SharedArrayBuffer(CONTROL_WORDS * 4),
    });
  }

  /** The same queue seen from another thread. */
  constructor(readonly memory: PacketQueueMemory) {
    this.ring = Buffer.from(memory.bytes);
    this.slots = new Int32Array(memory.slots);
    this.times = new Float64Array(memory.times);
    this.control = new Int32Array(memory.control);
    this.capacityBytes = memory.bytes.byteLength;
    this.capacityPackets = this.times.length;
    this.mask = this.capacityPackets - 1;
  }

  /** Frames queued now. */
  get length(): number {
    return (Atomics.load(this.control, WRITTEN) - Atomics.load(this.control, FREED)) | 0;
  }

  /** Frames refused because the queue was full. */
  get dropped(): number {
    return Atomics.load(this.control, DROPPED);
  }

  /** Most frames queued at once. */
  get highWater(): number {
    return Atomics.load(this.control, HIGH_WATER);
  }

  /**
   * Producer: where a frame's `length` bytes go in `ring` (the capture thread copies them there
   * straight from libpcap's buffer), or -1 (and one more drop) when there is no room. The frame is
   * queued by `commit`, which must follow before the next reserve.
   */
  reserve(length: number): number {
    const c = this.control;
    const written = c[WRITTEN]; // only this thread writes it
    const at = this.placeFor(length, written, (written - Atomics.load(c, FREED)) | 0);
    if (at < 0) Atomics.add(c, DROPPED, 1);
    return at;
  }

  /** Producer: queues the frame whose bytes were written at `at` (from `reserve`). */
  commit(at: number, length: number, origLength: number, ts: number): void {
    const c = this.control;
    const written = c[WRITTEN];
    const slot = written & this.mask;
    this.slots[slot * 3] = at;
    this.slots[slot * 3 + 1] = length;
    this.slots[slot * 3 + 2] = origLength;
    this.times[slot] = ts;
    // Publishes the frame: the consumer reads the sequence number before the slot.
    Atomics.store(c, WRITTEN, (written + 1) | 0);
    const count = (written + 1 - Atomics.load(c, FREED)) | 0;
    if (count > c[HIGH_WATER]) Atomics.store(c, HIGH_WATER, count);
    if (Atomics.load(c, WAITING) !== 0) Atomics.notify(c, WRITTEN);
  }

  /**
   * Consumer: hands up to `max` of the oldest frames to `fn`, oldest first, freeing each after
   * the call: `data` is a view into the ring, valid only during it. Returns how many.
   */
  drain(max: number, fn: (data: Buffer, origLength: number, ts: number) => void): number {
    const c = this.control;
    const written = Atomics.load(c, WRITTEN);
    let freed = c[FREED]; // only this thread writes it
    let done = 0;
    while (done < max && freed !== written) {
      const slot = freed & this.mask;
      const at = this.slots[slot * 3];
      fn(this.ring.subarray(at, at + this.slots[slot * 3 + 1]), this.slots[slot * 3 + 2], this.times[slot]);
      freed = (freed + 1) | 0;
      Atomics.store(c, FREED, freed);
      done++;
    }
    return done;
  }

  /** Consumer: resolves when a frame may have been pushed, or after `timeoutMs`. */
  async waitForFrames(timeoutMs: number): Promise<void> {
    const c = this.control;
    // Announce the wait, then look again: a push either sees WAITING and wakes us, or happened
    // before the second look and is seen there (all of it sequentially consistent).
    Atomics.store(c, WAITING, 1);
    try {
      const written = Atomics.load(c, WRITTEN);
      if (written !== Atomics.load(c, FREED)) return;
      const waited = (Atomics as unknown as AtomicsWaitAsync).waitAsync(c, WRITTEN, written, timeoutMs);
      if (waited.async) await waited.value;
    } finally {
      Atomics.store(c, WAITING, 0);
    }
  }

  /**
   * Where a frame of `length` bytes fits, contiguously, without touching queued ones; -1 if
   * nowhere. Every frame reserves at least one byte, so frames never share an offset. A consumer
   * freeing frames meanwhile only makes more room than is seen here.
   */
  private placeFor(length: number, written: number, count: number): number {
    const need = length > 0 ? length : 1;
    if (count >= this.capacityPackets || need > this.capacityBytes) return -1;
    if (count === 0) return 0;
    const oldest = this.slots[((written - count) & this.mask) * 3];
    const newestSlot = ((written - 1) & this.mask) * 3;
    const newest = this.slots[newestSlot];
    const end = newest + (this.slots[newestSlot + 1] > 0 ? this.slots[newestSlot + 1] : 1);
    if (newest >= oldest) {
      // Not wrapped: room after the newest frame, else at the start, before the oldest.
      if (end + need <= this.capacityBytes) return end;
      return need <= oldest ? 0 : -1;
    }
    // Wrapped: the room is between the newest and the oldest.
    return end + need <= oldest ? end : -1;
  }
}
