import type { Lwm2mRecord } from '../lwm2m/index.js';
import { isSecretPath } from './secrets.js';
import type { NumericSeries, ResourceState, StateListener } from './types.js';

const MAX_RESOURCES = 1_000_000;
const MAX_PER_ENDPOINT = 1024;
const MAX_STRING = 1024;
/** Samples kept per numeric resource. */
export const SERIES_CAPACITY = 32;

/**
 * Device twin: the last value and time of every resource seen in a payload, and (unless told
 * not to) a ring of recent samples for numeric ones. Bounded per endpoint and overall; values
 * of credential objects are never recorded.
 */
export class DeviceTwin {
  private readonly byEndpoint = new Map<string, Map<string, ResourceState>>();
  private count = 0;
  /** Values not recorded because a bound was reached. */
  dropped = 0;

  /** `series`: keep recent samples of numeric resources, not only their last value. */
  constructor(private readonly listener: StateListener, private readonly series = true) {}

  get(endpoint: string, path: string): ResourceState | undefined {
    return this.byEndpoint.get(endpoint)?.get(path);
  }

  /** One endpoint's resources by path: for many lookups of the same endpoint. */
  resourcesOf(endpoint: string): ReadonlyMap<string, ResourceState> | undefined {
    return this.byEndpoint.get(endpoint);
  }

  resources(endpoint: string): IterableIterator<ResourceState> | undefined {
    return this.byEndpoint.get(endpoint)?.values();
  }

  /** Records carried by one message of `endpoint`, sent at capture time `ts`. */
  apply(endpoint: string, records: readonly Lwm2mRecord[], ts: number): void {
    let resources = this.byEndpoint.get(endpoint);
    const changed = this.listener.resourceChanged;
    for (const r of records) {
      const value = r.value;
      if (value === null || isSecretPath(r.path)) continue;
      if (!resources) this.byEndpoint.set(endpoint, (resources = new Map()));
      let res = resources.get(r.path);
      if (!res) {
        if (this.count >= MAX_RESOURCES || resources.size >= MAX_PER_ENDPOINT) {
          this.dropped++;
          continue;
        }
        res = { endpoint, path: r.path, name: r.name, type: r.type, value, updatedAt: ts, series: null };
        resources.set(r.path, res);
        this.count++;
      }
      const at = r.time === undefined ? ts : r.timeRelative ? ts + r.time : r.time;
      res.name = r.name;
      res.type = r.type;
      res.value = typeof value === 'string' && value.length > MAX_STRING ? value.slice(0, MAX_STRING) : value;
      res.updatedAt = at;
      if (typeof value === 'number' && this.series) addSample(res.series ?? (res.series = newSeries()), at, value);
      changed?.call(this.listener, res);
    }
  }
}

function newSeries(): NumericSeries {
  return { data: new Float64Array(2 * SERIES_CAPACITY), start: 0, size: 0 };
}

function addSample(s: NumericSeries, ts: number, value: number): void {
  const slot = (s.start + s.size) % SERIES_CAPACITY;
  s.data[2 * slot] = ts;
  s.data[2 * slot + 1] = value;
  if (s.size < SERIES_CAPACITY) s.size++;
  else s.start = (s.start + 1) % SERIES_CAPACITY;
}

/** A series as [ts, value] pairs, oldest first. */
export function samples(s: NumericSeries): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (let i = 0; i < s.size; i++) {
    const slot = (s.start + i) % SERIES_CAPACITY;
    out.push([s.data[2 * slot], s.data[2 * slot + 1]]);
  }
  return out;
}
