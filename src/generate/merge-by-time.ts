/**
 * Merges streams that are each in time order into one stream in time order (a k-way merge on a
 * binary min-heap): every meter's traffic is ordered, and a capture file must be as a whole. The
 * heap holds times and stream numbers in typed arrays, which keeps its comparisons cache-friendly.
 */
export function* mergeByTime<T extends { us: number }>(streams: Array<Iterator<T>>): Generator<T, void> {
  const heads: T[] = [];
  const times = new Float64Array(streams.length);
  const owners = new Int32Array(streams.length);
  let size = 0;
  for (let s = 0; s < streams.length; s++) {
    const first = streams[s].next();
    if (first.done) continue;
    heads[s] = first.value;
    let i = size++;
    while (i > 0 && times[(i - 1) >> 1] > first.value.us) {
      times[i] = times[(i - 1) >> 1];
      owners[i] = owners[(i - 1) >> 1];
      i = (i - 1) >> 1;
    }
    times[i] = first.value.us;
    owners[i] = s;
  }
  while (size > 0) {
    const s = owners[0];
    yield heads[s];
    const next = streams[s].next();
    let time: number;
    if (next.done) {
      size--;
      time = times[size];
      owners[0] = owners[size];
    } else {
      heads[s] = next.value;
      time = next.value.us;
    }
    // Sift the root's new entry down to its place.
    const owner = owners[0];
    let i = 0;
    for (;;) {
      let child = 2 * i + 1;
      if (child >= size) break;
      if (child + 1 < size && times[child + 1] < times[child]) child++;
      if (times[child] >= time) break;
      times[i] = times[child];
      owners[i] = owners[child];
      i = child;
    }
    times[i] = time;
    owners[i] = owner;
  }
}
