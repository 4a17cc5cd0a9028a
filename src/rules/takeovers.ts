import type { AnalyzedMessage } from '../pipeline/index.js';
import { BoundedMap, type OverflowCounters } from '../util/bounded-map.js';
import { RULE_TABLES, type RuleTableBounds } from './bounds.js';

const CREATED = 0x41; // 2.01
const CHANGED = 0x44; // 2.04
const DELETED = 0x42; // 2.02

/** A registration a client socket held until another socket took it over (what a rule sees as `m.takenOver`). */
export interface TakenOver {
  /** The endpoint name the socket registered as. */
  readonly endpoint: string;
  /** Its registration location at the server (`/rd/0`); null when the server named none. */
  readonly location: string | null;
  /** The socket the server accepted a Register of that name, or an Update of that location, from. */
  readonly by: string;
  /** The frame of the server's answer that accepted it. */
  readonly frame: number;
}

/** Who holds a registration: the socket the server last accepted a Register or Update from. */
interface Holder {
  server: string;
  socket: string;
  location: string | null;
}

/**
 * Which client socket holds each registration, and the sockets that lost theirs to another one.
 * The state tracker moves an endpoint's address on the request; this follows the server's
 * answers instead (2.01 to a Register, 2.04 to an Update, 2.02 to a De-register), so a
 * takeover the server refused is none. The LwM2M stage forgets a location once it is deleted,
 * so a superseded socket still acting on it later is only recognised here.
 *
 * A socket that lost its registration is silent for good when its device rebooted or its NAT
 * mapping changed; one that sends a request on the registration again shows that two parties
 * use the name or location.
 */
export class RegistrationTakeovers {
  /**
   * The state tracker's endpoint record → the socket that holds its registration. Every
   * registered meter has one, so it is keyed by the record rather than by a "server endpoint"
   * string: an entry then holds no string of its own (the sockets and location are the ones
   * the record holds too). It is as bounded as the state's endpoint table: an entry goes with
   * its record. One registration per endpoint name, as in the state: a client registered with
   * two servers has its holder replaced, not superseded, by each.
   */
  private readonly holders = new WeakMap<object, Holder>();
  /** "clientSocket server" → the registration that socket held before another took it over. */
  private readonly superseded: BoundedMap<string, TakenOver>;

  /** `endpoint`: the state tracker's record of an endpoint name, if it keeps one. */
  constructor(private readonly endpoint: (name: string) => object | undefined, bounds: RuleTableBounds, counters?: OverflowCounters) {
    this.superseded = new BoundedMap(RULE_TABLES.supersededSockets, bounds.supersededSockets, counters);
  }

  /**
   * A Register, Update or De-register request: the registration its sender held before another
   * socket took it over, when the request acts on that same registration (the name for a
   * Register, the location for an Update or De-register); null otherwise. Looks, does not learn.
   */
  requested(a: AnalyzedMessage): TakenOver | null {
    const { coap, lwm2m } = a;
    const entry = this.superseded.peek(`${coap.src} ${coap.dst}`);
    if (entry === undefined) return null;
    if (lwm2m!.operation === 'register') return lwm2m!.endpoint === entry.endpoint ? entry : null;
    return entry.location === null || coap.msg.uriPath === entry.location ? entry : null;
  }

  /** A response to a Register, Update or De-register: learns who holds the registration now. */
  answered(a: AnalyzedMessage): void {
    const { coap, lwm2m } = a;
    const request = coap.match.request;
    const endpoint = lwm2m!.endpoint;
    if (request === null || endpoint === null) return;
    const key = this.endpoint(endpoint);
    if (key === undefined) return;
    const code = coap.msg.code;
    switch (lwm2m!.operation) {
      case 'register':
        if (code === CREATED) this.hold(key, request.src, request.dst, endpoint, coap.msg.locationPath, coap.frame);
        return;
      case 'update':
        if (code === CHANGED) this.hold(key, request.src, request.dst, endpoint, request.uriPath, coap.frame);
        return;
      case 'deregister':
        // The socket that lost the registration keeps its entry: deleting it later is still a second party acting on it.
        if (code === DELETED) this.holders.delete(key);
        return;
    }
  }

  private hold(key: object, socket: string, server: string, endpoint: string, location: string | null, frame: number): void {
    const before = this.holders.get(key);
    if (before !== undefined && before.socket !== socket && before.server === server) {
      this.superseded.set(`${before.socket} ${before.server}`, { endpoint, location: before.location, by: socket, frame });
    }
    this.superseded.delete(`${socket} ${server}`);
    if (before === undefined) this.holders.set(key, { server, socket, location });
    else {
      before.server = server;
      before.socket = socket;
      before.location = location;
    }
  }
}
