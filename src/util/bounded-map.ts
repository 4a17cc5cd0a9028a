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

/** Slot links start this long and double as the table fills (never past the bound). */
const FIRST_SLOTS = 16;
const NONE = -1;

/**
 * A map with a hard bound on its entries: inserting past the bound drops the least recently
 * used entry and counts it. Every operation is O(1) at any size.
 *
 * The order of use is a doubly linked list through slot numbers: the Map gives a key's slot,
 * and parallel arrays hold each slot's key, value and neighbours. It is written out here
 * rather than taken from lru-cache because these tables are looked up several times per
 * message, and lru-cache's general machinery (options read on every call, TTL and size
 * bookkeeping) cost more than the lookup itself. Why not a plain Map reordered by deleting and
 * inserting again on each use: that costs about three lookups per use and churns the table.
 * Why not a Map evicted through `map.keys().next()`: V8 keeps deleted entries as tombstones
 * at the front of the table until it rehashes, and each such eviction walks past all of them,
 * so that cost per packet grows with the size of the table.
 */
export class BoundedMap<K extends {}, V extends {}> {
  private readonly slots = new Map<K, number>();
  private keyAt: (K | undefined)[] = [];
  private valueAt: (V | undefined)[] = [];
  /** Towards the most recently used end. */
  private newer = new Int32Array(FIRST_SLOTS);
  /** Towards the least recently used end. */
  private older = new Int32Array(FIRST_SLOTS);
  private oldestSlot = NONE;
  private newestSlot = NONE;
  /** Slots of deleted entries, for reuse. */
  private readonly free: number[] = [];
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
  }

  /** The value, marking the entry as recently used. */
  get(key: K): V | undefined {
    const slot = this.slots.get(key);
    if (slot === undefined) return undefined;
    if (slot !== this.newestSlot) this.moveToNewest(slot);
    return this.valueAt[slot];
  }

  /** The value, without marking the entry as used. */
  peek(key: K): V | undefined {
    const slot = this.slots.get(key);
    return slot === undefined ? undefined : this.valueAt[slot];
  }

  has(key: K): boolean {
    return this.slots.has(key);
  }

  /** Inserts or replaces (and marks as recently used); a full table drops its least recently used entry. */
  set(key: K, value: V): void {
    const existing = this.slots.get(key);
    if (existing !== undefined) {
      this.valueAt[existing] = value;
      if (existing !== this.newestSlot) this.moveToNewest(existing);
      return;
    }
    if (this.slots.size < this.bound) {
      this.insert(key, value, this.freeSlot());
      return;
    }
    // Full: the oldest entry's slot takes the new one; its owner hears of it once that is in.
    const slot = this.oldestSlot;
    const oldKey = this.keyAt[slot]!;
    const oldValue = this.valueAt[slot]!;
    this.unlink(slot);
    this.slots.delete(oldKey);
    this.dropped++;
    this.insert(key, value, slot);
    this.onEvict?.(oldValue, oldKey);
  }

  delete(key: K): boolean {
    const slot = this.slots.get(key);
    if (slot === undefined) return false;
    this.remove(key, slot);
    return true;
  }

  clear(): void {
    this.slots.clear();
    this.keyAt = [];
    this.valueAt = [];
    this.newer = new Int32Array(FIRST_SLOTS);
    this.older = new Int32Array(FIRST_SLOTS);
    this.oldestSlot = this.newestSlot = NONE;
    this.free.length = 0;
  }

  get size(): number {
    return this.slots.size;
  }

  /** The least recently used entry, without marking it as used. */
  oldest(): [K, V] | undefined {
    const slot = this.oldestSlot;
    return slot === NONE ? undefined : [this.keyAt[slot]!, this.valueAt[slot]!];
  }

  /** The least recently used entry's value, without marking it as used (nor allocating). */
  oldestValue(): V | undefined {
    return this.oldestSlot === NONE ? undefined : this.valueAt[this.oldestSlot];
  }

  /** Deletes the least recently used entry, as `delete` does (not counted as evicted): for owners that expire entries by age. */
  deleteOldest(): void {
    const slot = this.oldestSlot;
    if (slot !== NONE) this.remove(this.keyAt[slot]!, slot);
  }

  /**
   * Drops the least recently used entry and counts it as evicted: for tables that must act on
   * an entry before it goes (and so make room before `set` would drop one).
   */
  evictOldest(): V | undefined {
    const slot = this.oldestSlot;
    if (slot === NONE) return undefined;
    const key = this.keyAt[slot]!;
    const value = this.valueAt[slot]!;
    this.remove(key, slot);
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
    const out: V[] = [];
    for (let s = this.oldestSlot; s !== NONE; s = this.newer[s]) out.push(this.valueAt[s]!);
    return out.values();
  }

  /** Values, most recently used first (a copy: for listings, not per message). */
  values(): IterableIterator<V> {
    const out: V[] = [];
    for (let s = this.newestSlot; s !== NONE; s = this.older[s]) out.push(this.valueAt[s]!);
    return out.values();
  }

  /** Entries, most recently used first (a copy: for listings, not per message). */
  entries(): IterableIterator<[K, V]> {
    const out: [K, V][] = [];
    for (let s = this.newestSlot; s !== NONE; s = this.older[s]) out.push([this.keyAt[s]!, this.valueAt[s]!]);
    return out.values();
  }

  private insert(key: K, value: V, slot: number): void {
    this.keyAt[slot] = key;
    this.valueAt[slot] = value;
    this.slots.set(key, slot);
    this.linkAsNewest(slot);
  }

  private remove(key: K, slot: number): void {
    this.unlink(slot);
    this.slots.delete(key);
    // Cleared so that the table does not keep a dropped value alive.
    this.keyAt[slot] = undefined;
    this.valueAt[slot] = undefined;
    this.free.push(slot);
  }

  private freeSlot(): number {
    if (this.free.length > 0) return this.free.pop()!;
    const slot = this.keyAt.length;
    if (slot === this.newer.length) {
      const length = Math.min(2 * slot, Math.max(this.bound, FIRST_SLOTS));
      const newer = new Int32Array(length);
      newer.set(this.newer);
      this.newer = newer;
      const older = new Int32Array(length);
      older.set(this.older);
      this.older = older;
    }
    this.keyAt.push(undefined);
    this.valueAt.push(undefined);
    return slot;
  }

  private moveToNewest(slot: number): void {
    this.unlink(slot);
    this.linkAsNewest(slot);
  }

  private linkAsNewest(slot: number): void {
    this.older[slot] = this.newestSlot;
    this.newer[slot] = NONE;
    if (this.newestSlot === NONE) this.oldestSlot = slot;
    else this.newer[this.newestSlot] = slot;
    this.newestSlot = slot;
  }

  private unlink(slot: number): void {
    const older = this.older[slot];
    const newer = this.newer[slot];
    if (older === NONE) this.oldestSlot = newer;
    else this.newer[older] = newer;
    if (newer === NONE) this.newestSlot = older;
    else this.older[newer] = older;
  }
}
