import { coapPorts, onPort } from '../decode/ports.js';
import type { Datagram } from '../decode/types.js';
import type { EndpointIdentified } from '../lwm2m/index.js';
import type { OverflowCounters } from '../util/bounded-map.js';
import { decryptSessionRecord } from './decrypt.js';
import { CLIENT_HELLO, HandshakeReader, helloRandom, incompleteReason, MAX_CERTIFICATES } from './handshake.js';
import { MAX_ALERTS, SessionLifecycle } from './lifecycle.js';
import { parseHandshakes, parseRecords, type DtlsRecord } from './parser.js';
import { KnownEndpoints, SessionTable, markError, newSession, type Side, type Tracked } from './sessions.js';
import { versionName } from './suites.js';
import type { DtlsEvent, DtlsSession, DtlsStats, PskKeys } from './types.js';

const CHANGE_CIPHER_SPEC = 20;
const ALERT = 21;
const HANDSHAKE = 22;
const APPLICATION_DATA = 23;
const TLS12_CID = 25;

/**
 * Sessions kept at once unless DtlsStageOptions.maxSessions says otherwise; the least recently
 * active goes first. A utility's fleet of up to 10^6 meters over DTLS holds one session each.
 */
export const DEFAULT_MAX_SESSIONS = 1_048_576;
/** Endpoint names and client addresses kept for naming sessions: one each for every meter of a 10^6-meter fleet. */
const MAX_KNOWN_ENDPOINTS = 1_048_576;

export interface DtlsStageOptions {
  /** UDP ports whose DTLS records are always dissected besides the well-known CoAP ports (src/decode/ports.ts). */
  ports?: readonly number[];
  /** Also follow DTLS on other UDP ports, from a ClientHello that opens a handshake. */
  heuristic?: boolean;
  /** PSK identity → key: sessions with these identities are decrypted (PSK suites with AES-128-CCM(_8), -GCM, -CBC-SHA256). */
  keys?: PskKeys;
  /** Sessions kept at most (the least recently active is dropped); default DEFAULT_MAX_SESSIONS. */
  maxSessions?: number;
  /** Where the stage's bounded tables report entries they dropped. */
  counters?: OverflowCounters;
  onEvent?: (e: DtlsEvent) => void;
}

/**
 * The DTLS stage: dissects the records of UDP datagrams on DTLS flows, keeps one session per
 * client/server address pair and handshake, and, given the PSK, decrypts application data
 * into datagrams for the CoAP stage (transport 'dtls'). Malformed input marks an error on the
 * session and never throws.
 */
export class DtlsStage {
  readonly stats: DtlsStats = {
    datagrams: 0, records: 0, malformed: 0, sessions: 0, established: 0, failed: 0, closed: 0, decrypted: 0, evicted: 0, suites: new Map(),
  };
  private readonly ports: Set<number>;
  private readonly heuristic: boolean;
  private readonly keys: PskKeys;
  private readonly sessions: SessionTable;
  private readonly lifecycle: SessionLifecycle;
  private readonly endpoints: KnownEndpoints;
  private readonly handshakes: HandshakeReader;
  private nextId = 1;

  constructor(opts: DtlsStageOptions = {}) {
    this.ports = new Set(coapPorts(opts.ports));
    this.heuristic = opts.heuristic ?? true;
    this.keys = opts.keys ?? new Map();
    this.lifecycle = new SessionLifecycle(this.stats, opts.onEvent);
    this.sessions = new SessionTable(Math.max(1, opts.maxSessions ?? DEFAULT_MAX_SESSIONS), opts.counters, () => this.stats.evicted++);
    this.endpoints = new KnownEndpoints(MAX_KNOWN_ENDPOINTS, opts.counters);
    this.handshakes = new HandshakeReader({
      emit: (t, change, frame, ts) => this.lifecycle.emit(t, change, frame, ts),
      fail: (t, frame, ts, reason) => this.lifecycle.fail(t, frame, ts, reason),
      pskIdentity: (t, identity) => this.pskIdentity(t, identity),
      suiteChosen: (name) => this.stats.suites.set(name, (this.stats.suites.get(name) ?? 0) + 1),
    });
    opts.counters?.register('dtls.certificates', MAX_CERTIFICATES, () => this.handshakes.certificatesCut);
    opts.counters?.register('dtls.alerts', MAX_ALERTS, () => this.lifecycle.alertsNotKept);
  }

