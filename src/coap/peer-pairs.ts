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

export class PeerPairs {
  /** "lower\nupper" (the two addresses in order) → the id of the lower → upper direction. */
  private readonly ids: BoundedMap<string, number>;
  private next = 1;

  constructor(bound = MAX_PAIRS, counters?: OverflowCounters) {
    this.ids = new BoundedMap('coap.peer-pairs', bound, counters);
  }

  /** Id of the direction src → dst; the opposite direction is `id ^ 1`. */
  forward(src: string, dst: string): number {
    const swapped = dst < src;
    // One key string per message: addresses are cached strings from the decode stage, and a
    // newline cannot occur in one, so the key is unambiguous.
    const key = swapped ? `${dst}\n${src}` : `${src}\n${dst}`;
    let id = this.ids.get(key);
    if (id === undefined) {
      id = 2 * this.next++;
      this.ids.set(key, id);
    }
    return swapped ? id + 1 : id;
  }
}
