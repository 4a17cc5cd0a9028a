import { BoundedMap, type OverflowCounters } from '../util/bounded-map.js';
import type { DirectionKeys } from './cipher.js';
import type { DtlsSession } from './types.js';

/** A handshake message arriving in fragments, until every byte is there. */
export interface PartialMessage {
  type: number;
  data: Buffer;
  have: Uint8Array;
  missing: number;
}

/** What one side of a session has sent of its handshake, and its record keys. */
export interface Side {
  ccs: boolean;
  finished: boolean;
  keys: DirectionKeys | null;
  /** message_seq of every complete handshake message from this side. */
  done: Set<number>;
  partial: Map<number, PartialMessage>;
}

/** A session with the handshake state the stage needs beyond what it reports (`s`). */
export interface Tracked {
  s: DtlsSession;
  /** "client>server": the session's key in the table. */
  key: string;
  client: Side;
  server: Side;
  clientHello: boolean;
  serverHello: boolean;
  clientRandom: Buffer | null;
  serverRandom: Buffer | null;
  clientExtensions: Set<number>;
  serverExtensions: Set<number>;
  clientCid: Buffer | null;
  serverCid: Buffer | null;
  transcript: Buffer[] | null;
  transcriptBytes: number;
  sessionHash: Buffer | null;
  keysTried: boolean;
  /** Times the server repeated its ServerHello after the client's Finished. */
  serverRepeats: number;
}

function side(): Side {
  return { ccs: false, finished: false, keys: null, done: new Set(), partial: new Map() };
}

/** A new session between `client` and `server`, first seen at `ts`. */
export function newSession(id: number, client: string, server: string, endpoint: string | null, handshakeSeen: boolean, ts: number): Tracked {
  const s: DtlsSession = {
    id, client, server, endpoint, version: null, state: 'handshake',
    reason: null, handshakeSeen, cipherSuite: null, cipherSuiteId: null, offeredSuites: [], pskIdentity: null,
    pskIdentityHint: null, sni: null, maxFragmentLength: null, connectionId: null, extensions: [], certificates: [], alerts: [],
    decryption: null, decryptionError: null, records: 0, appDataBytes: 0, errors: 0, lastError: null, startedAt: ts, lastSeen: ts,
    weakSuite: false, cbcSuite: false,
  };
  return {
    s, key: client + '>' + server, client: side(), server: side(), clientHello: false, serverHello: false, clientRandom: null,
    serverRandom: null, clientExtensions: new Set(), serverExtensions: new Set(), clientCid: null, serverCid: null, transcript: [],
    transcriptBytes: 0, sessionHash: null, keysTried: false, serverRepeats: 0,
  };
}

/** Counts a malformed record or message on the session, keeping the latest reason. */
export function markError(t: Tracked, error: string): void {
  t.s.errors++;
  t.s.lastError = error;
}

/**
 * The live sessions, by address pair, with the latest session of each client address and of
 * each PSK identity (to link a session to an endpoint without a scan). Bounded: a full table
 * drops the session least recently active, and the two indexes drop what points to it.
 */
export class SessionTable {
  private readonly sessions: BoundedMap<string, Tracked>;
  // The indexes share the table's bound: each entry points to a live session (entries are
  // dropped with their session), so they never hold more entries than the table.
  private readonly byClient: BoundedMap<string, Tracked>;
  private readonly byIdentity: BoundedMap<string, Tracked>;

  /** `onEvict`: a session was dropped to make room. */
  constructor(bound: number, counters: OverflowCounters | undefined, onEvict: (t: Tracked) => void) {
    this.sessions = new BoundedMap('dtls.sessions', bound, counters, (t) => {
      this.unindex(t);
      onEvict(t);
    });
    this.byClient = new BoundedMap('dtls.sessions-by-client', bound, counters);
    this.byIdentity = new BoundedMap('dtls.sessions-by-psk-identity', bound, counters);
  }

  get size(): number {
    return this.sessions.size;
  }

  /** The session between two addresses, in either direction (marking it active). */
  find(a: string, b: string): Tracked | undefined {
    return this.sessions.get(a + '>' + b) ?? this.sessions.get(b + '>' + a);
  }

  /** Adds a new session, which becomes the latest of its client address. */
  add(t: Tracked): void {
    this.sessions.set(t.key, t);
    this.byClient.set(t.s.client, t);
  }

  /**
   * The session's PSK identity is known: it becomes the latest session of that identity. Call
   * before setting `pskIdentity`, so that an identity the session had before is unindexed.
   */
  identified(t: Tracked, identity: string): void {
    const previous = t.s.pskIdentity;
    if (previous !== null && this.byIdentity.peek(previous) === t) this.byIdentity.delete(previous);
    this.byIdentity.set(identity, t);
  }

  /** Removes a session (one a new handshake on its addresses replaced). */
  forget(t: Tracked): void {
    if (this.sessions.peek(t.key) === t) this.sessions.delete(t.key);
    this.unindex(t);
  }

  /** The latest session of a PSK identity, if still in the table. */
  latestOfIdentity(identity: string): Tracked | undefined {
    return this.live(this.byIdentity.peek(identity));
  }

  /** The latest session from a client address, if still in the table. */
  latestOfClient(client: string): Tracked | undefined {
    return this.live(this.byClient.peek(client));
  }

  /** Every session, in the order they started. */
  inStartOrder(): Tracked[] {
    return [...this.sessions.values()].sort((a, b) => a.s.id - b.s.id);
  }

  private live(t: Tracked | undefined): Tracked | undefined {
    return t !== undefined && this.sessions.peek(t.key) === t ? t : undefined;
  }

  private unindex(t: Tracked): void {
    if (this.byClient.peek(t.s.client) === t) this.byClient.delete(t.s.client);
    const identity = t.s.pskIdentity;
    if (identity !== null && this.byIdentity.peek(identity) === t) this.byIdentity.delete(identity);
  }
}

/**
 * Endpoint names seen in plain LwM2M traffic, and the endpoint at each client address: what
 * names a session once its PSK identity or its client address is known. Bounded, least
 * recently seen dropped first.
 */
export class KnownEndpoints {
  private readonly names: BoundedMap<string, true>;
  private readonly byAddress: BoundedMap<string, string>;

  constructor(bound: number, counters: OverflowCounters | undefined) {
    this.names = new BoundedMap('dtls.endpoint-names', bound, counters);
    this.byAddress = new BoundedMap('dtls.endpoint-by-address', bound, counters);
  }

  /** An endpoint named at a client address (the lookups mark entries already there as recently seen). */
  seen(endpoint: string, client: string): void {
    if (this.names.get(endpoint) === undefined) this.names.set(endpoint, true);
    if (this.byAddress.get(client) !== endpoint) this.byAddress.set(client, endpoint);
  }

  isEndpoint(name: string): boolean {
    return this.names.has(name);
  }

  at(client: string): string | undefined {
    return this.byAddress.get(client);
  }
}