  /** Whether this UDP datagram belongs to the DTLS stage (cheap; called for every UDP datagram). */
  claims(d: Datagram): boolean {
    const p = d.payload;
    if (p.length < 13) return false;
    const first = p[0];
    if (first >= 20 && first <= 25) {
      if (p[1] !== 0xfe || p[2] < 0xfc) return false;
      if (onPort(this.ports, d)) return true;
      if (this.sessions.size > 0 && this.sessions.find(d.src, d.dst) !== undefined) return true;
      // A ClientHello (epoch 0, handshake type 1) opening a handshake on another port.
      return this.heuristic && first === HANDSHAKE && p[3] === 0 && p[4] === 0 && p[13] === CLIENT_HELLO;
    }
    // DTLS 1.3 unified header, on a flow already known.
    return first >= 0x20 && first < 0x40 && this.sessions.size > 0 && this.sessions.find(d.src, d.dst) !== undefined;
  }

  /** Dissects one datagram; decrypted application data goes to `plain` as a 'dtls' datagram. */
  handle(d: Datagram, plain: (d: Datagram) => void): void {
    this.stats.datagrams++;
    let t = this.sessions.find(d.src, d.dst);
    const fromClient = t === undefined || t.s.client === d.src;
    const cid = t === undefined ? null : fromClient ? t.serverCid : t.clientCid;
    const { records, error } = parseRecords(d.payload, cid?.length ?? 0);
    for (const r of records) {
      try {
        t = this.record(d, r, t, plain);
      } catch (err) {
        // Defence in depth: nothing above should throw, but a bug must not stop the analysis.
        this.stats.malformed++;
        if (t) markError(t, `record at offset ${r.offset}: ${(err as Error).message}`);
      }
    }
    if (error !== null) {
      this.stats.malformed++;
      t ??= this.create(d, false);
      markError(t, error);
      t.s.lastSeen = d.ts;
    }
  }

  /** End of input: handshakes still open have failed. */
  finish(): void {
    for (const t of this.sessions.inStartOrder()) {
      if (t.s.state === 'handshake') this.lifecycle.fail(t, null, t.s.lastSeen, incompleteReason(t, 'before the end of the capture'));
    }
  }

  /**
   * The LwM2M layer identified an endpoint: over a decrypted session, that session is the
   * endpoint's (the strongest link); in plain traffic, the endpoint's name and client address
   * name the latest session of that PSK identity or client address, and later ones.
   */
  endpointIdentified(e: EndpointIdentified): void {
    if (e.viaDtls) {
      const t = this.sessions.find(e.client, e.server);
      if (t) this.lifecycle.link(t, e.endpoint, e.frame, e.ts);
      return;
    }
    this.endpoints.seen(e.endpoint, e.client);
    if (this.sessions.size === 0) return;
    for (const t of [this.sessions.latestOfIdentity(e.endpoint), this.sessions.latestOfClient(e.client)]) {
      if (t !== undefined && t.s.endpoint === null) this.lifecycle.link(t, e.endpoint, e.frame, e.ts);
    }
  }

  /** Every session still in the table, in the order they started (for summaries and tests). */
  currentSessions(): DtlsSession[] {
    return this.sessions.inStartOrder().map((t) => t.s);
  }

  private create(d: Datagram, clientHello: boolean): Tracked {
    let client = d.src;
    let server = d.dst;
    if (!clientHello && this.ports.has(d.srcPort) && !this.ports.has(d.dstPort)) {
      client = d.dst;
      server = d.src;
    }
    const t = newSession(this.nextId++, client, server, this.endpoints.at(client) ?? null, clientHello, d.ts);
    this.sessions.add(t);
    this.stats.sessions++;
    return t;
  }

