import { createHash } from 'node:crypto';
import { coapPorts } from '../decode/ports.js';
import type { Datagram } from '../decode/types.js';
import { describeCertificate } from './certificates.js';
import { decryptRecord, suiteCipher, type DirectionKeys } from './cipher.js';
import {
  parseAlert, parseCertificates, parseClientHello, parseConnectionId, parseHandshakes, parseMaxFragmentLength,
  parseRecords, parseServerHello, parseServerName, parsePskIdentity, parseSupportedVersions, type DtlsRecord, type Extension,
} from './parser.js';
import { keyBlock, masterSecret, pskPremasterSecret } from './prf.js';
import { alertDescription, alertLevel, extensionName, isCbcSuite, isEphemeralSuite, isPskSuite, isWeakSuite, suiteName, versionName } from './suites.js';
import type { DtlsChange, DtlsEvent, DtlsSession, DtlsStats, PskKeys } from './types.js';

const CHANGE_CIPHER_SPEC = 20;
const ALERT = 21;
const HANDSHAKE = 22;
const APPLICATION_DATA = 23;
const TLS12_CID = 25;

const CLIENT_HELLO = 1;
const SERVER_HELLO = 2;
const HELLO_VERIFY_REQUEST = 3;
const CERTIFICATE = 11;
const SERVER_KEY_EXCHANGE = 12;
const CLIENT_KEY_EXCHANGE = 16;

const EXT_SERVER_NAME = 0;
const EXT_MAX_FRAGMENT_LENGTH = 1;
const EXT_ENCRYPT_THEN_MAC = 22;
const EXT_EXTENDED_MASTER_SECRET = 23;
const EXT_SUPPORTED_VERSIONS = 43;
const EXT_CONNECTION_ID = 54;
const DTLS_1_3 = 0xfefc;

/** A handshake message longer than this is not reassembled (DTLS messages are rarely above a few kB). */
const MAX_MESSAGE = 65_536;
/** Handshake bytes kept for the extended-master-secret hash. */
const MAX_TRANSCRIPT = 262_144;
const MAX_PARTIAL_MESSAGES = 8;
const MAX_CERTIFICATES = 10;
const MAX_ALERTS = 32;
const MAX_KNOWN = 100_000;
/** The server repeating its hello flight this often after the client's Finished: the server rejected the Finished. */
const FAILED_AFTER_REPEATS = 2;

export interface DtlsStageOptions {
  /** UDP ports whose DTLS records are always dissected besides the well-known CoAP ports (src/decode/ports.ts). */
  ports?: readonly number[];
  /** Also follow DTLS on other UDP ports, from a ClientHello that opens a handshake. */
  heuristic?: boolean;
  /** PSK identity → key: sessions with these identities are decrypted (PSK suites with AES-128-CCM(_8), -GCM, -CBC-SHA256). */
  keys?: PskKeys;
  /** Sessions kept at most (the oldest is dropped); default 10,000. */
  maxSessions?: number;
  onEvent?: (e: DtlsEvent) => void;
}

interface Partial {
  type: number;
  data: Buffer;
  have: Uint8Array;
  missing: number;
}

interface Side {
  ccs: boolean;
  finished: boolean;
  keys: DirectionKeys | null;
  /** message_seq of every complete handshake message from this side. */
  done: Set<number>;
  partial: Map<number, Partial>;
}

interface Tracked {
  s: DtlsSession;
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

function boundedSet<K, V>(map: Map<K, V>, key: K, value: V): void {
  map.delete(key);
  map.set(key, value);
  if (map.size > MAX_KNOWN) {
    const oldest = map.keys().next().value;
    if (oldest !== undefined) map.delete(oldest);
  }
}

/** Reads a 32-byte random from a ClientHello body that may be a first fragment. */
function helloRandom(body: Buffer): Buffer | null {
  return body.length >= 34 ? body.subarray(2, 34) : null;
}

/** Sessions kept at once unless DtlsStageOptions.maxSessions says otherwise; the oldest goes first. */
export const DEFAULT_MAX_SESSIONS = 10_000;

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
  private readonly maxSessions: number;
  private readonly onEvent: ((e: DtlsEvent) => void) | undefined;
  /** "client>server" → session. */
  private readonly sessions = new Map<string, Tracked>();
  private nextId = 1;
  /** Endpoint names seen in LwM2M traffic, and client address → endpoint, for linking. */
  private readonly endpointNames = new Map<string, true>();
  private readonly endpointByAddress = new Map<string, string>();
  /** The latest session of each PSK identity and of each client address (for linking without a scan). */
  private readonly byIdentity = new Map<string, Tracked>();
  private readonly byClient = new Map<string, Tracked>();

