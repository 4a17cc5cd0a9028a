import { BoundedMap, type OverflowCounters } from '../util/bounded-map.js';

/**
 * Numeric ids for directed peer pairs, so that exchange tables use numeric keys
 * (pair id × 65536 + message ID) instead of building a key string per table per message.
 * Both directions of a pair share one table entry: `forward(src, dst)` is even or odd by the
 * order of the two addresses, and the reverse direction is always `forward ^ 1`.
 * Ids are never reused: when the table is full its least recently used pair is dropped
 * (counted); if that pair talks again it gets a new id, and entries keyed by its old id in
 * other tables simply stop matching and age out.
 */
export const MAX_PAIRS = 1 << 21;

/** The two addresses of a pair, in order. */
interface Pair {
  readonly lower: string;
  readonly upper: string;
}

export class PeerPairs {
  /**
   * lower address → upper address → id. Looked up by the two address strings themselves, not
   * by a key joined from them: the decode stage hands out cached address strings whose hashes
   * V8 keeps, where a joined key would be built, flattened and hashed again for every message.
   */
  private readonly byLower = new Map<string, Map<string, number>>();
  /** id → its pair, in order of use: the bound, and which pair goes when it is reached. */
  private readonly recent: BoundedMap<number, Pair>;
  private next = 1;

  constructor(bound = MAX_PAIRS, counters?: OverflowCounters) {
    this.recent = new BoundedMap('coap.peer-pairs', bound, counters, (pair) => this.forget(pair));
  }

  /** Id of the direction src → dst; the opposite direction is `id ^ 1`. */
  forward(src: string, dst: string): number {
    const swapped = dst < src;
    const lower = swapped ? dst : src;
    const upper = swapped ? src : dst;
    let id = this.byLower.get(lower)?.get(upper);
    if (id === undefined) {
      id = 2 * this.next++;
      // First, as it may drop a pair from byLower (even the last one under `lower`).
      this.recent.set(id, { lower, upper });
      let byUpper = this.byLower.get(lower);
      if (byUpper === undefined) this.byLower.set(lower, (byUpper = new Map()));
      byUpper.set(upper, id);
    } else {
      this.recent.get(id);
    }
    return swapped ? id + 1 : id;
  }

  private forget(pair: Pair): void {
    const byUpper = this.byLower.get(pair.lower)!;
    byUpper.delete(pair.upper);
    if (byUpper.size === 0) this.byLower.delete(pair.lower);
  }
}
