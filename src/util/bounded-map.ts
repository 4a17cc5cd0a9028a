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

const INITIAL_CAPACITY = 1024;
const GROWTH = 4;

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
  /**
   * lru-cache allocates its arrays for `max` entries up front (tens of MB for a bound of 10^6),
   * so the cache starts small and is replaced by one GROWTH times as large whenever it fills below
   * the bound: each entry is copied at most 1/(GROWTH-1) times on average (lru-cache's ordered
   * walk and insert are not cheap, hence a large factor), and a short capture pays for what it holds.
   */
  private cache: LRUCache<K, V>;
  private capacity: number;
  private dropped = 0;
  private readonly dispose: (value: V, key: K, reason: LRUCache.DisposeReason) => void;

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
    this.dispose = (value, key, reason) => {
      if (reason !== 'evict') return;
      this.dropped++;
      onEvict?.(value, key);
    };
    this.capacity = Math.min(bound, INITIAL_CAPACITY);
    this.cache = new LRUCache<K, V>({ max: this.capacity, dispose: this.dispose });
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
    if (this.cache.size >= this.capacity && this.capacity < this.bound && !this.cache.has(key)) this.grow();
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

  private grow(): void {
    const old = this.cache;
    this.capacity = Math.min(this.bound, GROWTH * this.capacity);
    this.cache = new LRUCache<K, V>({ max: this.capacity, dispose: this.dispose });
    // Least recently used first, so that the order of use carries over.
    for (const [key, value] of old.rentries() as IterableIterator<[K, V]>) this.cache.set(key, value);
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
