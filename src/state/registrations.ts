import type { AnalyzedMessage } from '../pipeline/index.js';
import { ExpiryQueue } from './expiry-queue.js';
import { InternedLists } from './interned-lists.js';
import { BoundedMap, type OverflowCounters } from '../util/bounded-map.js';
import { capped, queryParam } from './query.js';
import type { EndpointDtls, EndpointState, EndpointStatus, StateListener } from './types.js';

/** LwM2M core 6.2.1: lifetime, binding and version when the Register leaves them out. */
const DEFAULT_LIFETIME = 86_400;
const DEFAULT_BINDING = 'U';
const DEFAULT_VERSION = '1.0';
/** Endpoints tracked at once: a fleet of 10^6 meters fits. */
export const MAX_ENDPOINTS = 1 << 20;
const MAX_ADDRESS_HISTORY = 8;
/**
 * The values of lwm2m= and b= a fleet sends: a query's copy of one of these is replaced by the
 * constant, so that each endpoint record does not keep a string of its own (a fleet of 10^6
 * meters sends the same few). Any other value is kept as sent.
 */
const COMMON_VALUES = new Map(['1.0', '1.1', '1.2', '2.0', 'U', 'UQ', 'T', 'TQ', 'S', 'SQ', 'US', 'UQS', 'N', 'UN'].map((v) => [v, v]));

/** `value` capped, a common value's constant in place of the query's copy. */
function shared(value: string, max: number): string {
  return COMMON_VALUES.get(value) ?? capped(value, max);
}

/**
 * The registration interface as seen on the wire: one entry per endpoint name, driven by
 * Register / Update / De-register and their responses. Expiry runs on capture time (tick),
 * so a file analysed offline and the same traffic live reach the same states.
 */
export class RegistrationTable {
  /**
   * By endpoint name, least recently heard from first out when full: an endpoint that talks
   * again after being dropped starts afresh (its next Register or Update).
   */
  private readonly endpoints: BoundedMap<string, EndpointState>;
  private readonly expiries = new ExpiryQueue<EndpointState>();
  /** Endpoints kept, by state: kept in step on every change and eviction, so that reading it costs nothing at any size. */
  private readonly byState: Record<EndpointStatus, number> = { registering: 0, registered: 0, expired: 0, deregistered: 0, rejected: 0 };
  private readonly lists: InternedLists;

  /** DTLS sessions linked to endpoints not (yet) registered: the PSK identity names them before the Register. */
  private readonly pendingDtls: BoundedMap<string, EndpointDtls>;

  /**
   * `bound`: endpoints kept (and DTLS links pending); `counters`: the run's overflow counters.
   * A dropped endpoint's observations, attributes and resources stay in their own bounded
   * tables (and age out of them): they are still true of the traffic seen.
   */
  constructor(private readonly listener: StateListener, bound = MAX_ENDPOINTS, counters?: OverflowCounters) {
    this.endpoints = new BoundedMap('state.endpoints', bound, counters, (ep) => void this.byState[ep.state]--);
    this.pendingDtls = new BoundedMap('state.pending-dtls', bound, counters);
    this.lists = new InternedLists(counters);
  }

  /** Endpoints forgotten because the table was full. */
  get evicted(): number {
    return this.endpoints.evicted;
  }

  /** A DTLS session linked to endpoint `name` changed. */
  linkDtls(name: string, dtls: EndpointDtls): void {
    const ep = this.endpoints.peek(name);
    if (ep) {
      ep.dtls = dtls;
      this.listener.endpointTouched?.(ep);
      return;
    }
    this.pendingDtls.set(name, dtls);
  }

  /** The endpoint, if kept (reading it does not count as the endpoint being heard from). */
  get(name: string): EndpointState | undefined {
    return this.endpoints.peek(name);
  }

  /** Every endpoint kept, least recently heard from first. */
  all(): IterableIterator<EndpointState> {
    return this.endpoints.valuesOldestFirst();
  }

  get size(): number {
    return this.endpoints.size;
  }

  /** How many endpoints kept are in each state. */
  countsByState(): Readonly<Record<EndpointStatus, number>> {
    return this.byState;
  }

  /** Expires every registration whose lifetime ran out before capture time `ts`. */
  tick(ts: number): void {
    while (this.expiries.peek() < ts) {
      const { at, item: ep } = this.expiries.pop()!;
      if (ep.expiresAt !== at || ep.state !== 'registered' || this.endpoints.peek(ep.name) !== ep) continue;
      this.setState(ep, 'expired', at, null);
    }
  }

  /** `name`: the message's endpoint, already bounded in length by the caller. */
  handle(m: AnalyzedMessage, name: string): EndpointState | undefined {
    const { coap, lwm2m } = m;
    let ep = this.endpoints.get(name);
    const fresh = coap.match.retransmissionOf === null;
    const op = lwm2m!.operation;
    let changed = true;
    if (coap.match.role === 'request' && op === 'register' && fresh) ep = this.register(m, name, ep);
    else if (coap.match.role === 'request' && op === 'update' && fresh && ep) this.applyParams(ep, m);
    else if (ep && coap.match.role === 'response' && (op === 'register' || op === 'update' || op === 'deregister')) this.answered(ep, m);
    else changed = false;
    if (ep) {
      ep.lastSeen = coap.ts;
      if (changed) this.listener.endpointTouched?.(ep);
      else this.listener.endpointSeen?.(ep);
    }
    return ep;
  }

