import type { CoreLink } from '../lwm2m/index.js';
import { BoundedMap, type OverflowCounters } from '../util/bounded-map.js';

const MAX_INTERNED = 4096;
/**
 * Objects and instances kept of one registration's list; the rest is not recorded, and the
 * registrations cut are counted (`state.registration-objects`). Versions are kept of as many
 * (a versioned link is in the list too).
 */
export const MAX_OBJECTS = 512;
const EMPTY: readonly string[] = Object.freeze([]);
const NO_VERSIONS: Readonly<Record<string, string>> = Object.freeze({});

/**
 * Fleets announce the same object list from thousands of devices: one shared frozen copy per
 * distinct list keeps an idle endpoint well under 1 KiB. Bounded: past MAX_INTERNED distinct
 * lists (hostile variety) the least recently announced list is no longer shared: endpoints
 * holding it keep their copy, a later endpoint announcing it gets a new one.
 */
export class InternedLists {
  private readonly lists: BoundedMap<string, readonly string[]>;
  private readonly versions: BoundedMap<string, Readonly<Record<string, string>>>;
  /** Object lists cut to MAX_OBJECTS. */
  private cut = 0;

  constructor(counters?: OverflowCounters) {
    this.lists = new BoundedMap('state.object-lists', MAX_INTERNED, counters);
    this.versions = new BoundedMap('state.object-versions', MAX_INTERNED, counters);
    counters?.register('state.registration-objects', MAX_OBJECTS, () => this.cut);
  }

  objects(list: string[]): readonly string[] {
    if (list.length === 0) return EMPTY;
    if (list.length > MAX_OBJECTS) this.cut++;
    const bounded = list.length > MAX_OBJECTS ? list.slice(0, MAX_OBJECTS) : list;
    return intern(this.lists, bounded.join(','), () => Object.freeze(bounded.slice()));
  }

  /** Object versions from a registration's links (`</3>;ver=1.1`). */
  versionsOf(links: CoreLink[] | null): Readonly<Record<string, string>> {
    if (!links) return NO_VERSIONS;
    const found: Array<[string, string]> = [];
    for (const link of links) {
      const ver = link.attrs.ver;
      if (typeof ver === 'string' && found.length < MAX_OBJECTS) found.push([link.uri.slice(0, 32), ver.slice(0, 16)]);
    }
    if (found.length === 0) return NO_VERSIONS;
    return intern(this.versions, found.map(([p, v]) => `${p}=${v}`).join(','), () => Object.freeze(Object.fromEntries(found)));
  }
}

function intern<T extends {}>(map: BoundedMap<string, T>, key: string, make: () => T): T {
  let value = map.get(key);
  if (value === undefined) {
    value = make();
    map.set(key, value);
  }
  return value;
}
