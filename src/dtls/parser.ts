import { createRequire } from 'node:module';

/*
 * The DTLS structures as the parser generated from dissectors/dtls.ksy reads them. Each
 * record, handshake message and extension is parsed on its own so that one fault (reported
 * as a string) leaves the rest readable; nothing here throws.
 */

type Bytes = Uint8Array;

interface KRecord {
  firstByte: number;
  plain?: { version: number; epoch: number; sequenceNumber: number; connectionId?: Bytes; length: number };
  unified?: { connectionId?: Bytes; sequenceNumber: number; hasLength: boolean; epochBits: number };
  fragment: Bytes;
}
interface KHandshake { msgType: number; length: number; messageSeq: number; fragmentOffset: number; fragmentLength: number; body: Bytes }
interface KExtensions { list: { items: Array<{ extType: number; body: Bytes }> } }
interface KClientHello {
  clientVersion: number; random: Bytes; sessionId: Bytes; cookie: Bytes; cipherSuites: number[]; extensions?: KExtensions;
}
interface KServerHello { serverVersion: number; random: Bytes; sessionId: Bytes; cipherSuite: number; extensions?: KExtensions }

type Ctor<T> = new (io: unknown, parent: null, root: null, ...params: number[]) => T;

interface Generated {
  KaitaiStream: new (view: DataView) => { pos: number; size: number; isEof(): boolean };
  Dtls: {
    Record: Ctor<KRecord>;
    Handshake: Ctor<KHandshake>;
    ClientHello: Ctor<KClientHello>;
    ServerHello: Ctor<KServerHello>;
    HelloVerifyRequest: Ctor<{ serverVersion: number; cookie: Bytes }>;
    ServerNameList: Ctor<{ names: { items: Array<{ nameType: number; name: Bytes }> } }>;
    MaxFragmentLength: Ctor<{ code: number }>;
    ConnectionId: Ctor<{ cid: Bytes }>;
    SupportedVersionsClient: Ctor<{ versions: number[] }>;
    SupportedVersionsServer: Ctor<{ version: number }>;
    PskIdentity: Ctor<{ identity: Bytes }>;
    CertificateList: Ctor<{ list: { items: Array<{ der: Bytes }> } }>;
    Alert: Ctor<{ level: number; description: number }>;
  };
}

let generated: Generated | string | undefined;

/** The generated parser, loaded on first use so a missing build step fails DTLS dissection, not startup. */
function parser(): Generated | string {
  if (generated === undefined) {
    try {
      const require = createRequire(import.meta.url);
      generated = {
        KaitaiStream: require('kaitai-struct/KaitaiStream') as Generated['KaitaiStream'],
        // generated/ sits at the repo root; dist/ mirrors src/, so this resolves from both.
        Dtls: (require('../../generated/Dtls.cjs') as { Dtls: Generated['Dtls'] }).Dtls,
      };
    } catch {
      generated = 'DTLS parser not built (run node scripts/compile-ksy.mjs)';
    }
  }
  return generated;
}

function buf(b: Bytes): Buffer {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength);
}

function stream(g: Generated, b: Bytes) {
  return new g.KaitaiStream(new DataView(b.buffer, b.byteOffset, b.byteLength));
}

function reason(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  const short = /requested (\d+) bytes, but only (\d+) bytes available/.exec(text);
  if (short) return `runs past the end (${short[1]} bytes wanted, ${short[2]} left)`;
  return /EOF|out of range|Offset is outside|beyond|RangeError/i.test(text) ? 'runs past the end' : text;
}

export type Parsed<T> = { value: T; error: null } | { value: null; error: string };

/** Parses `bytes` as the generated type `name`; the whole input must be consumed. */
function parseAs<K extends keyof Generated['Dtls'], T>(name: K, bytes: Bytes, what: string, map: (k: InstanceType<Generated['Dtls'][K]>) => T): Parsed<T> {
  const g = parser();
  if (typeof g === 'string') return { value: null, error: g };
  try {
    const io = stream(g, bytes);
    const k = new (g.Dtls[name] as unknown as Ctor<InstanceType<Generated['Dtls'][K]>>)(io, null, null);
    if (!io.isEof()) return { value: null, error: `${what}: ${io.size - io.pos} bytes left over` };
    return { value: map(k), error: null };
  } catch (err) {
    return { value: null, error: `${what}: ${reason(err)}` };
  }
}

export interface DtlsRecord {
  /** Content type (20-25); for a DTLS 1.3 unified-header record, 23 (encrypted, real type inside). */
  contentType: number;
  /** 0xfefd...; 0 for a unified-header record (no version field). */
  version: number;
  epoch: number;
  /** 48-bit sequence number (for a unified-header record: the low bits as sent, encrypted). */
  sequence: number;
  fragment: Buffer;
  connectionId: Buffer | null;
  /** DTLS 1.3 unified header (RFC 9147 4). */
  unified: boolean;
  offset: number;
}

/**
 * Every record in a datagram. `cidLength` is the connection-ID length records of content type
 * 25 (or unified headers with the C bit) carry in this direction; records before a fault are kept.
 */
