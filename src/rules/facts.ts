import { CODE_STRINGS, isObserveCancel, type ExchangeRecord } from '../coap/index.js';
import { contentFormatName } from '../lwm2m/payload/index.js';
import type { AnalyzedMessage } from '../pipeline/index.js';
import type { EndpointChange, NotificationAttributes, ObservationState, StateTracker } from '../state/index.js';
import { BoundedMap, type OverflowCounters } from '../util/bounded-map.js';
import { markFixedGetters } from './compile.js';
import { RULE_TABLES, type RuleTableBounds } from './bounds.js';
import { hostOf, markTransient } from './expr.js';
import type { DeclaredServers } from './servers.js';
import { RegistrationTakeovers, type TakenOver } from './takeovers.js';

/** Operations a client sends to its server: their destination is the client's server. */
const TO_SERVER = new Set(['register', 'update', 'deregister', 'send']);
/** The registration interface: who holds a registration changes only through these. */
const REGISTRATION = new Set(['register', 'update', 'deregister']);
/** Device-management requests a server sends to a client. */
const FROM_SERVER = new Set([
  'read', 'read-composite', 'discover', 'write', 'write-partial', 'write-composite', 'write-attributes', 'execute',
  'create', 'delete', 'observe', 'observe-composite', 'cancel-observation', 'cancel-observation-composite',
]);

/** The fields of `m`, for validating `require:` lists. */
export const MESSAGE_FACTS = [
  'frame', 'ts', 'src', 'dst', 'srcHost', 'dstHost', 'transport', 'size', 'type', 'code', 'codeClass', 'role', 'isRequest',
  'isResponse', 'mid', 'token', 'uriPath', 'path', 'query', 'q', 'contentFormat', 'contentFormatName', 'unknownContentFormat',
  'accept', 'observe', 'payloadLength', 'retransmission', 'responseTo', 'responseTime', 'requestSize', 'afterCancel', 'error',
  'operation', 'endpoint', 'records', 'objects', 'payloadError', 'peerIsServer', 'unmatched', 'dtlsPeer', 'takenOver',
] as const satisfies ReadonlyArray<keyof MessageFacts>;

/** What a rule sees as `m`: the message, flattened (see rules/README.md for every field). */
export interface MessageFacts {
  frame: number;
  ts: number;
  src: string;
  dst: string;
  srcHost: string;
  dstHost: string;
  transport: string;
  size: number;
  type: string | null;
  code: string;
  codeClass: number;
  role: string;
  isRequest: boolean;
  isResponse: boolean;
  mid: number | null;
  token: string;
  uriPath: string | null;
  path: string | null;
  query: string[];
  q: Record<string, string>;
  contentFormat: number | null;
  contentFormatName: string | null;
  /** A Content-Format no registry names. */
  unknownContentFormat: boolean;
  accept: number | null;
  observe: number | null;
  payloadLength: number;
  retransmission: boolean;
  responseTo: number | null;
  responseTime: number | null;
  requestSize: number | null;
  afterCancel: boolean;
  error: string | null;
  operation: string | null;
  /**
   * The LwM2M stage's endpoint name; on a registration request from a socket whose
   * registration was taken over (takenOver), the name that socket registered as when the stage
   * no longer knows the location.
   */
  endpoint: string | null;
  records: unknown[];
  objects: string[] | null;
  payloadError: string | null;
  /**
   * Is the server-side peer (the sender of a device-management request, the receiver of its
   * answer) a socket (address and port) the endpoint registered with or bootstrapped from, or a
   * declared server (--servers)? null when neither is known.
   */
  peerIsServer: boolean | null;
  /** A response or notification that matches no request seen (and is no retransmission). */
  unmatched: boolean;
  /** Either address's host was seen as a DTLS client. */
  dtlsPeer: boolean;
  /**
   * On a Register, Update or De-register: the registration its sender held before the server
   * accepted another socket's Register of the name or Update of the location, when the request
   * acts on that registration again; null otherwise.
   */
  takenOver: TakenOver | null;
}

const NO_ATTRIBUTES: NotificationAttributes = Object.freeze({});
const NO_QUERY: Record<string, string> = Object.freeze(Object.create(null) as Record<string, string>);
const NO_RECORDS: unknown[] = Object.freeze([]) as unknown as unknown[];

