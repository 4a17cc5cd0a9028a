import type { OverflowCounters } from './bounded-map.js';

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
 * Why not BoundedMap: these tables take a lookup or two for every CoAP message, and lru-cache's
 * bookkeeping cost about a fifth of the time per packet there; expiry by generation needs no
 * order of use, only eviction does, and that is rare. Why not evict through
 * `map.keys().next()`: V8 keeps deleted entries as tombstones until it rehashes, and a fresh
 * iterator walks past all of them each time; one iterator per generation that only moves
 * forward passes each once.
 */
export class GenerationalMap<K, V> {
  private current = new Map<K, V>();
  private previous = new Map<K, V>();
  private rotatedAt = Number.NEGATIVE_INFINITY;
  /** Where eviction goes on in each generation; everything before them was evicted already. */
  private currentKeys: IterableIterator<K> = this.current.keys();
  private previousKeys: IterableIterator<K> = this.previous.keys();
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
      this.current.set(key, old);
    }
    return old;
  }

  has(key: K): boolean {
    return this.get(key) !== undefined;
  }

  set(key: K, value: V, now: number): void {
    if (now - this.rotatedAt >= this.period) {
      this.previous = this.current;
      this.previousKeys = this.currentKeys;
      this.current = new Map();
      this.currentKeys = this.current.keys();
      this.rotatedAt = now;
    }
    // A key moving up from the previous generation takes no more room.
    if (!this.previous.delete(key) && !this.current.has(key) && this.size >= this.maxEntries) this.evictOne();
    this.current.set(key, value);
  }

  delete(key: K): void {
    this.current.delete(key);
    this.previous.delete(key);
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
      let next = this.previousKeys.next();
      // An iterator that ran out stays done even when entries come after: start it again.
      if (next.done) next = (this.previousKeys = this.previous.keys()).next();
      this.previous.delete(next.value as K);
    } else {
      let next = this.currentKeys.next();
      if (next.done) next = (this.currentKeys = this.current.keys()).next();
      if (next.done) return;
      this.current.delete(next.value as K);
    }
    this.dropped++;
  }
}
