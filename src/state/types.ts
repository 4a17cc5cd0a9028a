import type { ResourceType } from '../lwm2m/index.js';

export type EndpointStatus = 'registering' | 'registered' | 'expired' | 'deregistered' | 'rejected';

/** One LwM2M client as the registration interface shows it. */
export interface EndpointState {
  name: string;
  state: EndpointStatus;
  /** Registration location at the server ("/rd/0"), once the Register is answered. */
  location: string | null;
  /** Client address of the latest registration message ("a.b.c.d:port"). */
  address: string;
  /** Earlier client addresses, oldest first (NAT rebinding); null until the address changes. */
  previousAddresses: string[] | null;
  /** Seconds (lt=; LwM2M default 86400). */
  lifetime: number;
  binding: string;
  lwm2mVersion: string;
  sms: string | null;
  queueMode: boolean;
  /** Object list of the latest Register/Update that carried one ("/3/0", "/3305"); shared between endpoints that announce the same list. */
  objects: readonly string[];
  /** Object versions announced with ver= ("/3" → "1.1"); shared like `objects`. */
  objectVersions: Readonly<Record<string, string>>;
  registeredAt: number | null;
  updatedAt: number | null;
  expiresAt: number | null;
  lastSeen: number;
  /** The latest DTLS session linked to the endpoint (by PSK identity, address or decrypted traffic); null: none seen. */
  dtls: EndpointDtls | null;
}

/** What the endpoint record keeps of its DTLS session (the session itself is in the DTLS stage and the store). */
export interface EndpointDtls {
  session: number;
  state: string;
  cipherSuite: string | null;
  pskIdentity: string | null;
}

/** Attributes in force on a path (LwM2M write-attributes); numbers as the server sent them. */
export interface NotificationAttributes {
  pmin?: number;
  pmax?: number;
  gt?: number;
  lt?: number;
  st?: number;
}

export type ObservationStatus = 'requested' | 'active' | 'rejected' | 'cancelled' | 'ended';
export type ObservationEnd = 'cancel' | 'reset' | 'deregistration' | 'expiry' | 'error' | null;

/** An observation; the readonly fields are its identity, fixed when it is made (rules keep values computed from them per observation). */
export interface ObservationState {
  /** Run-unique number, in the order observations started. */
  readonly id: number;
  readonly endpoint: string | null;
  readonly token: string;
  readonly client: string;
  readonly server: string;
  /** The observed path, or the paths of a composite observation (shared between observations: never changed). */
  readonly paths: readonly string[];
  readonly composite: boolean;
  state: ObservationStatus;
  endedBy: ObservationEnd;
  readonly startedAt: number;
  endedAt: number | null;
  notifications: number;
  /** Observe sequence number of the freshest notification (RFC 7641 3.4), or null. */
  lastSeq: number | null;
  lastNotifiedAt: number | null;
  /** Notifications that arrived older than one already seen (RFC 7641 3.4). */
  reordered: number;
  /** Notifications still arriving after the observation was cancelled or ended. */
  lateNotifications: number;
}

export interface BootstrapStep {
  operation: string;
  path: string | null;
  ts: number;
  /** Frame of the request, to attach its response's code. */
  frame: number;
  /** Resources written: path and value length only; the values (keys, PSKs) are never kept. */
  written?: Array<{ path: string; length: number | null }>;
  code?: string;
}

export type BootstrapStatus = 'running' | 'finished' | 'error';

export interface BootstrapSession {
  id: number;
  endpoint: string | null;
  client: string;
  server: string;
  state: BootstrapStatus;
  startedAt: number;
  finishedAt: number | null;
  /** Response code that failed the session ("4.00"), or null. */
  error: string | null;
  steps: BootstrapStep[];
}

/** The last value of one resource of one endpoint (device twin). */
export interface ResourceState {
  endpoint: string;
  path: string;
  name: string | null;
  type: ResourceType;
  value: number | string | boolean;
  updatedAt: number;
  /** Recent numeric samples as [ts, value] pairs, oldest first; null for non-numeric resources. */
  series: NumericSeries | null;
}

export interface NumericSeries {
  /** Interleaved ts, value; a ring of `capacity` samples. */
  readonly data: Float64Array;
  start: number;
  size: number;
}

/** An endpoint entering a new state, with the message that caused it (null frame for expiry). */
export interface EndpointChange {
  endpoint: EndpointState;
  previous: EndpointStatus | null;
  ts: number;
  frame: number | null;
}

/** What the state tracker tells its consumers (the store, the NDJSON stream). */
export interface StateListener {
  endpointChanged?(change: EndpointChange): void;
  /** Any other change to an endpoint's row (update, address, DTLS link). */
  endpointTouched?(endpoint: EndpointState): void;
  /** A message of the endpoint changed nothing but its last-seen time. */
  endpointSeen?(endpoint: EndpointState): void;
  observationChanged?(obs: ObservationState): void;
  resourceChanged?(resource: ResourceState): void;
  bootstrapChanged?(session: BootstrapSession): void;
}
