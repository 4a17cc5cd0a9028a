import { BoundedMap, type OverflowCounters } from '../util/bounded-map.js';
import type { NotificationAttributes } from './types.js';

const NUMERIC = ['pmin', 'pmax', 'gt', 'lt', 'st'] as const;
/** Paths with attributes in force per endpoint; more are not recorded, and counted (`state.attribute-paths`). */
export const MAX_PATHS_PER_ENDPOINT = 64;
/** Endpoints with attributes in force: every meter of a fleet of 10^6. */
export const MAX_ATTRIBUTE_ENDPOINTS = 1 << 20;

/**
 * Write-Attributes in force per endpoint and path (LwM2M core 5.1.2). A bare `pmin` clears
 * that attribute; attributes on a resource override its instance's, which override the
 * object's, so `inForce` merges from the object down.
 */
export class AttributeTable {
  /** Least recently written first out when full: that endpoint's observations then read as having no attributes. */
  private readonly byEndpoint: BoundedMap<string, Map<string, NotificationAttributes>>;
  /** Grows with every change, so readers can cache what inForce returned. */
  version = 0;
  /** Paths not recorded because their endpoint had MAX_PATHS_PER_ENDPOINT already. */
  private pathsDropped = 0;

  constructor(bound = MAX_ATTRIBUTE_ENDPOINTS, counters?: OverflowCounters) {
    this.byEndpoint = new BoundedMap('state.attributes', bound, counters);
    counters?.register('state.attribute-paths', MAX_PATHS_PER_ENDPOINT, () => this.pathsDropped);
  }

  /** Applies one accepted Write-Attributes request's query to `path`. */
  write(endpoint: string, path: string, query: readonly string[]): void {
    this.version++;
    let paths = this.byEndpoint.get(endpoint);
    if (!paths) {
      paths = new Map();
      this.byEndpoint.set(endpoint, paths);
    }
    const attrs: NotificationAttributes = { ...paths.get(path) };
    for (const q of query) {
      const eq = q.indexOf('=');
      const name = eq < 0 ? q : q.slice(0, eq);
      if (!(NUMERIC as readonly string[]).includes(name)) continue;
      const key = name as (typeof NUMERIC)[number];
      const value = eq < 0 ? NaN : Number(q.slice(eq + 1));
      if (Number.isFinite(value)) attrs[key] = value;
      else delete attrs[key];
    }
    if (Object.keys(attrs).length === 0) paths.delete(path);
    else if (paths.has(path) || paths.size < MAX_PATHS_PER_ENDPOINT) paths.set(path, attrs);
    else this.pathsDropped++;
  }

  /** Has `endpoint` any attributes written (most endpoints have none)? */
  has(endpoint: string | null): boolean {
    return endpoint !== null && this.byEndpoint.has(endpoint);
  }

  inForce(endpoint: string | null, path: string): NotificationAttributes {
    const paths = endpoint === null ? undefined : this.byEndpoint.peek(endpoint);
    if (!paths) return {};
    const merged: NotificationAttributes = {};
    const parts = path.split('/').filter(Boolean);
    for (let depth = 1; depth <= parts.length; depth++) Object.assign(merged, paths.get('/' + parts.slice(0, depth).join('/')));
    return merged;
  }

  forget(endpoint: string): void {
    this.version++;
    this.byEndpoint.delete(endpoint);
  }
}
