import { isObserveCancel, type ExchangeRecord } from '../coap/index.js';
import type { AnalyzedMessage } from '../pipeline/index.js';
import { BoundedMap, type OverflowCounters } from '../util/bounded-map.js';
import { MAX_SHARED_PATHS } from '../util/shared-strings.js';
import { AttributeTable, MAX_ATTRIBUTE_ENDPOINTS } from './attributes.js';
import type { ObservationEnd, ObservationState, StateListener } from './types.js';

/** Observations kept: two per meter of a fleet of 10^6. */
export const MAX_OBSERVATIONS = 1 << 21;
/** Paths recorded of one Observe-Composite; the observations cut are counted (`state.composite-paths`). */
export const MAX_PATHS = 64;
/** RFC 7641 3.4: sequence numbers are 24-bit; a notification 128 s newer is fresh whatever its number. */
const SEQ_HALF = 1 << 23;
const FRESHNESS_WINDOW = 128;

/**
 * Observations (RFC 7641 / LwM2M Observe), one per client, server and token: from the Observe
 * request through its notifications to how it ended.
 */
export class ObservationTable {
  readonly attributes: AttributeTable;
  /**
   * By client, server and token. Read with peek only, so when full the observation started
   * longest ago goes first: most notifications find their observation through byRequest,
   * without the key string that marking it used here would cost per notification.
   */
  private readonly byKey: BoundedMap<string, ObservationState>;
  /**
   * The same observations by their Observe request's exchange record, which the CoAP stage
   * hands with every notification: found without building a key string per notification.
   * Weak: records go when the CoAP stage forgets them.
   */
  private readonly byRequest = new WeakMap<ExchangeRecord, ObservationState>();
  /**
   * Live observations per endpoint, to end them when the registration ends. Bounded by byKey:
   * every observation here is live in byKey, and one dropped from byKey is unlinked here.
   * Most endpoints have one live observation: it is kept as it is, a Set only for several
   * (a Set costs some 150 bytes, this table holds an entry per observed meter).
   */
  private readonly liveByEndpoint = new Map<string, ObservationState | Set<ObservationState>>();
  private nextId = 1;
  /** Observations not ended (requested or active) still kept: counted in and out as they start, end or are evicted. */
  private openCount = 0;
  /**
   * The one-path list every observation of that path shares (a list of its own costs an
   * observation some 60 bytes). Past the bound the least recently observed path is no longer shared.
   */
  private readonly sharedPaths: BoundedMap<string, readonly string[]>;
  /** Observe-Composite requests with more than MAX_PATHS paths. */
  private compositesCut = 0;

  constructor(
    private readonly listener: StateListener,
    bounds: { observations?: number; attributeEndpoints?: number } = {},
    counters?: OverflowCounters,
  ) {
    this.byKey = new BoundedMap('state.observations', bounds.observations ?? MAX_OBSERVATIONS, counters, (obs) => {
      // Evicted while open: it leaves the open count now (an evicted observation is counted by nothing).
      if (obs.endedAt === null) this.openCount--;
      this.unlink(obs);
    });
    this.attributes = new AttributeTable(bounds.attributeEndpoints ?? MAX_ATTRIBUTE_ENDPOINTS, counters);
    this.sharedPaths = new BoundedMap('state.observed-paths', MAX_SHARED_PATHS, counters);
    counters?.register('state.composite-paths', MAX_PATHS, () => this.compositesCut);
  }

  /** Observations forgotten because the table was full. */
  get evicted(): number {
    return this.byKey.evicted;
  }

  /** Observations requested or active (not ended) that the table keeps. */
  get open(): number {
    return this.openCount;
  }

  all(): IterableIterator<ObservationState> {
    return this.byKey.valuesOldestFirst();
  }