/**
 * Builds rule variables from the pipeline's output and the state tracker, and remembers the
 * little that neither keeps: each endpoint's servers.
 */
export class FactBuilder {
  /**
   * Endpoint → the sockets ("address:port") it registered with or bootstrapped from. A server
   * sends its requests from the socket its clients registered with, so the socket, not the
   * host, is its identity: another port on the server's host (or behind the same NAT) is not it.
   * Most endpoints have one server: its socket is kept as it is, a list only for several (a Set
   * costs some 150 bytes, and this table holds an entry per meter).
   */
  private readonly servers: BoundedMap<string, string | string[]>;
  private readonly serversPerEndpoint: number;
  /** Server sockets not remembered because their endpoint had serversPerEndpoint already. */
  private serversDropped = 0;
  /**
   * Observation → the attributes in force found for it: asked on every notification, and
   * merging them from the attribute table costs a path split and merge each time. Kept weakly,
   * with the observation: it holds no more than the state's observations do, and finding an
   * entry costs one lookup by the object in hand, with no order of use to keep. It holds for
   * the attribute table's version `attributesVersion`; any change to the table (which moves the
   * version on) would make every entry stale, so the map is then replaced as a whole.
   */
  private attributesFound = new WeakMap<ObservationState, NotificationAttributes>();
  private attributesVersion = -1;
  private readonly takeovers: RegistrationTakeovers;
  /** m.takenOver of the current message, found by note(). */
  private takenOver: TakenOver | null = null;
  private readonly facts: MessageFacts;
  /** How each field of `facts` is computed. */
  private readonly fields: { [K in keyof MessageFacts]: () => MessageFacts[K] };
  /** The message `facts` answers for. */
  private current!: AnalyzedMessage;
  /** Fields read more than once or costly to compute, kept for the current message (undefined: not yet). */
  private srcHost: string | undefined;
  private dstHost: string | undefined;
  private query: Record<string, string> | undefined;

  /**
   * `dtlsHosts`: hosts seen as DTLS clients (the engine fills it from DTLS session changes);
   * `declared`: the servers the operator named (--servers), null when none.
   */
  constructor(
    private readonly state: StateTracker, private readonly dtlsHosts: { has(host: string): boolean; readonly size: number },
    bounds: RuleTableBounds, counters?: OverflowCounters, private readonly declared: DeclaredServers | null = null,
  ) {
    this.servers = new BoundedMap(RULE_TABLES.endpointServers, bounds.endpointServers, counters);
    this.serversPerEndpoint = bounds.serversPerEndpoint;
    counters?.register(RULE_TABLES.serversPerEndpoint, bounds.serversPerEndpoint, () => this.serversDropped);
    this.takeovers = new RegistrationTakeovers((name) => state.registrations.get(name), bounds, counters);
    this.fields = this.fieldGetters();
    this.facts = {} as MessageFacts;
    for (const name of MESSAGE_FACTS) Object.defineProperty(this.facts, name, { get: this.fields[name], enumerable: true });
    markTransient(this.facts);
    markFixedGetters(this.facts);
  }

  /** A field of `m` for the current message, read without looking it up by name (require: checks). */
  reader(field: keyof MessageFacts): () => unknown {
    return this.fields[field];
  }

  /**
   * Bookkeeping every message needs, whether or not a rule looks at it: which
   * server sockets each endpoint registered with, and which client socket holds each
   * registration (a request's m.takenOver is what that table said before the request).
   */
  note(a: AnalyzedMessage): void {
    const { coap, lwm2m } = a;
    const match = coap.match;
    this.takenOver = null;
    const registration = lwm2m !== null && REGISTRATION.has(lwm2m.operation);
    if (registration && match.role === 'response') this.takeovers.answered(a);
    if (match.role !== 'request' || match.retransmissionOf !== null) return;
    if (registration) this.takenOver = this.takeovers.requested(a);
    const op = lwm2m?.operation;
    if (lwm2m?.endpoint && op && (TO_SERVER.has(op) || op === 'bootstrap-request') && this.fromClient(lwm2m.endpoint, coap.src)) {
      this.rememberServer(lwm2m.endpoint, coap.dst);
    }
  }

