/**
 * Numeric ids for directed peer pairs, so that exchange tables use numeric keys
 * (pair id × 65536 + message ID). Building a string key per message ("a:1>b:2#123") costs
 * ~200 ns in V8 (concatenation, flattening, hashing), a numeric key ~20 ns; the address strings
 * from the decode stage are cached objects whose hashes V8 keeps.
 * Both directions of a pair share one table entry: `forward(src, dst)` is even or odd by the
 * order of the two addresses, and the reverse direction is always `forward ^ 1`.
 * Ids are never reused: when the table is full it starts afresh, and entries keyed by old ids
 * in other tables simply stop matching and age out.
 */
const MAX_PAIRS = 500_000;

export class PeerPairs {
  private byLower = new Map<string, Map<string, number>>();
  private count = 0;
  private next = 1;

  /** Id of the direction src → dst; the opposite direction is `id ^ 1`. */
  forward(src: string, dst: string): number {
    const swapped = dst < src;
    const lower = swapped ? dst : src;
    const upper = swapped ? src : dst;
    let byUpper = this.byLower.get(lower);
    if (byUpper === undefined) {
      if (this.count >= MAX_PAIRS) {
        this.byLower = new Map();
        this.count = 0;
      }
      byUpper = new Map();
      this.byLower.set(lower, byUpper);
    }
    let id = byUpper.get(upper);
    if (id === undefined) {
      id = 2 * this.next++;
      byUpper.set(upper, id);
      this.count++;
    }
    return swapped ? id + 1 : id;
  }
}
