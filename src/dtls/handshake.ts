import { createHash } from 'node:crypto';
import type { Datagram } from '../decode/types.js';
import { describeCertificate } from './certificates.js';
import {
  parseCertificates, parseClientHello, parseConnectionId, parseMaxFragmentLength, parseServerHello, parseServerName,
  parsePskIdentity, parseSupportedVersions, type Extension, type HandshakeFragment,
} from './parser.js';
import { markError, type Tracked } from './sessions.js';
import { extensionName, isCbcSuite, isPskSuite, isWeakSuite, suiteName, versionName } from './suites.js';
import type { DtlsChange } from './types.js';

export const CLIENT_HELLO = 1;
const SERVER_HELLO = 2;
const HELLO_VERIFY_REQUEST = 3;
const CERTIFICATE = 11;
const SERVER_KEY_EXCHANGE = 12;
const CLIENT_KEY_EXCHANGE = 16;

const EXT_SERVER_NAME = 0;
const EXT_MAX_FRAGMENT_LENGTH = 1;
const EXT_SUPPORTED_VERSIONS = 43;
const EXT_CONNECTION_ID = 54;
const DTLS_1_3 = 0xfefc;

/** A handshake message longer than this is not reassembled (DTLS messages are rarely above a few kB). */
const MAX_MESSAGE = 65_536;
/** Handshake bytes kept for the extended-master-secret hash. */
const MAX_TRANSCRIPT = 262_144;
const MAX_PARTIAL_MESSAGES = 8;
/** Certificates described per session; the sessions whose chain was cut are counted (`dtls.certificates`). */
export const MAX_CERTIFICATES = 10;
/** The server repeating its hello flight this often after the client's Finished: the server rejected the Finished. */
const FAILED_AFTER_REPEATS = 2;

/** What the handshake reading tells the stage, which owns session lifecycles and tables. */
export interface HandshakeHooks {
  emit(t: Tracked, change: DtlsChange, frame: number | null, ts: number): void;
  fail(t: Tracked, frame: number | null, ts: number, reason: string): void;
  /** The client's ClientKeyExchange named its PSK identity. */
  pskIdentity(t: Tracked, identity: string): void;
  /** The ServerHello chose a suite. */
  suiteChosen(name: string): void;
}

/** Reads a 32-byte random from a ClientHello body that may be a first fragment. */
export function helloRandom(body: Buffer): Buffer | null {
  return body.length >= 34 ? body.subarray(2, 34) : null;
}

/** Why a handshake that never completed failed, for the session's `reason`. */
export function incompleteReason(t: Tracked, when: string): string {
  if (!t.serverHello) return `handshake did not complete ${when}: no ServerHello`;
  if (!t.client.finished) return `handshake did not complete ${when}: the client never sent its Finished`;
  return `handshake did not complete ${when}: the server never answered the client's Finished${t.serverRepeats > 0 ? ` (it repeated its hello flight ${t.serverRepeats} times: a key mismatch?)` : ''}`;
}

/**
 * Follows the plaintext (epoch 0) handshake of sessions: reassembles fragmented messages,
 * skips retransmissions, keeps the transcript the extended master secret hashes, and reads
 * hellos, certificates and PSK identities into the session.
 */
export class HandshakeReader {
  /** Certificate messages with more certificates than a session keeps. */
  private cut = 0;

  constructor(private readonly hooks: HandshakeHooks) {}

  get certificatesCut(): number {
    return this.cut;
  }

