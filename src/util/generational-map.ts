import { BoundedMap, type OverflowCounters } from './bounded-map.js';

interface Aged<V> {
  value: V;
  /** The generation in which the entry was last set or read. */
  generation: number;
}

/**
 * A map whose entries expire by age in the caller's clock (capture time, so that offline and
 * live analysis agree) and whose size is bounded, each in O(1).
 *
 * Age: time is cut into generations of `period`; a new one starts at the first `set` a whole
 * period after the last start. An entry lives while it was set or read in the current or the
 * previous generation: at least `period` after its last use, at most twice that. (This is the
 * lifetime the exchange tables have always had; an exact per-entry deadline would change which
 * late responses match, and so the output.)
 *
 * Size: at `maxEntries` the least recently used entry is dropped and counted (BoundedMap),
 * unlike a generation rotated early, which would drop half the table at once and count nothing.
 * Expired entries are never counted as dropped: since every use stamps the current generation,
 * least recently used order is also oldest-generation order, so `set` removes expired entries
 * from the least recently used end before the bound can drop a live one.
 */
export class GenerationalMap<K extends {}, V> {
  private readonly entries: BoundedMap<K, Aged<V>>;
  private generation = 0;
  private generationStart = Number.NEGATIVE_INFINITY;

  /** `table`, `counters`: the name and run counters under which size overflow is reported. */
  constructor(
    private readonly period: number,
    maxEntries: number,
    table = 'cache',
    counters?: OverflowCounters,
  ) {
    this.entries = new BoundedMap<K, Aged<V>>(table, maxEntries, counters);
  }

  get(key: K): V | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.generation < this.generation - 1) {
      this.entries.delete(key);
      return undefined;
    }
    entry.generation = this.generation;
    return entry.value;
  }

  has(key: K): boolean {
    return this.get(key) !== undefined;
  }

  set(key: K, value: V, now: number): void {
    if (now - this.generationStart >= this.period) {
      this.generation++;
      this.generationStart = now;
    }
    this.dropExpired();
    this.entries.set(key, { value, generation: this.generation });
  }

  delete(key: K): void {
    this.entries.delete(key);
  }

  /** Entries held, expired ones not yet removed included. */
  get size(): number {
    return this.entries.size;
  }

  /** Live entries dropped because the map was full. */
  get evicted(): number {
    return this.entries.evicted;
  }

  private dropExpired(): void {
    for (;;) {
      const oldest = this.entries.oldest();
      if (oldest === undefined || oldest[1].generation >= this.generation - 1) return;
      this.entries.delete(oldest[0]);
    }
  }
}