  handle(m: AnalyzedMessage): void {
    const { coap, lwm2m } = m;
    const op = lwm2m!.operation;
    const fresh = coap.match.retransmissionOf === null;
    switch (coap.match.role) {
      case 'request':
        if (!fresh) return;
        if (op === 'observe' || op === 'observe-composite') this.requested(m);
        else if (op === 'cancel-observation' || op === 'cancel-observation-composite') {
          this.end(this.byKey.peek(key(coap.dst, coap.src, coap.msg.token)), 'cancelled', 'cancel', coap.ts);
        }
        return;
      case 'response':
        // A notify that is a plain response: its Observe request came before the capture.
        if (op === 'notify') {
          if (fresh) this.notified(m);
        } else if (op === 'observe' || op === 'observe-composite') {
          this.answered(m);
        } else if (op === 'write-attributes' && coap.msg.code >> 5 === 2) this.attributesWritten(m);
        return;
      case 'notification':
        if (fresh) this.notified(m);
        return;
      case 'reset':
        this.reset(coap.match.request, coap.ts);
        return;
      default:
    }
  }

  /** The observation whose Observe request is `request` (what the CoAP stage matches a notification to). */
  forRequest(request: ExchangeRecord): ObservationState | undefined {
    return this.byRequest.get(request);
  }

  /** The observation a notification or Observe response (client → server) belongs to, if known. */
  fromClient(client: string, server: string, token: string): ObservationState | undefined {
    return this.byKey.peek(key(client, server, token));
  }

  /** Ends every live observation of an endpoint whose registration ended. */
  endpointGone(endpoint: string, why: 'deregistration' | 'expiry', ts: number): void {
    if (!this.liveByEndpoint.has(endpoint)) return;
    for (const obs of this.liveOf(endpoint)) this.end(obs, 'ended', why, ts);
    this.attributes.forget(endpoint);
  }

  private requested(m: AnalyzedMessage): void {
    const { coap, lwm2m } = m;
    const k = key(coap.dst, coap.src, coap.msg.token);
    const existing = this.byKey.peek(k);
    // RFC 7641 4.1: the same token again re-registers the same observation.
    let obs = existing;
    if (!obs || obs.endedAt !== null) {
      const composite = lwm2m!.operation === 'observe-composite';
      if (composite && lwm2m!.records.length > MAX_PATHS) this.compositesCut++;
      const paths = composite ? lwm2m!.records.slice(0, MAX_PATHS).map((r) => r.path) : this.onePath(lwm2m!.path ?? coap.msg.uriPath ?? '/');
      obs = this.create(k, lwm2m!.endpoint, coap.msg.token, coap.dst, coap.src, paths, composite, 'requested', coap.ts);
    }
    if (coap.match.record) this.byRequest.set(coap.match.record, obs);
  }

  private answered(m: AnalyzedMessage): void {
    const { coap } = m;
    const obs = this.byKey.peek(key(coap.src, coap.dst, coap.msg.token));
    if (!obs || obs.state !== 'requested') return;
    if (coap.msg.code >> 5 === 2 && coap.msg.observe !== null) {
      obs.state = 'active';
      obs.lastSeq = coap.msg.observe;
      obs.lastNotifiedAt = coap.ts;
    } else {
      // An error, or a plain response: the client declined to keep the observation.
      obs.state = 'rejected';
      obs.endedAt = coap.ts;
      this.uncount(obs);
      this.unlink(obs);
    }
    this.listener.observationChanged?.(obs);
  }

  private notified(m: AnalyzedMessage): void {
    const { coap, lwm2m } = m;
    const request = coap.match.request;
    if (request !== null && isObserveCancel(request)) {
      // The CoAP stage matches a notification after a cancel to the cancel: the client kept
      // notifying on an observation the server had ended.
      const cancelled = this.byKey.peek(key(coap.src, coap.dst, coap.msg.token));
      if (cancelled && cancelled.endedAt !== null) {
        cancelled.lateNotifications++;
        this.listener.observationChanged?.(cancelled);
        return;
      }
    }
    let obs = request ? this.byRequest.get(request) : undefined;
    obs ??= this.byKey.peek(key(coap.src, coap.dst, coap.msg.token));
    if (!obs || obs.endedAt !== null) {
      // The observation started before the capture (or its end was not seen): track it from here.
      obs = this.create(key(coap.src, coap.dst, coap.msg.token), lwm2m!.endpoint, coap.msg.token, coap.src, coap.dst, lwm2m!.path ? this.onePath(lwm2m!.path) : NO_PATHS, false, 'active', coap.ts);
    }
    obs.state = 'active';
    obs.notifications++;
    const seq = coap.msg.observe;
    if (seq !== null) {
      if (obs.lastSeq === null || obs.lastNotifiedAt === null || isFresher(obs.lastSeq, seq, obs.lastNotifiedAt, coap.ts)) {
        obs.lastSeq = seq;
      } else {
        obs.reordered++;
      }
    }
    obs.lastNotifiedAt = coap.ts;
    if (coap.msg.code >> 5 !== 2) this.end(obs, 'ended', 'error', coap.ts);
    else this.listener.observationChanged?.(obs);
  }