export function parseRecords(payload: Buffer, cidLength = 0): { records: DtlsRecord[]; error: string | null } {
  const records: DtlsRecord[] = [];
  const g = parser();
  if (typeof g === 'string') return { records, error: g };
  const io = stream(g, payload);
  while (!io.isEof()) {
    const offset = io.pos;
    try {
      const r = new g.Dtls.Record(io, null, null, cidLength);
      if (r.plain) {
        const p = r.plain;
        records.push({
          contentType: r.firstByte, version: p.version, epoch: p.epoch, sequence: p.sequenceNumber, fragment: buf(r.fragment),
          connectionId: p.connectionId ? buf(p.connectionId) : null, unified: false, offset,
        });
      } else {
        const u = r.unified!;
        records.push({
          contentType: 23, version: 0, epoch: u.epochBits, sequence: u.sequenceNumber, fragment: buf(r.fragment),
          connectionId: u.connectionId ? buf(u.connectionId) : null, unified: true, offset,
        });
      }
    } catch (err) {
      return { records, error: `record at offset ${offset}: ${reason(err)}` };
    }
  }
  return { records, error: null };
}

export interface HandshakeFragment {
  msgType: number;
  length: number;
  messageSeq: number;
  fragmentOffset: number;
  body: Buffer;
}

/** Every handshake message (fragment) in a plaintext handshake record. */
export function parseHandshakes(fragment: Buffer): { messages: HandshakeFragment[]; error: string | null } {
  const messages: HandshakeFragment[] = [];
  const g = parser();
  if (typeof g === 'string') return { messages, error: g };
  const io = stream(g, fragment);
  while (!io.isEof()) {
    const offset = io.pos;
    try {
      const h = new g.Dtls.Handshake(io, null, null);
      if (h.fragmentOffset + h.fragmentLength > h.length) return { messages, error: `handshake fragment at offset ${offset} runs past its message length` };
      messages.push({ msgType: h.msgType, length: h.length, messageSeq: h.messageSeq, fragmentOffset: h.fragmentOffset, body: buf(h.body) });
    } catch (err) {
      return { messages, error: `handshake message at offset ${offset}: ${reason(err)}` };
    }
  }
  return { messages, error: null };
}

export interface Extension {
  type: number;
  body: Buffer;
}

export interface ClientHello {
  version: number;
  random: Buffer;
  sessionId: Buffer;
  cookie: Buffer;
  cipherSuites: number[];
  extensions: Extension[];
}

export interface ServerHello {
  version: number;
  random: Buffer;
  sessionId: Buffer;
  cipherSuite: number;
  extensions: Extension[];
}

function extensions(e: KExtensions | undefined): Extension[] {
  return e ? e.list.items.map((x) => ({ type: x.extType, body: buf(x.body) })) : [];
}

export function parseClientHello(body: Buffer): Parsed<ClientHello> {
  return parseAs('ClientHello', body, 'ClientHello', (k) => ({
    version: k.clientVersion, random: buf(k.random), sessionId: buf(k.sessionId), cookie: buf(k.cookie),
    cipherSuites: k.cipherSuites, extensions: extensions(k.extensions),
  }));
}

export function parseServerHello(body: Buffer): Parsed<ServerHello> {
  return parseAs('ServerHello', body, 'ServerHello', (k) => ({
    version: k.serverVersion, random: buf(k.random), sessionId: buf(k.sessionId), cipherSuite: k.cipherSuite, extensions: extensions(k.extensions),
  }));
}

export function parseHelloVerifyRequest(body: Buffer): Parsed<{ version: number; cookie: Buffer }> {
  return parseAs('HelloVerifyRequest', body, 'HelloVerifyRequest', (k) => ({ version: k.serverVersion, cookie: buf(k.cookie) }));
}

/** The host_name of a server_name extension (RFC 6066 3), as latin1 bytes → string. */
export function parseServerName(body: Buffer): Parsed<string | null> {
  return parseAs('ServerNameList', body, 'server_name extension', (k) => {
    const host = k.names.items.find((n) => n.nameType === 0);
    return host ? buf(host.name).toString('utf8') : null;
  });
}

/** max_fragment_length (RFC 6066 4): the code as a length in bytes, or null for an unknown code. */
export function parseMaxFragmentLength(body: Buffer): Parsed<number | null> {
  return parseAs('MaxFragmentLength', body, 'max_fragment_length extension', (k) => (k.code >= 1 && k.code <= 4 ? 1 << (8 + k.code) : null));
}

export function parseConnectionId(body: Buffer): Parsed<Buffer> {
  return parseAs('ConnectionId', body, 'connection_id extension', (k) => buf(k.cid));
}

export function parseSupportedVersions(body: Buffer, fromClient: boolean): Parsed<number[]> {
  return fromClient
    ? parseAs('SupportedVersionsClient', body, 'supported_versions extension', (k) => k.versions)
    : parseAs('SupportedVersionsServer', body, 'supported_versions extension', (k) => [k.version]);
}

/**
 * The PSK identity (ClientKeyExchange) or identity hint (ServerKeyExchange) at the start of a PSK
 * suite's key exchange body; what follows (ECDHE/DHE/RSA parameters) is not read.
 */
export function parsePskIdentity(body: Buffer, what: string): Parsed<Buffer> {
  const g = parser();
  if (typeof g === 'string') return { value: null, error: g };
  try {
    const k = new g.Dtls.PskIdentity(stream(g, body), null, null);
    return { value: buf(k.identity), error: null };
  } catch (err) {
    return { value: null, error: `${what}: ${reason(err)}` };
  }
}

export function parseCertificates(body: Buffer): Parsed<Buffer[]> {
  return parseAs('CertificateList', body, 'Certificate', (k) => k.list.items.map((c) => buf(c.der)));
}

export function parseAlert(body: Buffer): Parsed<{ level: number; description: number }> {
  return parseAs('Alert', body, 'alert', (k) => ({ level: k.level, description: k.description }));
}
