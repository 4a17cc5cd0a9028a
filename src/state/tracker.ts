import type { AnalyzedMessage } from '../pipeline/index.js';
import type { Operation } from '../lwm2m/index.js';
import { BoundedMap, type OverflowCounters } from '../util/bounded-map.js';
import { BootstrapSessions } from './bootstrap.js';
import { ObservationTable } from './observations.js';
import { RegistrationTable } from './registrations.js';
import { DeviceTwin } from './twin.js';
import type { EndpointChange, StateListener } from './types.js';

/** Responses whose payload is the client's current value of what was asked. */
const READ_ANSWERS = new Set<Operation>([
  'read', 'read-composite', 'observe', 'observe-composite', 'cancel-observation', 'cancel-observation-composite',
]);
/** Requests whose payload becomes the client's value once the client accepts it. */
const WRITES = new Set<Operation>(['write', 'write-partial', 'write-composite', 'create']);
/** Write requests awaiting their answer: a write to every meter of a 10^5 rollout in flight at once. */
const MAX_PENDING_WRITES = 1 << 17;

/** Bounds of the state tables (tests set small ones); the defaults hold a fleet of 10^6 meters. */
export interface StateLimits {
  endpoints?: number;
  observations?: number;
  attributeEndpoints?: number;
  twinEndpoints?: number;
  resources?: number;
  bootstrapSessions?: number;
  pendingWrites?: number;
}

export interface StateTrackerOptions {
  /**
   * Track observations, bootstrap sessions and the device twin (default true). Without it
   * only registrations are kept: enough for endpoint records, and cheaper per message.
   */
  content?: boolean;
  /**
   * Keep a ring of recent samples of every numeric resource in the twin (default true): for the
   * dashboard's sparklines and the store's samples; the rules read only last values.
   */
  series?: boolean;
  limits?: StateLimits;
}

/**
 * Endpoint state from the analysed message stream, in capture order: registrations,
 * bootstrap sessions, observations and the device twin. Capture time drives expiry, so
 * `tick` must see every message's timestamp (handle() does it).
 */
export class StateTracker {
  readonly registrations: RegistrationTable;
  readonly observations: ObservationTable;
  readonly bootstrap: BootstrapSessions;
  readonly twin: DeviceTwin;
  /** Write requests waiting for the client's answer, by request frame. */
  private readonly pendingWrites: BoundedMap<number, NonNullable<AnalyzedMessage['lwm2m']>>;
  private readonly content: boolean;

  /** `overflow`: the run's counters, where the state tables report reached bounds. */
  constructor(listener: StateListener = {}, opts: StateTrackerOptions = {}, overflow?: OverflowCounters) {
    this.content = opts.content ?? true;
    const limits = opts.limits ?? {};
    this.pendingWrites = new BoundedMap('state.pending-writes', limits.pendingWrites ?? MAX_PENDING_WRITES, overflow);
    const onEndpointChange = (c: EndpointChange) => {
      if (c.endpoint.state === 'deregistered' || c.endpoint.state === 'expired') {
        this.observations.endpointGone(c.endpoint.name, c.endpoint.state === 'expired' ? 'expiry' : 'deregistration', c.ts);
      }
      listener.endpointChanged?.(c);
    };
    this.registrations = new RegistrationTable({
      endpointChanged: onEndpointChange,
      endpointTouched: (e) => listener.endpointTouched?.(e),
      endpointSeen: (e) => listener.endpointSeen?.(e),
    }, limits.endpoints, overflow);
    this.observations = new ObservationTable(listener, { observations: limits.observations, attributeEndpoints: limits.attributeEndpoints }, overflow);
    this.bootstrap = new BootstrapSessions(listener, limits.bootstrapSessions, overflow);
    this.twin = new DeviceTwin(listener, opts.series ?? true, { endpoints: limits.twinEndpoints, resources: limits.resources }, overflow);
  }

  handle(m: AnalyzedMessage): void {
    this.tick(m.coap.ts);
    this.apply(m);
  }

  /** A DTLS session changed: an endpoint it is linked to records it. */
  dtlsChanged(session: { id: number; endpoint: string | null; state: string; cipherSuite: string | null; pskIdentity: string | null }): void {
    if (session.endpoint === null) return;
    // A name the LwM2M stage gave (the DTLS stage links sessions to those names only), so already bounded.
    this.registrations.linkDtls(session.endpoint, {
      session: session.id, state: session.state, cipherSuite: session.cipherSuite, pskIdentity: session.pskIdentity,
    });
  }

  /** Advances capture time: registrations whose lifetime ran out before `ts` expire. */
  tick(ts: number): void {
    this.registrations.tick(ts);
  }

  /** Applies one message without advancing time (call tick first). */
  apply(m: AnalyzedMessage): void {
    const lwm2m = m.lwm2m;
    if (lwm2m === null || lwm2m.operation === 'unknown') return;
    const op = lwm2m.operation;
    if (op.startsWith('bootstrap-')) {
      // Bootstrap payloads are credentials and server accounts: the sessions keep their shape only.
      if (this.content) this.bootstrap.handle(m);
      return;
    }
    // The LwM2M stage bounds names (endpointName): every record carries the same one.
    const endpoint = lwm2m.endpoint;
    if (endpoint !== null) this.registrations.handle(m, endpoint);
    if (!this.content) return;
    this.observations.handle(m);
    if (endpoint !== null) this.updateTwin(m, endpoint);
  }

  private updateTwin(m: AnalyzedMessage, endpoint: string): void {
    const { coap, lwm2m } = m;
    const role = coap.match.role;
    const ok = coap.msg.code >> 5 === 2;
    const op = lwm2m!.operation;
    if (op === 'notify' || (op === 'send' && role === 'request')) {
      if (ok || op === 'send') this.twin.apply(endpoint, lwm2m!.records, coap.ts);
    } else if (role === 'response' && ok && READ_ANSWERS.has(op)) {
      this.twin.apply(endpoint, lwm2m!.records, coap.ts);
    } else if (role === 'request' && WRITES.has(op) && lwm2m!.records.length > 0 && coap.match.retransmissionOf === null) {
      this.pendingWrites.set(coap.frame, lwm2m!);
    } else if (role === 'response' && WRITES.has(op) && coap.match.request) {
      const write = this.pendingWrites.peek(coap.match.request.frame);
      this.pendingWrites.delete(coap.match.request.frame);
      if (write && ok) this.twin.apply(endpoint, write.records, coap.ts);
    }
  }
}