  private register(m: AnalyzedMessage, name: string, ep: EndpointState | undefined): EndpointState {
    const ts = m.coap.ts;
    const isNew = !ep;
    if (!ep) {
      ep = {
        name, state: 'registering', location: null, address: m.coap.src, previousAddresses: null,
        lifetime: DEFAULT_LIFETIME, binding: DEFAULT_BINDING, lwm2mVersion: DEFAULT_VERSION, sms: null, queueMode: false,
        objects: this.lists.objects([]), objectVersions: this.lists.versionsOf(null),
        registeredAt: null, updatedAt: null, expiresAt: null, lastSeen: ts, dtls: this.pendingDtls.get(name) ?? null,
      };
      this.endpoints.set(name, ep);
    } else {
      // A Register replaces the registration: what the old one said no longer holds.
      ep.lifetime = DEFAULT_LIFETIME;
      ep.binding = DEFAULT_BINDING;
      ep.lwm2mVersion = DEFAULT_VERSION;
      ep.sms = null;
      ep.queueMode = false;
      ep.location = null;
      ep.expiresAt = null;
    }
    const version = queryParam(m.coap.msg.uriQuery, 'lwm2m');
    if (version) ep.lwm2mVersion = shared(version, 16);
    this.applyParams(ep, m);
    // Announced once the record carries what this Register asked for.
    this.setState(ep, 'registering', ts, m.coap.frame, isNew);
    return ep;
  }

  /** Parameters a Register or Update may carry (LwM2M core 5.3.1/5.3.2). */
  private applyParams(ep: EndpointState, m: AnalyzedMessage): void {
    const query = m.coap.msg.uriQuery;
    const lt = queryParam(query, 'lt');
    if (lt !== null && /^\d{1,10}$/.test(lt)) ep.lifetime = Number(lt);
    const binding = queryParam(query, 'b');
    if (binding) ep.binding = shared(binding, 16);
    const sms = queryParam(query, 'sms');
    if (sms !== null) ep.sms = capped(sms, 32);
    // 1.0 says queue mode in the binding ("UQ"); 1.1 has a separate bare Q parameter.
    if (queryParam(query, 'Q') !== null || binding !== null) ep.queueMode = queryParam(query, 'Q') !== null || ep.binding.includes('Q');
    const lwm2m = m.lwm2m!;
    if (lwm2m.objects) {
      ep.objects = this.lists.objects(lwm2m.objects);
      ep.objectVersions = this.lists.versionsOf(lwm2m.links);
    }
    this.moveTo(ep, m.coap.src);
  }

  private answered(ep: EndpointState, m: AnalyzedMessage): void {
    const { coap, lwm2m } = m;
    const cls = coap.msg.code >> 5;
    const ts = coap.ts;
    const op = lwm2m!.operation;
    if (op === 'register' && ep.state === 'registering') {
      if (cls === 2) {
        ep.location = coap.msg.locationPath === null ? null : capped(coap.msg.locationPath, 64);
        ep.registeredAt = ts;
        ep.updatedAt = ts;
        this.extend(ep, ts);
        this.setState(ep, 'registered', ts, coap.frame);
      } else if (cls === 4 || cls === 5) {
        this.setState(ep, 'rejected', ts, coap.frame);
      }
    } else if (op === 'update' && cls === 2 && (ep.state === 'registered' || ep.state === 'expired')) {
      ep.updatedAt = ts;
      this.extend(ep, ts);
      // An Update the server accepts after the lifetime ran out means the server still held it.
      if (ep.state === 'expired') this.setState(ep, 'registered', ts, coap.frame);
    } else if (op === 'deregister' && cls === 2 && ep.state !== 'deregistered') {
      ep.expiresAt = null;
      this.setState(ep, 'deregistered', ts, coap.frame);
    }
  }

  private extend(ep: EndpointState, ts: number): void {
    ep.expiresAt = ts + ep.lifetime;
    this.expiries.push(ep.expiresAt, ep);
    if (this.expiries.size > 2 * this.endpoints.size + 1024) {
      const live: Array<[number, EndpointState]> = [];
      for (const e of this.endpoints.values()) if (e.state === 'registered' && e.expiresAt !== null) live.push([e.expiresAt, e]);
      this.expiries.rebuild(live);
    }
  }

  private moveTo(ep: EndpointState, address: string): void {
    if (ep.address === address) return;
    const history = ep.previousAddresses ?? (ep.previousAddresses = []);
    history.push(ep.address);
    if (history.length > MAX_ADDRESS_HISTORY) history.shift();
    ep.address = address;
  }

  private setState(ep: EndpointState, state: EndpointStatus, ts: number, frame: number | null, isNew = false): void {
    const previous = isNew ? null : ep.state;
    if (previous !== null) this.byState[previous]--;
    this.byState[state]++;
    ep.state = state;
    if (previous !== state) this.listener.endpointChanged?.({ endpoint: ep, previous, ts, frame });
  }
}