  /**
   * Does a message to a server come from the endpoint's client? Not when the endpoint is
   * registered from another socket: otherwise anyone could make a socket of theirs a "server"
   * of the endpoint by sending it a Register in the endpoint's name, and then command the
   * device unnoticed. The state is the one before the message (the rules run first).
   */
  private fromClient(endpoint: string, src: string): boolean {
    const ep = this.state.registrations.get(endpoint);
    return ep === undefined || ep.state !== 'registered' || ep.address === src;
  }

  /**
   * The message as `m`: one object for every message, whose fields are computed from the
   * current message when a rule reads them (most rules read two or three of forty, and a
   * message must not cost an allocation). It is valid until the next message; what outlives
   * the message (an armed absence deadline, an event's evidence) keeps a copy.
   */
  message(a: AnalyzedMessage): MessageFacts {
    this.current = a;
    this.srcHost = this.dstHost = this.query = undefined;
    return this.facts;
  }

  /**
   * The observation a notification or Observe message belongs to: the live state object, so
   * an absence rule's deadline sees how it stands then.
   */
  observation(m: MessageFacts, request: ExchangeRecord | null): ObservationState | null {
    // A notification's Observe request finds it without building a key string.
    const byRequest = request === null ? undefined : this.state.observations.forRequest(request);
    if (byRequest) return byRequest;
    if (m.isResponse) return this.state.observations.fromClient(m.src, m.dst, m.token) ?? null;
    if (m.isRequest) return this.state.observations.fromClient(m.dst, m.src, m.token) ?? null;
    return null;
  }

  /** Write-Attributes in force on an observation's path (pmin, pmax, gt, lt, st). */
  attributes(obs: ObservationState | null): NotificationAttributes {
    if (obs === null) return NO_ATTRIBUTES;
    // The table changes rarely (every change, an endpoint dropped included, moves its version
    // on): what it said is kept until it changes. Looked for before the table and the paths,
    // which are other objects, whose lines are cold by then.
    const table = this.state.observations.attributes;
    if (table.version !== this.attributesVersion) {
      this.attributesFound = new WeakMap();
      this.attributesVersion = table.version;
    }
    const found = this.attributesFound.get(obs);
    if (found !== undefined) return found;
    // Most endpoints have none: nothing to merge, and nothing to keep per observation.
    if (!table.has(obs.endpoint) || obs.paths.length !== 1) return NO_ATTRIBUTES;
    const attrs = table.inForce(obs.endpoint, obs.paths[0]);
    this.attributesFound.set(obs, attrs);
    return attrs;
  }

  /**
   * The client's bootstrap session: the one of its address, or else the latest one of its
   * endpoint name from the same host (a client may bootstrap from one socket and register from
   * another, as Anjay does).
   */
  bootstrap(m: MessageFacts): unknown {
    const sessions = this.state.bootstrap;
    const byAddress = sessions.forClient(m.src) ?? sessions.forClient(m.dst);
    const name = m.endpoint;
    if (name === null || byAddress?.endpoint === name) return byAddress ?? null;
    const byName = sessions.forEndpoint(name);
    const clientHost = m.isRequest ? m.srcHost : m.dstHost;
    if (byName !== undefined && hostOf(byName.client) === clientHost) return byName;
    return byAddress ?? null;
  }

  endpoint(name: string | null): unknown {
    return name === null ? null : (this.state.registrations.get(name) ?? null);
  }

  run(): Record<string, number> {
    return { bootstraps: this.state.bootstrap.started, endpoints: this.state.registrations.size };
  }

  change(c: EndpointChange): Record<string, unknown> {
    return { from: c.previous, to: c.endpoint.state, frame: c.frame };
  }