  /** One handshake message fragment from an epoch-0 record of datagram `d`. */
  fragment(t: Tracked, d: Datagram, m: HandshakeFragment): void {
    const { msgType: type, length, messageSeq: seq, fragmentOffset: offset, body } = m;
    const fromClient = t.s.client === d.src;
    const sender = fromClient ? t.client : t.server;
    if (sender.done.has(seq)) {
      // A retransmission. The server repeating its ServerHello after the client's Finished means it did not accept it.
      if (!fromClient && type === SERVER_HELLO && offset === 0 && t.client.finished && t.s.state === 'handshake') {
        t.serverRepeats++;
        if (t.serverRepeats >= FAILED_AFTER_REPEATS) this.hooks.fail(t, d.frame, d.ts, incompleteReason(t, 'after the client\'s Finished'));
      }
      return;
    }
    let message: Buffer;
    if (offset === 0 && body.length === length) {
      message = body;
    } else {
      if (length > MAX_MESSAGE) {
        markError(t, `handshake message of ${length} bytes not reassembled`);
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
    transcribe(t, type, seq, message);
    this.message(t, d, fromClient, type, message);
  }

  private message(t: Tracked, d: Datagram, fromClient: boolean, type: number, body: Buffer): void {
    const s = t.s;
    switch (type) {
      case CLIENT_HELLO: {
        if (!fromClient) break;
        const ch = parseClientHello(body);
        if (ch.error !== null) {
          markError(t, ch.error);
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
        clientExtensions(t, hello.extensions);
        // Until the ServerHello, the version is what the client offers (1.3 through supported_versions).
        if (!t.serverHello && s.version !== 'DTLS 1.3') s.version = versionName(hello.version);
        if (first) this.hooks.emit(t, 'client-hello', d.frame, d.ts);
        break;
      }
      case SERVER_HELLO: {
        if (fromClient) break;
        const sh = parseServerHello(body);
        if (sh.error !== null) {
          markError(t, sh.error);
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
        this.hooks.suiteChosen(name);
        this.hooks.emit(t, 'server-hello', d.frame, d.ts);
        break;
      }
      case CERTIFICATE: {
        const list = parseCertificates(body);
        if (list.error !== null) {
          markError(t, list.error);
          break;
        }
        const room = MAX_CERTIFICATES - s.certificates.length;
        if (list.value.length > room) this.cut++;
        for (const der of list.value.slice(0, room)) s.certificates.push(describeCertificate(der));
        break;
      }
      case SERVER_KEY_EXCHANGE: {
        if (fromClient || s.cipherSuite === null || !isPskSuite(s.cipherSuite)) break;
        const hint = parsePskIdentity(body, 'ServerKeyExchange');
        if (hint.error !== null) markError(t, hint.error);
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
          markError(t, id.error);
          break;
        }
        this.hooks.pskIdentity(t, id.value.toString('utf8'));
        break;
      }
      default:
        break;
    }
  }
}

/** Keeps the handshake messages the extended master secret hashes (RFC 6347 4.2.6: not the first ClientHello and HelloVerifyRequest). */
function transcribe(t: Tracked, type: number, seq: number, body: Buffer): void {
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

function clientExtensions(t: Tracked, list: Extension[]): void {
  const s = t.s;
  for (const e of list) {
    switch (e.type) {
      case EXT_SERVER_NAME: {
        const sni = parseServerName(e.body);
        if (sni.error !== null) markError(t, sni.error);
        else s.sni = sni.value;
        break;
      }
      case EXT_MAX_FRAGMENT_LENGTH: {
        const mfl = parseMaxFragmentLength(e.body);
        if (mfl.error !== null) markError(t, mfl.error);
        else s.maxFragmentLength = mfl.value;
        break;
      }
      case EXT_CONNECTION_ID: {
        const cid = parseConnectionId(e.body);
        if (cid.error !== null) {
          markError(t, cid.error);
        } else {
          t.clientCid = cid.value;
          s.connectionId = { client: cid.value.toString('hex'), server: s.connectionId?.server ?? null };
        }
        break;
      }
      case EXT_SUPPORTED_VERSIONS: {
        const v = parseSupportedVersions(e.body, true);
        if (v.error !== null) markError(t, v.error);
        else if (v.value.includes(DTLS_1_3)) s.version = 'DTLS 1.3';
        break;
      }
      default:
        break;
    }
  }
}
