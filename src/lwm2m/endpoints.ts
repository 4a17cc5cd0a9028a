import { BoundedMap, type OverflowCounters } from '../util/bounded-map.js';

/**
 * Registration locations and client addresses kept: one each for every meter of a 10^6-meter
 * fleet, with room to spare for addresses left behind by NAT rebinding (the least recently
 * seen is dropped first, and counted). A flood of registrations from spoofed addresses cannot
 * grow the tables past it.
 */
export const MAX_ENDPOINT_ENTRIES = 1_048_576;
/**
 * Bootstrap servers kept: a deployment has a handful; the bound only stops a flood of spoofed
 * Bootstrap-Requests to random addresses from growing the table.
 */
export const MAX_BOOTSTRAP_SERVERS = 4_096;

/**
 * What the LwM2M stage must remember to put an endpoint name on every message: registration
 * locations, client addresses, bootstrap servers. This is naming context only; the full
 * endpoint state (lifetimes, objects, observations) is the state stage's job.
 */
export class EndpointDirectory {
  /** "serverAddress path" → endpoint, from Register responses' Location-Path. */
  private readonly locations: BoundedMap<string, string>;
  /** client address → endpoint, from Register/Update/Bootstrap-Request senders. */
  private readonly clients: BoundedMap<string, string>;
  /** addresses that were sent a Bootstrap-Request. */
  private readonly bootstrapServers: BoundedMap<string, true>;

  /** `entries`: the bound of the location and client-address tables (smaller only in tests). */
  constructor(counters?: OverflowCounters, entries = MAX_ENDPOINT_ENTRIES) {
    this.locations = new BoundedMap('lwm2m.registration-locations', entries, counters);
    this.clients = new BoundedMap('lwm2m.client-addresses', entries, counters);
    this.bootstrapServers = new BoundedMap('lwm2m.bootstrap-servers', MAX_BOOTSTRAP_SERVERS, counters);
  }

  registered(endpoint: string, clientAddress: string, serverAddress: string, location: string | null): void {
    this.clients.set(clientAddress, endpoint);
    if (location !== null) this.locations.set(locationKey(serverAddress, location), endpoint);
  }

  bootstrapping(endpoint: string, clientAddress: string, serverAddress: string): void {
    this.clients.set(clientAddress, endpoint);
    this.bootstrapServers.set(serverAddress, true);
  }

  /** An update or deregistration seen from a (possibly new, after NAT rebinding) client address. */
  movedTo(endpoint: string, clientAddress: string): void {
    this.clients.set(clientAddress, endpoint);
  }

  deregistered(serverAddress: string, location: string): void {
    this.locations.delete(locationKey(serverAddress, location));
  }

  // Lookups count as use: an endpoint that keeps talking keeps its entries (its location is
  // stated only at registration, then looked up by every Update).
  byLocation(serverAddress: string, path: string): string | undefined {
    return this.locations.get(locationKey(serverAddress, path));
  }

  byClientAddress(address: string): string | undefined {
    return this.clients.get(address);
  }

  /** The endpoint at either end of a message whose direction does not say which is the client. */
  byEitherAddress(first: string, second: string): string | null {
    return this.clients.get(first) ?? this.clients.get(second) ?? null;
  }

  isBootstrapServer(address: string): boolean {
    return this.bootstrapServers.has(address);
  }
}

/**
 * "serverAddress path", built flat: a template literal makes a rope of two concatenations,
 * which the table would keep (with its flattened copy) for every meter's registration.
 */
function locationKey(serverAddress: string, path: string): string {
  return [serverAddress, path].join(' ');
}