  /** `m`'s fields, made getters of it: own enumerable properties, so CEL, spreading and JSON see plain fields. */
  private fieldGetters(): { [K in keyof MessageFacts]: () => MessageFacts[K] } {
    const coap = () => this.current.coap;
    const msg = () => this.current.coap.msg;
    const role = () => this.current.coap.match.role;
    const request = () => this.current.coap.match.request;
    const lwm2m = () => this.current.lwm2m;
    const isResponse = () => role() === 'response' || role() === 'notification';
    const srcHost = () => (this.srcHost ??= hostOf(coap().src));
    const dstHost = () => (this.dstHost ??= hostOf(coap().dst));
    const cfName = () => {
      const cf = msg().contentFormat;
      return cf === null ? null : contentFormatName(cf);
    };
    return {
      frame: () => coap().frame,
      ts: () => coap().ts,
      src: () => coap().src,
      dst: () => coap().dst,
      srcHost,
      dstHost,
      transport: () => coap().transport,
      size: () => coap().size,
      type: () => msg().type,
      code: () => CODE_STRINGS[msg().code],
      codeClass: () => msg().code >> 5,
      role,
      isRequest: () => role() === 'request',
      isResponse,
      mid: () => msg().mid,
      token: () => msg().token,
      uriPath: () => msg().uriPath,
      path: () => lwm2m()?.path ?? msg().uriPath ?? request()?.uriPath ?? null,
      query: () => msg().uriQuery,
      q: () => (this.query ??= msg().uriQuery.length === 0 ? NO_QUERY : parseQuery(msg().uriQuery)),
      contentFormat: () => msg().contentFormat,
      contentFormatName: cfName,
      unknownContentFormat: () => cfName() === 'unknown',
      accept: () => msg().accept,
      observe: () => msg().observe,
      payloadLength: () => msg().payload.length,
      retransmission: () => coap().match.retransmissionOf !== null,
      responseTo: () => (role() === 'request' ? null : (request()?.frame ?? null)),
      responseTime: () => coap().match.responseTime,
      requestSize: () => {
        const r = request();
        return r !== null && isRequestRecord(r) ? r.size : null;
      },
      afterCancel: () => {
        // Only a response or notification is the client notifying; the server's empty ACK of a
        // confirmable notification matches the notification, whose Observe 1 is a sequence number.
        const r = role();
        if (r !== 'response' && r !== 'notification') return false;
        const req = request();
        return req !== null && isObserveCancel(req) && lwm2m()?.operation === 'notify';
      },
      error: () => msg().error,
      operation: () => lwm2m()?.operation ?? null,
      endpoint: () => lwm2m()?.endpoint ?? this.takenOver?.endpoint ?? null,
      records: () => lwm2m()?.records ?? NO_RECORDS,
      objects: () => lwm2m()?.objects ?? null,
      payloadError: () => lwm2m()?.payloadError ?? null,
      peerIsServer: () => {
        const endpoint = lwm2m()?.endpoint ?? null;
        const op = lwm2m()?.operation ?? null;
        if (endpoint === null || op === null || !FROM_SERVER.has(op)) return null;
        const peer = role() === 'request' ? coap().src : coap().dst;
        const known = this.servers.get(endpoint);
        const declared = this.declared;
        if (declared !== null && declared.has(peer)) return true;
        if (known !== undefined) return typeof known === 'string' ? known === peer : known.includes(peer);
        // With servers declared, a peer that is none of them is a stranger even to an endpoint whose registration was not seen.
        return declared === null ? null : false;
      },
      unmatched: () => isResponse() && request() === null && coap().match.retransmissionOf === null,
      dtlsPeer: () => this.dtlsHosts.size > 0 && (this.dtlsHosts.has(srcHost()) || this.dtlsHosts.has(dstHost())),
      takenOver: () => this.takenOver,
    };
  }

  private rememberServer(endpoint: string, socket: string): void {
    const sockets = this.servers.get(endpoint);
    if (sockets === undefined) {
      this.servers.set(endpoint, socket);
      return;
    }
    if (typeof sockets === 'string' ? sockets === socket : sockets.includes(socket)) return;
    // The first servers stay: a flood of registrations to new sockets cannot push out the real one.
    const count = typeof sockets === 'string' ? 1 : sockets.length;
    if (count >= this.serversPerEndpoint) this.serversDropped++;
    else if (typeof sockets === 'string') this.servers.set(endpoint, [sockets, socket]);
    else sockets.push(socket);
  }
}

/**
 * A record of a request, not of a confirmable response that an ACK matched or a ping (an empty
 * CON over UDP; over TCP, where there are no pings, an empty message is a request).
 */
function isRequestRecord(r: ExchangeRecord): boolean {
  return r.code >> 5 === 0 && (r.code !== 0 || r.type === null);
}

/** ["ep=x", "lt=300", "Q"] → {ep: "x", lt: "300", Q: ""}. */
function parseQuery(query: string[]): Record<string, string> {
  const q = Object.create(null) as Record<string, string>;
  for (const item of query) {
    const eq = item.indexOf('=');
    if (eq < 0) q[item] = '';
    else q[item.slice(0, eq)] = item.slice(eq + 1);
  }
  return q;
}
