import { ExpiryQueue } from '../state/expiry-queue.js';

/**
 * Absence deadlines by the whole second they fall in: a timer wheel whose slots are seconds of
 * capture time, kept in a map with a heap of the seconds that have a slot. Arming costs a slot
 * lookup and an append, and a heap push only for a second no other deadline falls in, so the
 * cost per message does not grow with the number of deadlines armed (the heap holds distinct
 * seconds, as many as the spread of `absence.within`, not one entry per key).
 *
 * Entries are moved lazily: a deadline moved later stays in its slot and is filed again when
 * that slot comes due; one moved earlier is filed again at once, and its copy in the later slot
 * is skipped (its `slot` no longer names that second). Entries the owner dropped (fired,
 * evicted) are skipped when their slot comes due, and all are refiled from the owner's live
 * entries when such copies outnumber them.
 */
export interface Deadline {
  /** When it passes (capture time, seconds). */
  deadline: number;
  /** The second whose slot is this entry's current one. */
  slot: number;
}

export class DeadlineWheel<T extends Deadline> {
  private readonly slots = new Map<number, T[]>();
  /** The seconds that have a slot, earliest first. */
  private readonly seconds = new ExpiryQueue<null>();
  /** Entries in all slots, live or left behind. */
  private filed = 0;

  get size(): number {
    return this.filed;
  }

  /** Files an entry under its deadline's second. */
  add(entry: T): void {
    const second = Math.floor(entry.deadline);
    entry.slot = second;
    let slot = this.slots.get(second);
    if (slot === undefined) {
      this.slots.set(second, (slot = []));
      this.seconds.push(second, null);
    }
    slot.push(entry);
    this.filed++;
  }

  /** The entry's deadline changed: filed again only when it moved into an earlier second. */
  moved(entry: T): void {
    if (Math.floor(entry.deadline) < entry.slot) this.add(entry);
  }

  /**
   * The live entries whose deadline is at or before `now`, by deadline (ties in filing order);
   * `live` says whether the owner still holds an entry. Entries whose deadline moved past `now`
   * are filed again.
   */
  due(now: number, live: (entry: T) => boolean): T[] {
    const out: T[] = [];
    const notYet: T[] = [];
    const seconds = this.seconds;
    while (seconds.peek() <= now) {
      const second = seconds.pop()!.at;
      const slot = this.slots.get(second)!;
      this.slots.delete(second);
      this.filed -= slot.length;
      for (const entry of slot) {
        if (entry.slot !== second || !live(entry)) continue;
        if (entry.deadline <= now) out.push(entry);
        else notYet.push(entry);
      }
    }
    // Filed again only after the loop: a deadline later in the second `now` is in goes back
    // into that second's slot, which the loop would otherwise take out again without end.
    for (const entry of notYet) this.add(entry);
    // Stable: ties keep filing order.
    return out.sort((a, b) => a.deadline - b.deadline);
  }

  /** Refiles only the given live entries once left-behind copies outnumber them. */
  compact(live: () => Iterable<T>, liveCount: number): void {
    if (this.filed <= 2 * liveCount + 1024) return;
    this.slots.clear();
    this.seconds.rebuild([]);
    this.filed = 0;
    for (const entry of live()) this.add(entry);
  }
}
