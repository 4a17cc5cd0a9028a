/**
 * A cursor over a Map's keys in insertion order, for tables that evict their oldest entry:
 * each `next()` gives the first key not yet passed, in O(1) amortised at any size.
 *
 * Why not `map.keys().next()` each time: V8 keeps deleted entries as tombstones at the front of
 * the table until it rehashes, and a fresh iterator walks past all of them, so that an eviction
 * costs O(entries evicted so far). One iterator kept and only moved forward passes each once
 * (V8 carries live iterators over a rehash).
 *
 * Why the iterator is dropped once the map has changed more than its size times without the
 * cursor moving: a live iterator keeps the table it last looked at alive, and that table every
 * later one it was rehashed into, so a table that grows or churns without evicting would keep
 * every old copy of itself. After that many changes a fresh iterator's walk past the tombstones
 * costs at most about one step per change.
 */
export class OldestFirst<K> {
  private keys: IterableIterator<K> | undefined = undefined;
  private changes = 0;

  constructor(private readonly map: Map<K, unknown>) {}

  /** To be called on every insert and delete of the map. */
  changed(): void {
    if (this.keys !== undefined && ++this.changes > this.map.size) this.keys = undefined;
  }

  /**
   * The oldest key the cursor has not passed yet (undefined when there is none); the caller
   * deletes it or keeps it, the cursor moves past it either way.
   */
  next(): K | undefined {
    if (this.map.size === 0) return undefined;
    this.changes = 0;
    let step = (this.keys ??= this.map.keys()).next();
    // An iterator that ran out stays done even when entries come after it: start it again.
    if (step.done) step = (this.keys = this.map.keys()).next();
    return step.done ? undefined : step.value;
  }
}