  constructor(opts: DtlsStageOptions = {}) {
    this.ports = new Set(coapPorts(opts.ports));
    this.heuristic = opts.heuristic ?? true;
    this.keys = opts.keys ?? new Map();
    this.maxSessions = Math.max(1, opts.maxSessions ?? DEFAULT_MAX_SESSIONS);
    this.onEvent = opts.onEvent;
  }

  /** Whether this UDP datagram belongs to the DTLS stage (cheap; called for every UDP datagram). */
  claims(d: Datagram): boolean {
    const p = d.payload;
    if (p.length < 13) return false;
    const first = p[0];
    if (first >= 20 && first <= 25) {
      if (p[1] !== 0xfe || p[2] < 0xfc) return false;
      if (this.ports.has(d.dstPort) || this.ports.has(d.srcPort)) return true;
      if (this.sessions.size > 0 && this.find(d.src, d.dst) !== undefined) return true;
      // A ClientHello (epoch 0, handshake type 1) opening a handshake on another port.
      return this.heuristic && first === HANDSHAKE && p[3] === 0 && p[4] === 0 && p[13] === CLIENT_HELLO;
    }
    // DTLS 1.3 unified header, on a flow already known.
    return first >= 0x20 && first < 0x40 && this.sessions.size > 0 && this.find(d.src, d.dst) !== undefined;
  }

  /** Dissects one datagram; decrypted application data goes to `plain` as a 'dtls' datagram. */
  handle(d: Datagram, plain: (d: Datagram) => void): void {
    this.stats.datagrams++;
    let t = this.find(d.src, d.dst);
    const fromClient = t === undefined || t.s.client === d.src;
    const cid = t === undefined ? null : fromClient ? t.serverCid : t.clientCid;
    const { records, error } = parseRecords(d.payload, cid?.length ?? 0);
    for (const r of records) {
      try {
        t = this.record(d, r, t, plain);
      } catch (err) {
        // Defence in depth: nothing above should throw, but a bug must not stop the analysis.
        this.stats.malformed++;
        if (t) this.markError(t, `record at offset ${r.offset}: ${(err as Error).message}`);
      }
    }
    if (error !== null) {
      this.stats.malformed++;
      t ??= this.create(d, false);
      this.markError(t, error);
      t.s.lastSeen = d.ts;
    }
  }

  /** End of input: handshakes still open have failed. */
  finish(): void {
    for (const t of this.sessions.values()) {
      if (t.s.state === 'handshake') this.fail(t, null, t.s.lastSeen, this.incompleteReason(t, 'before the end of the capture'));
    }
  }

  /**
   * LwM2M traffic named `endpoint` for the client at `client` talking to `server`; `viaDtls`
   * when the message came out of a decrypted session (the strongest link).
   */
  endpointSeen(endpoint: string, client: string, server: string, viaDtls: boolean, frame: number, ts: number): void {
    if (viaDtls) {
      const t = this.find(client, server);
      if (t) this.link(t, endpoint, frame, ts);
      return;
    }
    if (!this.endpointNames.has(endpoint)) boundedSet(this.endpointNames, endpoint, true);
    if (this.endpointByAddress.get(client) !== endpoint) boundedSet(this.endpointByAddress, client, endpoint);
    if (this.sessions.size === 0) return;
    for (const t of [this.byIdentity.get(endpoint), this.byClient.get(client)]) {
      if (t !== undefined && t.s.endpoint === null && this.sessions.get(t.key) === t) this.link(t, endpoint, frame, ts);
    }
  }

  /** Every session still in the table (for summaries and tests). */
  currentSessions(): DtlsSession[] {
    return [...this.sessions.values()].map((t) => t.s);
  }

  private find(a: string, b: string): Tracked | undefined {
    return this.sessions.get(a + '>' + b) ?? this.sessions.get(b + '>' + a);
  }

