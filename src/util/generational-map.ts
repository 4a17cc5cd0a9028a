import type { OverflowCounters } from './bounded-map.js';
import { OldestFirst } from './oldest-first.js';

/**
 * A map whose entries expire by age in the caller's clock (capture time, so that offline and
 * live analysis agree) and whose size is bounded, each in O(1) amortised.
 *
 * Age: entries live in a current and a previous generation, each one `period` of the caller's
 * clock long. At the first call of a new period the previous generation is dropped whole and
 * the current one becomes the previous; when a whole period passed without a call, both are
 * dropped. A `get` moves its entry into the current generation, so entries in use stay. So an
 * entry is found for at least `period` after its last use and never `2 × period` after it,
 * however the calls are spaced (a capture quiet for an hour does not bring back what was used
 * before it).
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
  /** Where the current generation's period started (periods follow each other back to back). */
  private startedAt = Number.NEGATIVE_INFINITY;
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

  /** `now`: the caller's clock at this lookup, which ages the generations as `set` does. */
  get(key: K, now: number): V | undefined {
    this.age(now);
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

  has(key: K, now: number): boolean {
    return this.get(key, now) !== undefined;
  }

  set(key: K, value: V, now: number): void {
    this.age(now);
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

  private age(now: number): void {
    const elapsed = now - this.startedAt;
    if (elapsed < this.period) return;
    if (elapsed >= 2 * this.period) {
      // No call for a whole period: what either generation holds was last used longer ago.
      this.previous = new Map();
      this.previousOrder = new OldestFirst(this.previous);
      this.startedAt = now;
    } else {
      this.previous = this.current;
      this.previousOrder = this.currentOrder;
      this.startedAt += this.period;
    }
    this.current = new Map();
    this.currentOrder = new OldestFirst(this.current);
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
