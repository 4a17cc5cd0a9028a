import { LRUCache } from 'lru-cache';

/**
 * How often one bounded table was full: what the summary, the `runs` row and the dashboard
 * report, so that nothing is dropped silently.
 */
export interface TableOverflow {
  /** The table's name as users read it (e.g. "dtls.endpoint-names"). */
  readonly table: string;
  /** Its bound: the entries it holds at most. */
  readonly bound: number;
  /** Entries dropped to make room for newer ones. */
  readonly evicted: number;
}

/**
 * Every bounded table of one analysis run registers here, so that one place can list which
 * bounds were reached. Tables register themselves when they are made; a run makes a fixed
 * number of tables, so this list does not grow with traffic.
 */
export class OverflowCounters {
  private readonly tables: { readonly table: string; readonly bound: number; readonly evictions: () => number }[] = [];

  register(table: string, bound: number, evictions: () => number): void {
    this.tables.push({ table, bound, evictions });
  }

  /** The tables that dropped entries, with how many (tables of the same name added together). */
  overflows(): TableOverflow[] {
    const byName = new Map<string, { table: string; bound: number; evicted: number }>();
    for (const t of this.tables) {
      const evicted = t.evictions();
      if (evicted === 0) continue;
      const seen = byName.get(t.table);
      if (seen) seen.evicted += evicted;
      else byName.set(t.table, { table: t.table, bound: t.bound, evicted });
    }
    return [...byName.values()];
  }
}

/**
 * A map with a hard bound on its entries: inserting past the bound drops the least recently
 * used entry and counts it. Every operation is O(1) at any size.
 *
 * Why not a plain Map evicted through `map.keys().next()`: V8 keeps deleted entries as
 * tombstones at the front of the table until it rehashes, and each such eviction walks past
 * all of them, which made cost per packet grow with the number of endpoints. lru-cache keeps
 * its order in index-linked typed arrays instead.
 */
export class BoundedMap<K extends {}, V extends {}> {
  private readonly cache: LRUCache<K, V>;
  private dropped = 0;

  /**
   * `counters`: where the table reports its overflow (the run's OverflowCounters); a table
   * made without one still counts (`evicted`).
   */
  constructor(readonly table: string, readonly bound: number, counters?: OverflowCounters) {
    // Bounded by maxSize with every entry of size 1, not by `max`: with `max`, lru-cache
    // allocates its index arrays for the whole bound up front (about 29 MB for 2^20 entries),
    // which tables sized for a utility's million meters would cost every small run too.
    this.cache = new LRUCache<K, V>({
      maxSize: bound,
      sizeCalculation: () => 1,
      dispose: (_value, _key, reason) => {
        if (reason === 'evict') this.dropped++;
      },
    });
    counters?.register(table, bound, () => this.dropped);
  }

  /** The value, marking the entry as recently used. */
  get(key: K): V | undefined {
    return this.cache.get(key);
  }

  /** The value, without marking the entry as used. */
  peek(key: K): V | undefined {
    return this.cache.peek(key);
  }

  has(key: K): boolean {
    return this.cache.has(key);
  }

  /** Inserts or replaces (and marks as recently used); a full table drops its least recently used entry. */
  set(key: K, value: V): void {
    this.cache.set(key, value);
  }

  delete(key: K): boolean {
    return this.cache.delete(key);
  }

  clear(): void {
    this.cache.clear();
  }

  get size(): number {
    return this.cache.size;
  }

  /** Entries dropped because the table was full. */
  get evicted(): number {
    return this.dropped;
  }

  /** Values, most recently used first. */
  values(): IterableIterator<V> {
    return this.cache.values();
  }

  /** Entries, most recently used first. */
  entries(): IterableIterator<[K, V]> {
    return this.cache.entries();
  }
}