  /** A Reset answering a notification cancels the observation (RFC 7641 3.6). */
  private reset(notification: ExchangeRecord | null, ts: number): void {
    if (!notification) return;
    this.end(this.byKey.peek(key(notification.src, notification.dst, notification.token)), 'cancelled', 'reset', ts);
  }

  private attributesWritten(m: AnalyzedMessage): void {
    const { coap, lwm2m } = m;
    const request = coap.match.request;
    if (!request || lwm2m!.endpoint === null || lwm2m!.path === null) return;
    this.attributes.write(lwm2m!.endpoint, lwm2m!.path, request.uriQuery);
    for (const obs of this.liveOf(lwm2m!.endpoint)) this.listener.observationChanged?.(obs);
  }

  /** The shared list of one path. */
  private onePath(path: string): readonly string[] {
    let paths = this.sharedPaths.get(path);
    if (paths === undefined) this.sharedPaths.set(path, (paths = Object.freeze([path])));
    return paths;
  }

  private create(k: string, endpoint: string | null, token: string, client: string, server: string, paths: readonly string[], composite: boolean, state: 'requested' | 'active', ts: number): ObservationState {
    const obs: ObservationState = {
      id: this.nextId++, endpoint, token, client, server, paths, composite, state, endedBy: null,
      startedAt: ts, endedAt: null, notifications: 0, lastSeq: null, lastNotifiedAt: null, reordered: 0, lateNotifications: 0,
    };
    this.byKey.set(k, obs);
    this.openCount++;
    if (endpoint !== null) {
      const live = this.liveByEndpoint.get(endpoint);
      if (live === undefined) this.liveByEndpoint.set(endpoint, obs);
      else if (live instanceof Set) live.add(obs);
      else this.liveByEndpoint.set(endpoint, new Set([live, obs]));
    }
    this.listener.observationChanged?.(obs);
    return obs;
  }

  private end(obs: ObservationState | undefined, state: 'cancelled' | 'ended', why: ObservationEnd, ts: number): void {
    if (!obs || obs.endedAt !== null) return;
    obs.state = state;
    obs.endedBy = why;
    obs.endedAt = ts;
    this.uncount(obs);
    this.unlink(obs);
    this.listener.observationChanged?.(obs);
  }

  /**
   * An open observation ends: it leaves the open count unless it was evicted before (then it left
   * at eviction). An observation is in the count exactly while it is open and still in byKey, so
   * no set of counted observations is needed (it would cost an entry per meter).
   */
  private uncount(obs: ObservationState): void {
    if (this.byKey.peek(key(obs.client, obs.server, obs.token)) === obs) this.openCount--;
  }

  private unlink(obs: ObservationState): void {
    if (obs.endpoint === null) return;
    const live = this.liveByEndpoint.get(obs.endpoint);
    if (live === obs) this.liveByEndpoint.delete(obs.endpoint);
    else if (live instanceof Set) {
      live.delete(obs);
      if (live.size === 0) this.liveByEndpoint.delete(obs.endpoint);
    }
  }

  /** The live observations of an endpoint, as a copy (ending them changes the table). */
  private liveOf(endpoint: string): ObservationState[] {
    const live = this.liveByEndpoint.get(endpoint);
    return live === undefined ? [] : live instanceof Set ? [...live] : [live];
  }
}

const NO_PATHS: readonly string[] = Object.freeze([]);

function key(client: string, server: string, token: string): string {
  return `${client}|${server}|${token}`;
}

/** RFC 7641 3.4: is notification (v2, t2) newer than (v1, t1)? */
function isFresher(v1: number, v2: number, t1: number, t2: number): boolean {
  return (v1 < v2 && v2 - v1 < SEQ_HALF) || (v1 > v2 && v1 - v2 > SEQ_HALF) || t2 > t1 + FRESHNESS_WINDOW;
}
