import type { OverflowCounters } from './bounded-map.js';
import { OldestFirst } from './oldest-first.js';

/**
 * A map whose entries expire by age in the caller's clock (capture time, so that offline and
 * live analysis agree) and whose size is bounded, each in O(1) amortised.
 *
 * Age: entries live in a current and a previous generation; a new generation starts at the
 * first `set` a whole `period` after the last start, and the previous one is then dropped
 * whole. An entry lives at least `period` after its last use and at most twice that; a `get`
 * moves it into the current generation, so entries in use stay.
 *
 * Size: at `maxEntries` one entry is dropped per insert and counted (reported as `table`):
 * the oldest of the previous generation, else the oldest of the current one, in insertion
 * order (so to within a generation, the one used longest ago).
 *
 * Why not BoundedMap: these tables take a lookup or two for every CoAP message, and keeping an
 * order of use would cost about as much again; expiry by generation needs no order of use, only
 * eviction does, and that is rare. The oldest entry of a generation is found through
 * OldestFirst, not `map.keys().next()` (see there why).
 */
export class GenerationalMap<K, V> {
  private current = new Map<K, V>();
  private previous = new Map<K, V>();
  private rotatedAt = Number.NEGATIVE_INFINITY;
  /** Where eviction goes on in each generation; everything before them was evicted already. */
  private currentOrder = new OldestFirst(this.current);
  private previousOrder = new OldestFirst(this.previous);
  private dropped = 0;

  /** `table`, `counters`: the name and run counters under which size overflow is reported. */
  constructor(
    private readonly period: number,
    private readonly maxEntries: number,
    table = 'cache',
    counters?: OverflowCounters,
  ) {
    counters?.register(table, maxEntries, () => this.dropped);
  }

  get(key: K): V | undefined {
    const value = this.current.get(key);
    if (value !== undefined) return value;
    const old = this.previous.get(key);
    if (old !== undefined) {
      this.previous.delete(key);
      this.previousOrder.changed();
      this.current.set(key, old);
      this.currentOrder.changed();
    }
    return old;
  }

  has(key: K): boolean {
    return this.get(key) !== undefined;
  }

  set(key: K, value: V, now: number): void {
    if (now - this.rotatedAt >= this.period) {
      this.previous = this.current;
      this.previousOrder = this.currentOrder;
      this.current = new Map();
      this.currentOrder = new OldestFirst(this.current);
      this.rotatedAt = now;
    }
    // A key moving up from the previous generation takes no more room.
    if (this.previous.delete(key)) this.previousOrder.changed();
    else if (!this.current.has(key) && this.size >= this.maxEntries) this.evictOne();
    this.current.set(key, value);
    this.currentOrder.changed();
  }

  delete(key: K): void {
    if (this.current.delete(key)) this.currentOrder.changed();
    if (this.previous.delete(key)) this.previousOrder.changed();
  }

  get size(): number {
    return this.current.size + this.previous.size;
  }

  /** Live entries dropped because the map was full (expired ones are not counted). */
  get evicted(): number {
    return this.dropped;
  }

  private evictOne(): void {
    if (this.previous.size > 0) {
      this.previous.delete(this.previousOrder.next()!);
    } else {
      const oldest = this.currentOrder.next();
      if (oldest === undefined) return;
      this.current.delete(oldest);
    }
    this.dropped++;
  }
}
