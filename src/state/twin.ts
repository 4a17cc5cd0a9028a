import type { Lwm2mRecord } from '../lwm2m/index.js';
import { BoundedMap, type OverflowCounters } from '../util/bounded-map.js';
import { MAX_SHARED_PATHS, SharedStrings } from '../util/shared-strings.js';
import { isSecretPath } from './secrets.js';
import type { NumericSeries, ResourceState, StateListener } from './types.js';

/** Endpoints with resources in the twin: a fleet of 10^6 meters fits. */
export const MAX_TWIN_ENDPOINTS = 1 << 20;
/** Resource values over all endpoints: eight per meter of a fleet of 10^6. */
export const MAX_RESOURCES = 1 << 23;
const MAX_PER_ENDPOINT = 1024;
/** Up to this many values an endpoint's resources are a list searched in order; past it, a Map. */
const LIST_MAX = 8;
/** Characters kept of a string value; a longer one is cut, and counted (`state.resource-strings`). */
export const MAX_STRING = 1024;
/** Samples kept per numeric resource. */
export const SERIES_CAPACITY = 32;

/**
 * One endpoint's resources: the value itself while it has one, an exactly sized list up to
 * LIST_MAX, a Map past that. A meter reports a handful of resources, and a Map per meter costs
 * some 200 bytes before its first entry; a list of a few is searched as fast as a Map is.
 */
export type EndpointResources = ResourceState | readonly ResourceState[] | ReadonlyMap<string, ResourceState>;

/** The resource at `path` among one endpoint's resources. */
export function resourceAt(resources: EndpointResources, path: string): ResourceState | undefined {
  if (resources instanceof Map) return resources.get(path);
  if (Array.isArray(resources)) {
    for (let i = 0; i < resources.length; i++) if (resources[i].path === path) return resources[i];
    return undefined;
  }
  const single = resources as ResourceState;
  return single.path === path ? single : undefined;
}

function countOf(resources: EndpointResources): number {
  return resources instanceof Map ? resources.size : Array.isArray(resources) ? resources.length : 1;
}

function valuesOf(resources: EndpointResources): IterableIterator<ResourceState> {
  return resources instanceof Map ? resources.values() : Array.isArray(resources) ? resources.values() : [resources as ResourceState].values();
}

/** `resources` with `res` added (a new list or Map when it outgrows its form; a Map past LIST_MAX is added to in place). */
function withResource(resources: EndpointResources | undefined, res: ResourceState): EndpointResources {
  if (resources === undefined) return res;
  if (resources instanceof Map) return (resources as Map<string, ResourceState>).set(res.path, res);
  const list = Array.isArray(resources) ? resources : [resources as ResourceState];
  if (list.length < LIST_MAX) {
    // Sized exactly: a spread or push leaves room for 16 more.
    const grown = new Array<ResourceState>(list.length + 1);
    for (let i = 0; i < list.length; i++) grown[i] = list[i];
    grown[list.length] = res;
    return grown;
  }
  const map = new Map<string, ResourceState>();
  for (const r of list) map.set(r.path, r);
  return map.set(res.path, res);
}

export interface TwinBounds {
  /** Endpoints (state.twin-endpoints). */
  endpoints?: number;
  /** Resource values over all endpoints (state.resources). */
  resources?: number;
}

/**
 * Device twin: the last value and time of every resource seen in a payload, and (unless told
 * not to) a ring of recent samples for numeric ones. Values of credential objects are never
 * recorded. Bounded three ways, each counted: endpoints and values overall drop the endpoint
 * whose values changed least recently, with all its values; past MAX_PER_ENDPOINT paths an
 * endpoint's new paths are not recorded (one endpoint must not push out the fleet).
 */