  private create(d: Datagram, clientHello: boolean): Tracked {
    let client = d.src;
    let server = d.dst;
    if (!clientHello && this.ports.has(d.srcPort) && !this.ports.has(d.dstPort)) {
      client = d.dst;
      server = d.src;
    }
    const key = client + '>' + server;
    const s: DtlsSession = {
      id: this.nextId++, client, server, endpoint: this.endpointByAddress.get(client) ?? null, version: null, state: 'handshake',
      reason: null, handshakeSeen: clientHello, cipherSuite: null, cipherSuiteId: null, offeredSuites: [], pskIdentity: null,
      pskIdentityHint: null, sni: null, maxFragmentLength: null, connectionId: null, extensions: [], certificates: [], alerts: [],
      decryption: null, decryptionError: null, records: 0, appDataBytes: 0, errors: 0, lastError: null, startedAt: d.ts, lastSeen: d.ts,
      weakSuite: false, cbcSuite: false,
    };
    const t: Tracked = {
      s, key, client: side(), server: side(), clientHello: false, serverHello: false, clientRandom: null, serverRandom: null,
      clientExtensions: new Set(), serverExtensions: new Set(), clientCid: null, serverCid: null, transcript: [], transcriptBytes: 0,
      sessionHash: null, keysTried: false, serverRepeats: 0,
    };
    this.sessions.delete(key);
    this.sessions.set(key, t);
    this.byClient.set(client, t);
    this.stats.sessions++;
    if (this.sessions.size > this.maxSessions) {
      const oldest = this.sessions.values().next().value;
      if (oldest !== undefined) {
        this.forget(oldest);
        this.stats.evicted++;
      }
    }
    return t;
  }

  private forget(t: Tracked): void {
    if (this.sessions.get(t.key) === t) this.sessions.delete(t.key);
    if (this.byClient.get(t.s.client) === t) this.byClient.delete(t.s.client);
    if (t.s.pskIdentity !== null && this.byIdentity.get(t.s.pskIdentity) === t) this.byIdentity.delete(t.s.pskIdentity);
  }

  private emit(t: Tracked, change: DtlsChange, frame: number | null, ts: number): void {
    this.onEvent?.({ ts, frame, change, session: t.s });
  }

