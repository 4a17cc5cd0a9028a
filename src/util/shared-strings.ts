import { BoundedMap, type OverflowCounters } from './bounded-map.js';

/**
 * Distinct paths (observed, reported) whose one copy a stage's records share: a fleet uses a few
 * dozen on every meter. The one bound of every table that shares paths.
 */
export const MAX_SHARED_PATHS = 4096;

/**
 * One copy of each distinct string recently seen, for values that many long-lived records hold
 * (the paths every meter of a fleet uses): a record keeps the shared copy instead of the one its
 * message brought, which then goes with the message. Bounded: past the bound the string seen
 * least recently is no longer shared, and records keep their own copy; nothing is lost but
 * memory (the drop is counted, as every table's are).
 */
export class SharedStrings {
  private readonly strings: BoundedMap<string, string>;

  constructor(table: string, bound: number, counters?: OverflowCounters) {
    this.strings = new BoundedMap(table, bound, counters);
  }

  /** The shared copy of `s` (`s` itself when it is the first). */
  shared(s: string): string {
    const kept = this.strings.get(s);
    if (kept !== undefined) return kept;
    this.strings.set(s, s);
    return s;
  }
}
