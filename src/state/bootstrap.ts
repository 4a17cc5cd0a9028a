import { CODE_STRINGS } from '../coap/index.js';
import type { AnalyzedMessage } from '../pipeline/index.js';
import { BoundedMap, type OverflowCounters } from '../util/bounded-map.js';
import { valueLength } from './secrets.js';
import type { BootstrapSession, StateListener } from './types.js';

/**
 * Bootstrap sessions kept. Fewer than endpoints: a session with its steps costs a few KiB, and
 * bootstrapping is a passing event (each session is handed to the store and the rules as it
 * changes), so the least recently active session is the one to go.
 */
export const MAX_BOOTSTRAP_SESSIONS = 1 << 17;
/** Steps recorded per session; later ones are not, and counted (`state.bootstrap-steps`). */
export const MAX_STEPS = 256;
/** Paths recorded per Bootstrap-Write; the writes cut are counted (`state.bootstrap-written`). */
export const MAX_WRITTEN = 64;

/**
 * Bootstrap sessions, one per client address: the Bootstrap-Request, what the bootstrap
 * server read, wrote, discovered and deleted, and the Bootstrap-Finish (or the error that
 * ended it). Written values are credentials: only their path and length are kept.
 */
export class BootstrapSessions {
  private readonly byClient: BoundedMap<string, BootstrapSession>;
  /**
   * The latest session of each endpoint name: a client may bootstrap from one socket and
   * register from another (Anjay opens one per server), so its registration finds its
   * bootstrap by name, not by address.
   */
  private readonly byEndpoint: BoundedMap<string, BootstrapSession>;
  private nextId = 1;
  private stepsRefused = 0;
  private writesCut = 0;

  constructor(private readonly listener: StateListener, bound = MAX_BOOTSTRAP_SESSIONS, counters?: OverflowCounters) {
    this.byClient = new BoundedMap('state.bootstrap-sessions', bound, counters);
    this.byEndpoint = new BoundedMap('state.bootstrap-by-endpoint', bound, counters);
    counters?.register('state.bootstrap-steps', MAX_STEPS, () => this.stepsRefused);
    counters?.register('state.bootstrap-written', MAX_WRITTEN, () => this.writesCut);
  }

  all(): IterableIterator<BootstrapSession> {
    return this.byClient.valuesOldestFirst();
  }

  /** The latest bootstrap session of a client address, if any. */
  forClient(client: string): BootstrapSession | undefined {
    return this.byClient.peek(client);
  }

  /** The latest bootstrap session that named this endpoint, if any. */
  forEndpoint(endpoint: string): BootstrapSession | undefined {
    return this.byEndpoint.peek(endpoint);
  }

  /** Sessions started in this run (also those since evicted). */
  get started(): number {
    return this.nextId - 1;
  }

  handle(m: AnalyzedMessage): void {
    const { coap, lwm2m } = m;
    const op = lwm2m!.operation;
    const isRequest = coap.match.role === 'request';
    if (isRequest && coap.match.retransmissionOf !== null) return;
    if (op === 'bootstrap-request' || op === 'bootstrap-pack-request') {
      if (isRequest) this.start(m);
      else if (coap.match.role === 'response') this.answered(this.byClient.get(coap.dst), m);
      return;
    }
    if (!op.startsWith('bootstrap-')) return;
    // Everything else is the bootstrap server talking to the client, and the client answering.
    const session = this.byClient.get(isRequest ? coap.dst : coap.src);
    if (!session || session.state !== 'running') return;
    if (isRequest) {
      if (session.steps.length >= MAX_STEPS) {
        this.stepsRefused++;
        return;
      }
      if (op === 'bootstrap-write' && lwm2m!.records.length > MAX_WRITTEN) this.writesCut++;
      const written = op === 'bootstrap-write'
        ? lwm2m!.records.slice(0, MAX_WRITTEN).map((r) => ({ path: r.path, length: valueLength(r.type, r.value) }))
        : undefined;
      session.steps.push({ operation: op, path: lwm2m!.path, ts: coap.ts, frame: coap.frame, ...(written && { written }) });
      this.listener.bootstrapChanged?.(session);
    } else if (coap.match.role === 'response') {
      this.answered(session, m);
    }
  }

  private start(m: AnalyzedMessage): void {
    const { coap, lwm2m } = m;
    const session: BootstrapSession = {
      id: this.nextId++, endpoint: lwm2m!.endpoint, client: coap.src, server: coap.dst, state: 'running',
      startedAt: coap.ts, finishedAt: null, error: null,
      steps: [{ operation: lwm2m!.operation, path: null, ts: coap.ts, frame: coap.frame }],
    };
    this.byClient.delete(coap.src);
    this.byClient.set(coap.src, session);
    if (session.endpoint !== null) {
      this.byEndpoint.delete(session.endpoint);
      this.byEndpoint.set(session.endpoint, session);
    }
    this.listener.bootstrapChanged?.(session);
  }

  private answered(session: BootstrapSession | undefined, m: AnalyzedMessage): void {
    const { coap, lwm2m } = m;
    if (!session || session.state !== 'running') return;
    const requestFrame = coap.match.request?.frame;
    const code = CODE_STRINGS[coap.msg.code];
    for (let i = session.steps.length - 1; i >= 0; i--) {
      if (session.steps[i].frame === requestFrame) {
        session.steps[i].code = code;
        break;
      }
    }
    const cls = coap.msg.code >> 5;
    const op = lwm2m!.operation;
    if (op === 'bootstrap-finish' && cls === 2) {
      session.state = 'finished';
      session.finishedAt = coap.ts;
    } else if ((op === 'bootstrap-finish' || op === 'bootstrap-request' || op === 'bootstrap-pack-request') && cls >= 4) {
      session.state = 'error';
      session.error = code;
      session.finishedAt = coap.ts;
    }
    this.listener.bootstrapChanged?.(session);
  }
}