  private markError(t: Tracked, error: string): void {
    t.s.errors++;
    t.s.lastError = error;
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
      for (const m of messages) this.fragment(t, d, m.msgType, m.length, m.messageSeq, m.fragmentOffset, m.body);
      if (error !== null) {
        this.stats.malformed++;
        this.markError(t, error);
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
          this.alert(t, d, r.fragment);
        } else {
          const inner = this.decrypt(t, d, r, sender);
          if (inner === null || inner === undefined) this.encryptedAlert(t, d);
          else this.alert(t, d, inner);
        }
        break;
      case HANDSHAKE: {
        // Epoch 1 and later: the encrypted Finished (or a renegotiation), never read as plaintext.
        // Decrypting it (when a key is given) checks the key; the Finished counts either way.
        this.decrypt(t, d, r, sender);
        if (!sender.finished) {
          sender.finished = true;
          t.s.handshakeSeen ||= t.clientHello;
          this.checkEstablished(t, d);
        }
        break;
      }
      case APPLICATION_DATA:
      case TLS12_CID: {
        t.s.appDataBytes += r.fragment.length;
        if (t.s.state === 'handshake') this.establish(t, d);
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
    if (t.s.state === 'handshake') this.fail(t, d.frame, d.ts, this.incompleteReason(t, 'before the client started a new one'));
    else if (t.s.state === 'established') this.close(t, d.frame, d.ts, 'a new handshake on the same addresses');
    this.forget(t);
  }

  private incompleteReason(t: Tracked, when: string): string {
    if (!t.serverHello) return `handshake did not complete ${when}: no ServerHello`;
    if (!t.client.finished) return `handshake did not complete ${when}: the client never sent its Finished`;
    return `handshake did not complete ${when}: the server never answered the client's Finished${t.serverRepeats > 0 ? ` (it repeated its hello flight ${t.serverRepeats} times: a key mismatch?)` : ''}`;
  }

  private fragment(t: Tracked, d: Datagram, type: number, length: number, seq: number, offset: number, body: Buffer): void {
    const fromClient = t.s.client === d.src;
    const sender = fromClient ? t.client : t.server;
    if (sender.done.has(seq)) {
      // A retransmission. The server repeating its ServerHello after the client's Finished means it did not accept it.
      if (!fromClient && type === SERVER_HELLO && offset === 0 && t.client.finished && t.s.state === 'handshake') {
        t.serverRepeats++;
        if (t.serverRepeats >= FAILED_AFTER_REPEATS) this.fail(t, d.frame, d.ts, this.incompleteReason(t, 'after the client\'s Finished'));
      }
      return;
    }
    let message: Buffer;
    if (offset === 0 && body.length === length) {
      message = body;
    } else {
      if (length > MAX_MESSAGE) {
        this.markError(t, `handshake message of ${length} bytes not reassembled`);
        return;
      }
      let p = sender.partial.get(seq);
      if (p === undefined || p.type !== type || p.data.length !== length) {
        if (sender.partial.size >= MAX_PARTIAL_MESSAGES) sender.partial.clear();
        p = { type, data: Buffer.alloc(length), have: new Uint8Array(length), missing: length };
        sender.partial.set(seq, p);
      }
      body.copy(p.data, offset);
      for (let i = offset; i < offset + body.length; i++) {
        if (p.have[i] === 0) {
          p.have[i] = 1;
          p.missing--;
        }
      }
      if (p.missing > 0) return;
      sender.partial.delete(seq);
      message = p.data;
    }
    sender.done.add(seq);
    this.transcribe(t, type, seq, message);
    this.message(t, d, fromClient, type, message);
  }

  /** Keeps the handshake messages the extended master secret hashes (RFC 6347 4.2.6: not the first ClientHello and HelloVerifyRequest). */
  private transcribe(t: Tracked, type: number, seq: number, body: Buffer): void {
    if (t.transcript === null) return;
    if (type === HELLO_VERIFY_REQUEST) {
      t.transcript = [];
      t.transcriptBytes = 0;
      return;
    }
    if (t.sessionHash !== null) return;
    const header = Buffer.alloc(12);
    header[0] = type;
    header.writeUIntBE(body.length, 1, 3);
    header.writeUInt16BE(seq, 4);
    header.writeUIntBE(body.length, 9, 3);
    t.transcript.push(header, body);
    t.transcriptBytes += 12 + body.length;
    if (t.transcriptBytes > MAX_TRANSCRIPT) t.transcript = null;
  }

  private message(t: Tracked, d: Datagram, fromClient: boolean, type: number, body: Buffer): void {
    const s = t.s;
    switch (type) {
      case CLIENT_HELLO: {
        if (!fromClient) break;
        const ch = parseClientHello(body);
        if (ch.error !== null) {
          this.markError(t, ch.error);
          break;
        }
        const hello = ch.value;
        const first = !t.clientHello;
        t.clientHello = true;
        s.handshakeSeen = true;
        t.clientRandom = hello.random;
        s.offeredSuites = hello.cipherSuites.map(suiteName);
        s.extensions = hello.extensions.map((e) => extensionName(e.type));
        t.clientExtensions = new Set(hello.extensions.map((e) => e.type));
        this.clientExtensions(t, hello.extensions);
        // Until the ServerHello, the version is what the client offers (1.3 through supported_versions).
        if (!t.serverHello && s.version !== 'DTLS 1.3') s.version = versionName(hello.version);
        if (first) this.emit(t, 'client-hello', d.frame, d.ts);
        break;
      }
      case SERVER_HELLO: {
        if (fromClient) break;
        const sh = parseServerHello(body);
        if (sh.error !== null) {
          this.markError(t, sh.error);
          break;
        }
        const hello = sh.value;
        t.serverHello = true;
        t.serverRandom = hello.random;
        t.serverExtensions = new Set(hello.extensions.map((e) => e.type));
        let version = hello.version;
        for (const e of hello.extensions) {
          if (e.type === EXT_SUPPORTED_VERSIONS) {
            const v = parseSupportedVersions(e.body, false);
            if (v.error === null && v.value[0] !== undefined) version = v.value[0];
          } else if (e.type === EXT_CONNECTION_ID) {
            const cid = parseConnectionId(e.body);
            if (cid.error === null) {
              t.serverCid = cid.value;
              s.connectionId = { client: s.connectionId?.client ?? null, server: cid.value.toString('hex') };
            }
          }
        }
        s.version = versionName(version);
        const name = suiteName(hello.cipherSuite);
        s.cipherSuiteId = hello.cipherSuite;
        s.cipherSuite = name;
        s.weakSuite = isWeakSuite(name);
        s.cbcSuite = isCbcSuite(name);
        this.stats.suites.set(name, (this.stats.suites.get(name) ?? 0) + 1);
        this.emit(t, 'server-hello', d.frame, d.ts);
        break;
      }
      case CERTIFICATE: {
        const list = parseCertificates(body);
        if (list.error !== null) {
          this.markError(t, list.error);
          break;
        }
        for (const der of list.value.slice(0, MAX_CERTIFICATES - s.certificates.length)) s.certificates.push(describeCertificate(der));
        break;
      }
      case SERVER_KEY_EXCHANGE: {
        if (fromClient || s.cipherSuite === null || !isPskSuite(s.cipherSuite)) break;
        const hint = parsePskIdentity(body, 'ServerKeyExchange');
        if (hint.error !== null) this.markError(t, hint.error);
        else if (hint.value.length > 0) s.pskIdentityHint = hint.value.toString('utf8');
        break;
      }
      case CLIENT_KEY_EXCHANGE: {
        if (!fromClient) break;
        if (t.transcript !== null && t.sessionHash === null) t.sessionHash = createHash('sha256').update(Buffer.concat(t.transcript)).digest();
        t.transcript = null;
        if (s.cipherSuite === null || !isPskSuite(s.cipherSuite)) break;
        const id = parsePskIdentity(body, 'ClientKeyExchange');
        if (id.error !== null) {
          this.markError(t, id.error);
          break;
        }
        s.pskIdentity = id.value.toString('utf8');
        this.byIdentity.set(s.pskIdentity, t);
        if (s.endpoint === null) {
          const endpoint = this.endpointNames.has(s.pskIdentity) ? s.pskIdentity : this.endpointByAddress.get(s.client);
          if (endpoint !== undefined) s.endpoint = endpoint;
        }
        break;
      }
      default:
        break;
    }
  }

  private clientExtensions(t: Tracked, list: Extension[]): void {
    const s = t.s;
    for (const e of list) {
      switch (e.type) {
        case EXT_SERVER_NAME: {
          const sni = parseServerName(e.body);
          if (sni.error !== null) this.markError(t, sni.error);
          else s.sni = sni.value;
          break;
        }
        case EXT_MAX_FRAGMENT_LENGTH: {
          const mfl = parseMaxFragmentLength(e.body);
          if (mfl.error !== null) this.markError(t, mfl.error);
          else s.maxFragmentLength = mfl.value;
          break;
        }
        case EXT_CONNECTION_ID: {
          const cid = parseConnectionId(e.body);
          if (cid.error !== null) {
            this.markError(t, cid.error);
          } else {
            t.clientCid = cid.value;
            s.connectionId = { client: cid.value.toString('hex'), server: s.connectionId?.server ?? null };
          }
          break;
        }
        case EXT_SUPPORTED_VERSIONS: {
          const v = parseSupportedVersions(e.body, true);
          if (v.error !== null) this.markError(t, v.error);
          else if (v.value.includes(DTLS_1_3)) s.version = 'DTLS 1.3';
          break;
        }
        default:
          break;
      }
    }
  }

  private alert(t: Tracked, d: Datagram, body: Buffer): void {
    const a = parseAlert(body);
    if (a.error !== null) {
      this.markError(t, a.error);
      return;
    }
    const level = alertLevel(a.value.level);
    const description = alertDescription(a.value.description);
    this.addAlert(t, d, level, description);
    if (a.value.level === 2) {
      if (t.s.state === 'handshake') this.fail(t, d.frame, d.ts, `fatal alert ${description}`);
      else if (t.s.state === 'established') this.close(t, d.frame, d.ts, `fatal alert ${description}`);
    } else if (a.value.description === 0 && t.s.state !== 'closed' && t.s.state !== 'failed') {
      this.close(t, d.frame, d.ts, 'close_notify');
    }
  }

  private encryptedAlert(t: Tracked, d: Datagram): void {
    this.addAlert(t, d, 'encrypted', 'encrypted');
    if (t.s.state === 'handshake') this.fail(t, d.frame, d.ts, 'encrypted alert during the handshake');
    else if (t.s.state === 'established') this.close(t, d.frame, d.ts, 'encrypted alert (close_notify or fatal)');
  }

  private addAlert(t: Tracked, d: Datagram, level: string, description: string): void {
    if (t.s.alerts.length < MAX_ALERTS) t.s.alerts.push({ ts: d.ts, frame: d.frame, level, description, from: d.src });
    this.emit(t, 'alert', d.frame, d.ts);
  }

  private checkEstablished(t: Tracked, d: Datagram): void {
    if (t.s.state === 'handshake' && t.client.finished && t.server.finished) this.establish(t, d);
  }

  private establish(t: Tracked, d: Datagram): void {
    t.s.state = 'established';
    this.stats.established++;
    this.emit(t, 'established', d.frame, d.ts);
  }

  private fail(t: Tracked, frame: number | null, ts: number, reason: string): void {
    t.s.state = 'failed';
    t.s.reason = reason;
    this.stats.failed++;
    this.emit(t, 'handshake-failed', frame, ts);
  }

  private close(t: Tracked, frame: number | null, ts: number, reason: string): void {
    t.s.state = 'closed';
    t.s.reason = reason;
    this.stats.closed++;
    this.emit(t, 'closed', frame, ts);
  }

  private link(t: Tracked, endpoint: string, frame: number, ts: number): void {
    if (t.s.endpoint === endpoint) return;
    t.s.endpoint = endpoint;
    this.emit(t, 'endpoint', frame, ts);
  }

  /**
   * The plaintext of an encrypted record: a Buffer; null when it cannot be decrypted (no key,
   * unsupported suite, decryption already failed); undefined when decryption failed just now.
   */
  private decrypt(t: Tracked, d: Datagram, r: DtlsRecord, sender: Side): Buffer | null | undefined {
    if (t.s.decryption === 'failed') return null;
    if (!t.keysTried) this.deriveKeys(t);
    if (sender.keys === null) return null;
    const out = decryptRecord(sender.keys, r.epoch, r.sequence, r.contentType, r.version, r.fragment);
    if (out.error !== null) {
      t.s.decryption = 'failed';
      t.s.decryptionError = `${d.src === t.s.client ? 'client' : 'server'} record (frame ${d.frame}, epoch ${r.epoch}, sequence ${r.sequence}): ${out.error} — wrong key for PSK identity ${JSON.stringify(t.s.pskIdentity)}?`;
      t.client.keys = null;
      t.server.keys = null;
      this.emit(t, 'decryption-failed', d.frame, d.ts);
      return undefined;
    }
    t.s.decryption = 'ok';
    return out.plaintext;
  }

  private deriveKeys(t: Tracked): void {
    if (this.keys.size === 0) return;
    t.keysTried = true;
    const s = t.s;
    if (s.pskIdentity === null) {
      s.decryptionError = t.clientHello ? 'no PSK identity seen' : 'handshake not seen: keys cannot be derived';
      return;
    }
    const psk = this.keys.get(s.pskIdentity);
    if (psk === undefined) {
      s.decryptionError = 'no key given for this PSK identity';
      return;
    }
    const cipher = s.cipherSuiteId === null ? null : suiteCipher(s.cipherSuiteId);
    if (cipher === null || s.cipherSuite === null) {
      s.decryptionError = s.cipherSuite !== null && isEphemeralSuite(s.cipherSuite)
        ? `${s.cipherSuite} is forward secret: the PSK alone does not give the keys`
        : `decryption of ${s.cipherSuite ?? 'this suite'} is not supported`;
      return;
    }
    if (t.clientRandom === null || t.serverRandom === null) {
      s.decryptionError = 'hello randoms not seen';
      return;
    }
    const ems = t.clientExtensions.has(EXT_EXTENDED_MASTER_SECRET) && t.serverExtensions.has(EXT_EXTENDED_MASTER_SECRET);
    if (ems && t.sessionHash === null) {
      s.decryptionError = 'extended master secret: handshake messages missing';
      return;
    }
    const master = masterSecret(pskPremasterSecret(psk), t.clientRandom, t.serverRandom, ems ? t.sessionHash : null);
    const kb = keyBlock(master, t.clientRandom, t.serverRandom, cipher.macLength, cipher.keyLength, cipher.fixedIvLength);
    const etm = cipher.algorithm === 'aes-128-cbc' && t.clientExtensions.has(EXT_ENCRYPT_THEN_MAC) && t.serverExtensions.has(EXT_ENCRYPT_THEN_MAC);
    t.client.keys = { cipher, key: kb.clientKey, iv: kb.clientIv, macKey: kb.clientMacKey, encryptThenMac: etm };
    t.server.keys = { cipher, key: kb.serverKey, iv: kb.serverIv, macKey: kb.serverMacKey, encryptThenMac: etm };
    s.decryptionError = null;
  }
}
