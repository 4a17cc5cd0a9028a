/**
 * What the LwM2M stage must remember to put an endpoint name on every message: registration
 * locations, client addresses, bootstrap servers. This is naming context only; the full
 * endpoint state (lifetimes, objects, observations) is the state stage's job.
 * Bounded: a flood of registrations from spoofed addresses cannot grow it without limit.
 */
const MAX_ENTRIES = 200_000;

function boundedSet<K, V>(map: Map<K, V>, key: K, value: V): void {
  map.delete(key);
  map.set(key, value);
  if (map.size > MAX_ENTRIES) {
    const oldest = map.keys().next().value;
    if (oldest !== undefined) map.delete(oldest);
  }
}

export class EndpointDirectory {
  /** "serverAddress path" → endpoint, from Register responses' Location-Path. */
  private readonly locations = new Map<string, string>();
  /** client address → endpoint, from Register/Update/Bootstrap-Request senders. */
  private readonly clients = new Map<string, string>();
  /** addresses that were sent a Bootstrap-Request. */
  private readonly bootstrapServers = new Map<string, true>();

  registered(endpoint: string, clientAddress: string, serverAddress: string, location: string | null): void {
    boundedSet(this.clients, clientAddress, endpoint);
    if (location !== null) boundedSet(this.locations, `${serverAddress} ${location}`, endpoint);
  }

  bootstrapping(endpoint: string, clientAddress: string, serverAddress: string): void {
    boundedSet(this.clients, clientAddress, endpoint);
    boundedSet(this.bootstrapServers, serverAddress, true);
  }

  /** An update or deregistration seen from a (possibly new, after NAT rebinding) client address. */
  movedTo(endpoint: string, clientAddress: string): void {
    boundedSet(this.clients, clientAddress, endpoint);
  }

  deregistered(serverAddress: string, location: string): void {
    this.locations.delete(`${serverAddress} ${location}`);
  }

  byLocation(serverAddress: string, path: string): string | undefined {
    return this.locations.get(`${serverAddress} ${path}`);
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
