/**
 * The bounded queue between the capture callback and the pipeline: one preallocated byte ring
 * holding the frames back to back, and typed arrays for each frame's place, length and time.
 * `push` copies a frame in and returns at once; when the ring or the slot table is full the frame
 * is counted in `dropped` instead, so a pipeline that falls behind costs packets, never memory.
 */
export class PacketQueue {
  private readonly ring: Buffer;
  private readonly offsets: Int32Array;
  private readonly lengths: Int32Array;
  private readonly origLengths: Int32Array;
  private readonly times: Float64Array;
  /** Slot of the oldest frame, and how many are queued. */
  private head = 0;
  private count = 0;
  /** Frames refused because the queue was full. */
  dropped = 0;
  /** Largest number of frames queued at once, for the bench. */
  highWater = 0;

  constructor(readonly capacityBytes: number, readonly capacityPackets: number) {
    if (capacityBytes < 1 || capacityPackets < 1) throw new RangeError('queue capacity must be positive');
    this.ring = Buffer.allocUnsafe(capacityBytes);
    this.offsets = new Int32Array(capacityPackets);
    this.lengths = new Int32Array(capacityPackets);
    this.origLengths = new Int32Array(capacityPackets);
    this.times = new Float64Array(capacityPackets);
  }

  get length(): number {
    return this.count;
  }

  /** Copies `length` bytes of `src`; false (and one more drop) when there is no room. */
  push(src: Buffer, length: number, origLength: number, ts: number): boolean {
    const at = this.placeFor(length);
    if (at < 0) {
      this.dropped++;
      return false;
    }
    src.copy(this.ring, at, 0, length);
    let slot = this.head + this.count;
    if (slot >= this.capacityPackets) slot -= this.capacityPackets;
    this.offsets[slot] = at;
    this.lengths[slot] = length;
    this.origLengths[slot] = origLength;
    this.times[slot] = ts;
    if (++this.count > this.highWater) this.highWater = this.count;
    return true;
  }

  /**
   * Hands up to `max` of the oldest frames to `fn`, oldest first, and frees them. `data` is a view
   * into the ring, valid only during the call. Returns how many were handed over.
   */
  drain(max: number, fn: (data: Buffer, origLength: number, ts: number) => void): number {
    let done = 0;
    while (done < max && this.count > 0) {
      const slot = this.head;
      const at = this.offsets[slot];
      // Freed before the call: were fn to throw, the frame is not handed over twice.
      this.head = slot + 1 === this.capacityPackets ? 0 : slot + 1;
      this.count--;
      done++;
      fn(this.ring.subarray(at, at + this.lengths[slot]), this.origLengths[slot], this.times[slot]);
    }
    return done;
  }

  /**
   * Where a frame of `length` bytes fits, contiguously, without touching queued ones; -1 if
   * nowhere. Every frame reserves at least one byte, so frames never share an offset.
   */
  private placeFor(length: number): number {
    const need = length > 0 ? length : 1;
    if (this.count === this.capacityPackets || need > this.capacityBytes) return -1;
    if (this.count === 0) return 0;
    const oldest = this.offsets[this.head];
    let newestSlot = this.head + this.count - 1;
    if (newestSlot >= this.capacityPackets) newestSlot -= this.capacityPackets;
    const newest = this.offsets[newestSlot];
    const end = newest + (this.lengths[newestSlot] > 0 ? this.lengths[newestSlot] : 1);
    if (newest >= oldest) {
      // Not wrapped: room after the newest frame, else at the start, before the oldest.
      if (end + need <= this.capacityBytes) return end;
      return need <= oldest ? 0 : -1;
    }
    // Wrapped: the room is between the newest and the oldest.
    return end + need <= oldest ? end : -1;
  }
}
