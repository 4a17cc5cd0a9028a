/** How far from the oldest entry eviction looks for one that is safe to forget. */
const EVICTION_SCAN = 1024;

/**
 * Makes room in a bounded table under hostile floods: deletes the oldest entry (insertion
 * order) that `idle` accepts among the first EVICTION_SCAN, else the oldest. Returns the
 * deleted value.
 */
export function evictOne<K, V>(map: Map<K, V>, idle: (v: V) => boolean): V | undefined {
  let victim: K | undefined;
  let found = false;
  let scanned = 0;
  for (const [key, value] of map) {
    if (!found) {
      victim = key;
      found = true;
    }
    if (idle(value)) {
      victim = key;
      break;
    }
    if (++scanned >= EVICTION_SCAN) break;
  }
  if (!found) return undefined;
  const value = map.get(victim as K);
  map.delete(victim as K);
  return value;
}
