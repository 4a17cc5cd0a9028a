/**
 * Small integer ids for directed peer pairs ("sender → receiver"), so that exchange tables
 * can use numeric keys (pair id × 65536 + message ID). Building a string key per message
 * ("a:1>b:2#123") costs ~200 ns in V8 (concatenation, flattening, hashing), a numeric key
 * ~20 ns; the address strings from the decode stage are cached objects whose hashes V8 keeps.
 * Ids are never reused: when the table is full it starts afresh, and entries keyed by old ids
 * in other tables simply stop matching and age out.
 */
const MAX_PAIRS = 500_000;

export class PeerPairs {
  private bySender = new Map<string, Map<string, number>>();
  private count = 0;
  private next = 1;

  id(src: string, dst: string): number {
    let byReceiver = this.bySender.get(src);
    if (byReceiver === undefined) {
      if (this.count >= MAX_PAIRS) {
        this.bySender = new Map();
        this.count = 0;
      }
      byReceiver = new Map();
      this.bySender.set(src, byReceiver);
    }
    let id = byReceiver.get(dst);
    if (id === undefined) {
      id = this.next++;
      byReceiver.set(dst, id);
      this.count++;
    }
    return id;
  }
}