export class DeviceTwin {
  private readonly byEndpoint: BoundedMap<string, EndpointResources>;
  private readonly maxResources: number;
  private count = 0;
  /** Values dropped with their endpoint (either bound). */
  private valuesEvicted = 0;
  /** New paths of an endpoint already at MAX_PER_ENDPOINT, not recorded. */
  private refused = 0;
  /** String values cut to MAX_STRING. */
  private stringsCut = 0;
  /** The paths values keep: one copy of each, not the payload's own (a value per meter lives for good). */
  private readonly paths: SharedStrings;

  /** `series`: keep recent samples of numeric resources, not only their last value. */
  constructor(
    private readonly listener: StateListener,
    private readonly series = true,
    bounds: TwinBounds = {},
    counters?: OverflowCounters,
  ) {
    this.maxResources = bounds.resources ?? MAX_RESOURCES;
    this.byEndpoint = new BoundedMap('state.twin-endpoints', bounds.endpoints ?? MAX_TWIN_ENDPOINTS, counters, (resources) => this.forget(resources));
    counters?.register('state.resources', this.maxResources, () => this.valuesEvicted);
    counters?.register('state.resources-per-endpoint', MAX_PER_ENDPOINT, () => this.refused);
    counters?.register('state.resource-strings', MAX_STRING, () => this.stringsCut);
    this.paths = new SharedStrings('state.resource-paths', MAX_SHARED_PATHS, counters);
  }

  /** Values not recorded or dropped because a bound was reached. */
  get dropped(): number {
    return this.valuesEvicted + this.refused;
  }

  get(endpoint: string, path: string): ResourceState | undefined {
    const resources = this.byEndpoint.peek(endpoint);
    return resources === undefined ? undefined : resourceAt(resources, path);
  }

  /** One endpoint's resources, for many lookups of the same endpoint (with resourceAt). */
  resourcesOf(endpoint: string): EndpointResources | undefined {
    return this.byEndpoint.peek(endpoint);
  }

  resources(endpoint: string): IterableIterator<ResourceState> | undefined {
    const resources = this.byEndpoint.peek(endpoint);
    return resources === undefined ? undefined : valuesOf(resources);
  }

  /** Records carried by one message of `endpoint`, sent at capture time `ts`. */
  apply(endpoint: string, records: readonly Lwm2mRecord[], ts: number): void {
    // Marks the endpoint as the most recently changed, so the bound never drops the one being written.
    let resources = this.byEndpoint.get(endpoint);
    const changed = this.listener.resourceChanged;
    for (const r of records) {
      const value = r.value;
      if (value === null || isSecretPath(r.path)) continue;
      let res = resources === undefined ? undefined : resourceAt(resources, r.path);
      if (!res) {
        if (resources !== undefined && countOf(resources) >= MAX_PER_ENDPOINT) {
          this.refused++;
          continue;
        }
        res = { endpoint, path: this.paths.shared(r.path), name: r.name, type: r.type, value, updatedAt: ts, series: null };
        const grown = withResource(resources, res);
        if (grown !== resources) this.byEndpoint.set(endpoint, (resources = grown));
        this.count++;
        while (this.count > this.maxResources && this.byEndpoint.size > 1) this.dropOldestEndpoint();
      }
      const at = r.time === undefined ? ts : r.timeRelative ? ts + r.time : r.time;
      res.name = r.name;
      res.type = r.type;
      if (typeof value === 'string' && value.length > MAX_STRING) {
        res.value = value.slice(0, MAX_STRING);
        this.stringsCut++;
      } else {
        res.value = value;
      }
      res.updatedAt = at;
      if (typeof value === 'number' && this.series) addSample(res.series ?? (res.series = newSeries()), at, value);
      changed?.call(this.listener, res);
    }
  }

  /** Makes room under the value bound (counted as state.resources, not as the endpoint bound). */
  private dropOldestEndpoint(): void {
    const [name, resources] = this.byEndpoint.oldest()!;
    this.byEndpoint.delete(name);
    this.forget(resources);
  }

  private forget(resources: EndpointResources): void {
    const n = countOf(resources);
    this.count -= n;
    this.valuesEvicted += n;
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