  private record(d: Datagram, r: DtlsRecord, t: Tracked | undefined, plain: (d: Datagram) => void): Tracked {
    this.stats.records++;
    if (r.contentType === HANDSHAKE && r.epoch === 0 && !r.unified) {
      const { messages, error } = parseHandshakes(r.fragment);
      const first = messages[0];
      if (first !== undefined && first.msgType === CLIENT_HELLO) {
        // A ClientHello opens a session, or a new one on a pair whose last handshake is over.
        const random = first.fragmentOffset === 0 ? helloRandom(first.body) : null;
        if (t === undefined) {
          t = this.create(d, true);
        } else if (t.s.state !== 'handshake' || (t.serverHello && random !== null && t.clientRandom !== null && !random.equals(t.clientRandom))) {
          this.replace(t, d);
          t = this.create(d, true);
        }
      }
      t ??= this.create(d, false);
      this.count(t, d);
      for (const m of messages) this.handshakes.fragment(t, d, m);
      if (error !== null) {
        this.stats.malformed++;
        markError(t, error);
      }
      return t;
    }
    t ??= this.create(d, false);
    this.count(t, d);
    const fromClient = t.s.client === d.src;
    const sender = fromClient ? t.client : t.server;
    if (r.unified) {
      t.s.version ??= 'DTLS 1.3';
      t.s.appDataBytes += r.fragment.length;
      return t;
    }
    if (t.s.version === null) t.s.version = versionName(r.version);
    switch (r.contentType) {
      case CHANGE_CIPHER_SPEC:
        if (r.epoch === 0) sender.ccs = true;
        break;
      case ALERT:
        if (r.epoch === 0) {
          this.lifecycle.alert(t, d, r.fragment);
        } else {
          const inner = this.decrypt(t, d, r, sender);
          if (inner === null || inner === undefined) this.lifecycle.encryptedAlert(t, d);
          else this.lifecycle.alert(t, d, inner);
        }
        break;
      case HANDSHAKE: {
        // Epoch 1 and later: the encrypted Finished (or a renegotiation), never read as plaintext.
        // Decrypting it (when a key is given) checks the key; the Finished counts either way.
        this.decrypt(t, d, r, sender);
        if (!sender.finished) {
          sender.finished = true;
          t.s.handshakeSeen ||= t.clientHello;
          this.lifecycle.checkEstablished(t, d);
        }
        break;
      }
      case APPLICATION_DATA:
      case TLS12_CID: {
        t.s.appDataBytes += r.fragment.length;
        if (t.s.state === 'handshake') this.lifecycle.establish(t, d);
        if (r.contentType === TLS12_CID) break; // RFC 9146 records: decryption not supported
        const inner = this.decrypt(t, d, r, sender);
        if (inner !== null && inner !== undefined) {
          this.stats.decrypted++;
          plain({
            frame: d.frame, ts: d.ts, transport: 'dtls', src: d.src, dst: d.dst, srcPort: d.srcPort, dstPort: d.dstPort, payload: inner,
          });
        }
        break;
      }
      default:
        break; // heartbeat (24) and unknown types are counted only
    }
    return t;
  }

  private count(t: Tracked, d: Datagram): void {
    t.s.records++;
    t.s.lastSeen = d.ts;
  }

  /** A new handshake on an address pair ends the previous session. */
  private replace(t: Tracked, d: Datagram): void {
    if (t.s.state === 'handshake') this.lifecycle.fail(t, d.frame, d.ts, incompleteReason(t, 'before the client started a new one'));
    else if (t.s.state === 'established') this.lifecycle.close(t, d.frame, d.ts, 'a new handshake on the same addresses');
    this.sessions.forget(t);
  }

  /** The ClientKeyExchange named the session's PSK identity, which may also name its endpoint. */
  private pskIdentity(t: Tracked, identity: string): void {
    this.sessions.identified(t, identity);
    const s = t.s;
    s.pskIdentity = identity;
    if (s.endpoint === null) {
      const endpoint = this.endpoints.isEndpoint(identity) ? identity : this.endpoints.at(s.client);
      if (endpoint !== undefined) s.endpoint = endpoint;
    }
  }

  /** Decrypts an encrypted record (see decryptSessionRecord), reporting a failure as it happens. */
  private decrypt(t: Tracked, d: Datagram, r: DtlsRecord, sender: Side): Buffer | null | undefined {
    const inner = decryptSessionRecord(t, d, r, sender, this.keys);
    if (inner === undefined) this.lifecycle.emit(t, 'decryption-failed', d.frame, d.ts);
    return inner;
  }
}
