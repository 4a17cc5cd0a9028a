/** What a passive observer knows about one DTLS session (one client/server address pair, one handshake). */
export type DtlsSessionStatus = 'handshake' | 'established' | 'failed' | 'closed';

export interface DtlsAlert {
  ts: number;
  frame: number;
  /** 'warning', 'fatal', 'unknown(N)', or 'encrypted' when the alert could not be read. */
  level: string;
  /** RFC 5246/8446 name ('close_notify', 'handshake_failure', ...), 'unknown(N)', or 'encrypted'. */
  description: string;
  /** The address that sent it. */
  from: string;
}

export interface DtlsCertificate {
  subject: string | null;
  issuer: string | null;
  notBefore: string | null;
  notAfter: string | null;
  /** Why the DER could not be read as X.509 (a raw public key, RFC 7250, or damage), or null. */
  error: string | null;
}

export interface DtlsSession {
  /** Run-unique number, in the order sessions started. */
  id: number;
  /** Address of the side that sent the ClientHello (or, without one, the side not on a DTLS port). */
  client: string;
  server: string;
  /** LwM2M endpoint name, when the PSK identity, the client address or decrypted traffic tells. */
  endpoint: string | null;
  /** 'DTLS 1.0', 'DTLS 1.2', 'DTLS 1.3'; null until a hello or record tells. */
  version: string | null;
  state: DtlsSessionStatus;
  /** Why the handshake failed or the session closed, or null. */
  reason: string | null;
  /** Whether the handshake was seen (false: the capture began inside the session). */
  handshakeSeen: boolean;
  cipherSuite: string | null;
  cipherSuiteId: number | null;
  offeredSuites: string[];
  pskIdentity: string | null;
  pskIdentityHint: string | null;
  sni: string | null;
  /** Max fragment length the client asked for (RFC 6066), in bytes, or null. */
  maxFragmentLength: number | null;
  /** Connection ID the client and the server asked for (RFC 9146), hex, or null. */
  connectionId: { client: string | null; server: string | null } | null;
  /** Extension names the client offered, in order. */
  extensions: string[];
  certificates: DtlsCertificate[];
  alerts: DtlsAlert[];
  /** null: no key (or a suite that cannot be decrypted from the PSK); 'ok'; 'failed' (wrong key). */
  decryption: null | 'ok' | 'failed';
  /** Why decryption is not possible or failed, or null. */
  decryptionError: string | null;
  /** DTLS records seen in both directions. */
  records: number;
  /** Bytes of application data records (ciphertext, as on the wire, without record headers). */
  appDataBytes: number;
  /** Malformed records or handshake messages seen, with the latest reason. */
  errors: number;
  lastError: string | null;
  startedAt: number;
  lastSeen: number;
  /** NULL, anonymous, export, RC4, DES or 3DES suite chosen. */
  weakSuite: boolean;
  /** CBC-mode suite chosen (padding-oracle prone; LwM2M prefers AES-CCM). */
  cbcSuite: boolean;
}

export type DtlsChange =
  | 'client-hello'
  | 'server-hello'
  | 'established'
  | 'alert'
  | 'handshake-failed'
  | 'decryption-failed'
  | 'closed'
  | 'endpoint';

/** A session changed; `session` is the live state object (copy it to keep a snapshot). */
export interface DtlsEvent {
  ts: number;
  /** Frame of the packet that caused it; null for a change found at the end of the capture or by timeout. */
  frame: number | null;
  change: DtlsChange;
  session: DtlsSession;
}

export interface DtlsStats {
  /** UDP datagrams handed to the DTLS stage. */
  datagrams: number;
  records: number;
  malformed: number;
  sessions: number;
  established: number;
  failed: number;
  closed: number;
  /** Application data records decrypted into plaintext. */
  decrypted: number;
  /** Sessions dropped from the table to keep it bounded. */
  evicted: number;
  /** Chosen suite → sessions. */
  suites: Map<string, number>;
}

/** PSK identity → key, for decryption. */
export type PskKeys = ReadonlyMap<string, Buffer>;
