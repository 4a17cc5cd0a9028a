/**
 * A map that forgets entries not used for a while, in O(1): entries live in a current and a
 * previous generation; at each rotation the previous generation is dropped whole.
 * Why not one Map evicted from its oldest end: V8 keeps deleted Map entries as tombstones
 * until it rehashes, so repeatedly scanning from the front costs O(deletions) each time and
 * made long captures quadratic.
 *
 * An entry lives at least `period` (in the caller's clock, capture time for offline/live
 * agreement) and at most twice that; a `get` moves it into the current generation, so
 * entries in use stay. `maxEntries` bounds memory: a generation that fills early rotates.
 */
export class GenerationalMap<K, V> {
  private current = new Map<K, V>();
  private previous = new Map<K, V>();
  private rotatedAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly period: number,
    private readonly maxEntries: number,
  ) {}

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
    if (now - this.rotatedAt >= this.period || this.current.size >= this.maxEntries / 2) {
      this.previous = this.current;
      this.current = new Map();
      this.rotatedAt = now;
    }
    this.previous.delete(key);
    this.current.set(key, value);
  }

  delete(key: K): void {
    this.current.delete(key);
    this.previous.delete(key);
  }

  get size(): number {
    return this.current.size + this.previous.size;
  }
}
