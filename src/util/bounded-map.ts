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
  private readonly registered: { readonly table: string; readonly bound: number; readonly evictions: () => number }[] = [];

  register(table: string, bound: number, evictions: () => number): void {
    this.registered.push({ table, bound, evictions });
  }

  /** Every table registered, with its bound, in the order they registered (one entry per name). */
  tables(): { table: string; bound: number }[] {
    const byName = new Map<string, { table: string; bound: number }>();
    for (const t of this.registered) if (!byName.has(t.table)) byName.set(t.table, { table: t.table, bound: t.bound });
    return [...byName.values()];
  }

  /** The tables that dropped entries, with how many (tables of the same name added together). */
  overflows(): TableOverflow[] {
    const byName = new Map<string, { table: string; bound: number; evicted: number }>();
    for (const t of this.registered) {
      const evicted = t.evictions();
      if (evicted === 0) continue;
      const seen = byName.get(t.table);
      if (seen) seen.evicted += evicted;
      else byName.set(t.table, { table: t.table, bound: t.bound, evicted });
    }
    return [...byName.values()];
  }
}

/** Every entry counts as one toward the bound. */
const entryWeight = (): number => 1;

/**
 * A map with a hard bound on its entries: inserting past the bound drops the least recently
 * used entry and counts it. Every operation is O(1) at any size.
 *
 * Why not a plain Map evicted through `map.keys().next()`: V8 keeps deleted entries as
 * tombstones at the front of the table until it rehashes, and each such eviction walks past
 * all of them, so that cost per packet grows with the number of endpoints. lru-cache keeps
 * its order in index-linked arrays instead.
 */
export class BoundedMap<K extends {}, V extends {}> {
  private readonly cache: LRUCache<K, V>;
  private dropped = 0;

  /**
   * `counters`: where the table reports its overflow (the run's OverflowCounters); a table
   * made without one still counts (`evicted`). `onEvict`: told of each entry dropped for room,
   * for owners that keep other tables in step (it must not change this map).
   */
  constructor(
    readonly table: string,
    readonly bound: number,
    counters?: OverflowCounters,
    onEvict?: (value: V, key: K) => void,
  ) {
    if (!(bound >= 1)) throw new RangeError(`table ${table}: bound must be at least 1`);
    // The bound is given as maxSize (each entry weighing 1), not as max: given max, lru-cache
    // allocates and fills arrays for the whole bound up front, so a table sized for a million
    // endpoints would cost its full memory and a start-up delay even on a ten-packet capture.
    // Given maxSize, its arrays grow with the entries actually held.
    this.cache = new LRUCache<K, V>({
      maxSize: bound,
      sizeCalculation: entryWeight,
      // disposeAfter, not dispose: lru-cache calls dispose while the entry is still in its
      // lists, where an onEvict that touches the table would corrupt them.
      disposeAfter: (value, key, reason) => {
        if (reason !== 'evict') return;
        this.dropped++;
        onEvict?.(value, key);
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

  /** The least recently used entry, without marking it as used. */
  oldest(): [K, V] | undefined {
    return this.cache.rentries().next().value as [K, V] | undefined;
  }

  /**
   * Drops the least recently used entry and counts it as evicted: for tables that must act on
   * an entry before it goes (and so make room before `set` would drop one).
   */
  evictOldest(): V | undefined {
    return this.cache.pop();
  }

  /** Entries dropped because the table was full. */
  get evicted(): number {
    return this.dropped;
  }

  /** Values, least recently used first (for a table read with peek only: in order of insertion). */
  valuesOldestFirst(): IterableIterator<V> {
    return this.cache.rvalues() as IterableIterator<V>;
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
