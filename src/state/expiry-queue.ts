interface Entry<T> {
  at: number;
  item: T;
}

/**
 * Min-heap of deadlines. Rescheduling pushes a new entry and leaves the old one behind; the
 * owner checks on pop that the deadline is still current (lazy deletion), and the heap is
 * rebuilt from the owner's live deadlines when stale entries pile up.
 *
 * Deadlines and items are two parallel arrays rather than an array of {at, item}: a registration
 * table holds an entry per meter, and an object with a boxed number per entry costs about four
 * times the two array slots.
 */
export class ExpiryQueue<T> {
  private ats: number[] = [];
  private items: T[] = [];

  get size(): number {
    return this.ats.length;
  }

  push(at: number, item: T): void {
    const ats = this.ats;
    const items = this.items;
    ats.push(at);
    items.push(item);
    let i = ats.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (ats[parent] <= at) break;
      ats[i] = ats[parent];
      items[i] = items[parent];
      i = parent;
    }
    ats[i] = at;
    items[i] = item;
  }

  /** Earliest deadline, or Infinity when empty. */
  peek(): number {
    return this.ats.length > 0 ? this.ats[0] : Infinity;
  }

  pop(): Entry<T> | undefined {
    const ats = this.ats;
    const items = this.items;
    if (ats.length === 0) return undefined;
    const top = { at: ats[0], item: items[0] };
    const lastAt = ats.pop()!;
    const lastItem = items.pop()!;
    const n = ats.length;
    if (n > 0) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = -1;
        let min = lastAt;
        if (l < n && ats[l] < min) {
          m = l;
          min = ats[l];
        }
        if (r < n && ats[r] < min) m = r;
        if (m < 0) break;
        ats[i] = ats[m];
        items[i] = items[m];
        i = m;
      }
      ats[i] = lastAt;
      items[i] = lastItem;
    }
    return top;
  }

  /** Replaces the contents with the given live deadlines. */
  rebuild(live: Iterable<[number, T]>): void {
    this.ats = [];
    this.items = [];
    for (const [at, item] of live) this.push(at, item);
  }
}
