/**
 * A Map that forgets its oldest entries: by age (capture time, so offline and live agree)
 * and by count, so hostile traffic cannot grow it without bound. Entries are kept in
 * insertion order, which is time order for a capture, so eviction only looks at the front.
 */
export class BoundedMap<V extends { ts: number }> {
  private readonly map = new Map<string, V>();

  constructor(
    private readonly maxAgeSeconds: number,
    private readonly maxEntries: number,
  ) {}

  get(key: string): V | undefined {
    return this.map.get(key);
  }

  set(key: string, value: V, now: number): void {
    // Re-inserting moves the key to the back, keeping the front the oldest.
    this.map.delete(key);
    this.map.set(key, value);
    if (this.map.size > this.maxEntries) this.evictOldest(this.map.size - this.maxEntries);
    this.expire(now);
  }

  delete(key: string): void {
    this.map.delete(key);
  }

  get size(): number {
    return this.map.size;
  }

  private expire(now: number): void {
    const limit = now - this.maxAgeSeconds;
    for (const [key, value] of this.map) {
      if (value.ts >= limit) break;
      this.map.delete(key);
    }
  }

  private evictOldest(count: number): void {
    for (const key of this.map.keys()) {
      if (count-- <= 0) break;
      this.map.delete(key);
    }
  }
}
