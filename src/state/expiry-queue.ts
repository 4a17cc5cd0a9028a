interface Entry<T> {
  at: number;
  item: T;
}

/**
 * Min-heap of deadlines. Rescheduling pushes a new entry and leaves the old one behind; the
 * owner checks on pop that the deadline is still current (lazy deletion), and the heap is
 * rebuilt from the owner's live deadlines when stale entries pile up.
 */
export class ExpiryQueue<T> {
  private heap: Entry<T>[] = [];

  get size(): number {
    return this.heap.length;
  }

  push(at: number, item: T): void {
    const heap = this.heap;
    heap.push({ at, item });
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (heap[parent].at <= heap[i].at) break;
      [heap[parent], heap[i]] = [heap[i], heap[parent]];
      i = parent;
    }
  }

  /** Earliest deadline, or Infinity when empty. */
  peek(): number {
    return this.heap.length > 0 ? this.heap[0].at : Infinity;
  }

  pop(): Entry<T> | undefined {
    const heap = this.heap;
    const top = heap[0];
    const last = heap.pop();
    if (heap.length > 0 && last) {
      heap[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < heap.length && heap[l].at < heap[m].at) m = l;
        if (r < heap.length && heap[r].at < heap[m].at) m = r;
        if (m === i) break;
        [heap[m], heap[i]] = [heap[i], heap[m]];
        i = m;
      }
    }
    return top;
  }

  /** Replaces the contents with the given live deadlines. */
  rebuild(live: Iterable<[number, T]>): void {
    this.heap = [];
    for (const [at, item] of live) this.push(at, item);
  }
}
