import { OldestFirst } from './oldest-first.js';

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

/**
 * A map with a hard bound on its entries: inserting past the bound drops the least recently
 * used entry and counts it. Every operation is O(1) (amortised) at any size.
 *
 * The order of use is the Map's own insertion order: a use moves an entry to the end by
 * deleting and inserting it again, so the least recently used entry is the first one left. It
 * is found through a cursor that only moves forward (OldestFirst), not `map.keys().next()`:
 * V8 keeps deleted entries as tombstones until it rehashes the table, and a fresh iterator
 * would walk past all of them at every eviction.
 *
 * Why not a linked list through slot numbers beside the Map (key → slot, and arrays of each
 * slot's key, value and neighbours): that costs some 30 bytes more per entry, and a fleet of
 * 10^6 meters keeps about ten such tables with an entry per meter. A use here costs a delete
 * and an insert of an entry whose table line the lookup has just brought into the cache,
 * where the list cost writes to the neighbours' slots, each a cache miss in a large table.
 * Why not lru-cache: its general machinery (options read on every call, TTL and size
 * bookkeeping) costs more than the lookup itself, and these tables are looked up several
 * times per message.
 */
export class BoundedMap<K extends {}, V extends {}> {
  /** Least recently used first. */
  private readonly map = new Map<K, V>();
  private readonly order: OldestFirst<K>;
  /** The least recently used key once found; undefined: to be found again (it was used or removed). */
  private head: K | undefined = undefined;
  /** The most recently used key, if known: using it again moves nothing. */
  private newest: K | undefined = undefined;
  private dropped = 0;

  /**
   * `counters`: where the table reports its overflow (the run's OverflowCounters); a table
   * made without one still counts (`evicted`). `onEvict`: told of each entry dropped for room,
   * once it is gone (and the entry that took its room is in), for owners that keep other
   * tables in step.
   */
  constructor(
    readonly table: string,
    readonly bound: number,
    counters?: OverflowCounters,
    private readonly onEvict?: (value: V, key: K) => void,
  ) {
    if (!(bound >= 1)) throw new RangeError(`table ${table}: bound must be at least 1`);
    counters?.register(table, bound, () => this.dropped);
    this.order = new OldestFirst(this.map);
  }

  /** The value, marking the entry as recently used. */
  get(key: K): V | undefined {
    const value = this.map.get(key);
    if (value !== undefined && key !== this.newest) this.moveToNewest(key, value);
    return value;
  }

  /** The value, without marking the entry as used. */
  peek(key: K): V | undefined {
    return this.map.get(key);
  }

  has(key: K): boolean {
    return this.map.has(key);
  }

  /** Inserts or replaces (and marks as recently used); a full table drops its least recently used entry. */
  set(key: K, value: V): void {
    if (key === this.newest) {
      this.map.set(key, value);
      return;
    }
    if (this.map.delete(key)) {
      this.removed(key);
      this.insert(key, value);
      return;
    }
    if (this.map.size < this.bound) {
      this.insert(key, value);
      return;
    }
    // Full: the oldest entry goes; its owner hears of it once the new one is in.
    const oldKey = this.oldestKey()!;
    const oldValue = this.map.get(oldKey)!;
    this.remove(oldKey);
    this.dropped++;
    this.insert(key, value);
    this.onEvict?.(oldValue, oldKey);
  }

  delete(key: K): boolean {
    if (!this.map.delete(key)) return false;
    this.removed(key);
    return true;
  }

  clear(): void {
    this.map.clear();
    this.order.changed();
    this.head = this.newest = undefined;
  }

  get size(): number {
    return this.map.size;
  }

  /** The least recently used entry, without marking it as used. */
  oldest(): [K, V] | undefined {
    const key = this.oldestKey();
    return key === undefined ? undefined : [key, this.map.get(key)!];
  }

  /** The least recently used entry's value, without marking it as used (nor allocating). */
  oldestValue(): V | undefined {
    const key = this.oldestKey();
    return key === undefined ? undefined : this.map.get(key);
  }

  /** Deletes the least recently used entry, as `delete` does (not counted as evicted): for owners that expire entries by age. */
  deleteOldest(): void {
    const key = this.oldestKey();
    if (key !== undefined) this.remove(key);
  }

  /**
   * Drops the least recently used entry and counts it as evicted: for tables that must act on
   * an entry before it goes (and so make room before `set` would drop one).
   */
  evictOldest(): V | undefined {
    const key = this.oldestKey();
    if (key === undefined) return undefined;
    const value = this.map.get(key)!;
    this.remove(key);
    this.dropped++;
    this.onEvict?.(value, key);
    return value;
  }

  /** Entries dropped because the table was full. */
  get evicted(): number {
    return this.dropped;
  }

  /** Values, least recently used first (a copy: for listings, not per message). */
  valuesOldestFirst(): IterableIterator<V> {
    return [...this.map.values()].values();
  }

  /** Values, most recently used first (a copy: for listings, not per message). */
  values(): IterableIterator<V> {
    return [...this.map.values()].reverse().values();
  }

  /** Entries, most recently used first (a copy: for listings, not per message). */
  entries(): IterableIterator<[K, V]> {
    return [...this.map.entries()].reverse().values();
  }

  private oldestKey(): K | undefined {
    return (this.head ??= this.order.next());
  }

  private moveToNewest(key: K, value: V): void {
    this.map.delete(key);
    this.removed(key);
    this.insert(key, value);
  }

  private insert(key: K, value: V): void {
    this.map.set(key, value);
    this.order.changed();
    this.newest = key;
  }

  private remove(key: K): void {
    this.map.delete(key);
    this.removed(key);
  }

  /** Bookkeeping after `key` left the map. */
  private removed(key: K): void {
    this.order.changed();
    if (key === this.head) this.head = undefined;
    if (key === this.newest) this.newest = undefined;
  }
}
