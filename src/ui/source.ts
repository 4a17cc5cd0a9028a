import type { TableOverflow } from '../util/bounded-map.js';
import { SEVERITIES, type Severity } from '../rules/index.js';
import type { EventRow } from '../store/index.js';

/**
 * What the dashboard's views ask for. Every call is a synchronous, bounded snapshot query:
 * lists come a window (offset, limit) at a time, so 10,000 endpoints or 100,000 events cost
 * one page per redraw. Two implementations: StoreSource (a database written by analyze --db)
 * and LiveSource (a running analysis). Strings in the results come off the network: the views
 * sanitize them before drawing.
 */


export interface Overview {
  /** Where the traffic came from: capture file or interface. */
  source: string;
  /** The capture file whose frame numbers the events and messages give (tshark -r FILE); null for an interface. */
  captureFile: string | null;
  /** True while packets still flow (live); false for a stored or finished run. */
  live: boolean;
  packets: number | null;
  messages: number;
  /** Messages per second: over the last seconds of capture time when live, the run's average when stored. */
  messageRate: number | null;
  packetRate: number | null;
  /** Messages per second of capture time, oldest first (the sparkline). */
  messageSeries: number[];
  captureStart: number | null;
  captureEnd: number | null;
  endpointsByState: Record<string, number>;
  eventsBySeverity: Record<string, number>;
  events: number;
  /** Busiest source addresses by messages sent; null when unknown (stored without messages). */
  topTalkers: Array<{ address: string; endpoint: string | null; messages: number }> | null;
  drops: Array<[label: string, value: number]>;
  /** Extra facts (run number, database path, malformed counts). */
  notes: Array<[label: string, value: string]>;
  /** Tables that reached their bound (entries dropped, oldest first, or the excess not recorded); null when not known (older runs). */
  overflow: TableOverflow[] | null;
  /** A store several sensors write into: each sensor's newest run, by sensor name; absent with one sensor. */
  sensors?: SensorRuns;
}

/** The sensors of a shared store, at most SENSORS_LISTED of them; `total` counts them all. */
export interface SensorRuns {
  rows: Array<{ sensor: string; run: number; source: string; live: boolean; messages: number; events: number; captureEnd: number | null }>;
  total: number;
}

export type EndpointSortKey = 'name' | 'state' | 'address' | 'lifetime' | 'lastSeen' | 'events' | 'objects';
export const ENDPOINT_SORT_KEYS: readonly EndpointSortKey[] = ['lastSeen', 'name', 'state', 'address', 'lifetime', 'objects', 'events'];

export interface EndpointQuery {
  sort: EndpointSortKey;
  descending: boolean;
  /** Substring of the name or address; `state:NAME` tokens filter on the state. */
  filter: string;
  offset: number;
  limit: number;
}

export interface EndpointSummary {
  name: string;
  address: string;
  state: string;
  lifetime: number;
  /** Seconds until expiry at the capture's "now"; null when not registered. */
  expiresAt: number | null;
  lwm2mVersion: string;
  binding: string;
  objects: number;
  lastSeen: number;
  events: number;
}

export interface Page<T> {
  rows: T[];
  /** Rows matching the filter, all pages together. */
  total: number;
  offset: number;
}

export interface RegistrationEvent {
  ts: number;
  frame: number | null;
  /** register, update, deregister (requests) with the answer's code when seen. */
  operation: string;
  code: string | null;
  address: string;
  detail: string;
}

export interface EndpointDetail {
  name: string;
  state: string;
  address: string;
  previousAddresses: string[];
  location: string | null;
  lifetime: number;
  binding: string;
  lwm2mVersion: string;
  sms: string | null;
  queueMode: boolean;
  objects: string[];
  registeredAt: number | null;
  updatedAt: number | null;
  expiresAt: number | null;
  lastSeen: number;
  /** Registration interface messages, oldest first; null when the source has none (no stored messages). */
  history: RegistrationEvent[] | null;
}

export interface ResourceValue {
  path: string;
  name: string | null;
  type: string;
  value: number | string | boolean | null;
  updatedAt: number;
  /** Numeric samples [ts, value] oldest first, for sparklines; empty when none are kept. */
  series: Array<[number, number]>;
}

export interface ObservationSummary {
  id: number;
  token: string;
  paths: string[];
  attributes: Record<string, number>;
  state: string;
  endedBy: string | null;
  notifications: number;
  lastSeq: number | null;
  reordered: number;
  lateNotifications: number;
  startedAt: number;
  lastNotifiedAt: number | null;
}

/** One message of an endpoint's flow, with its full record for the dissection view. */
export interface FlowMessage {
  frame: number;
  /** 0; 1, 2, ... for further messages of the same frame (TCP). */
  n: number;
  ts: number;
  src: string;
  dst: string;
  type: string | null;
  code: string;
  operation: string | null;
  path: string | null;
  contentFormat: number | null;
  /** Bytes of the CoAP message. */
  size: number;
  role: string;
  endpoint: string | null;
  /** Frame of the request this message answers (or the message it acknowledges). */
  responseTo: number | null;
  /** On a request: frame of its first response; null when none (or not known: the live dashboard). */
  responseIn: number | null;
  retransmissionOf: number | null;
  /**
   * The message as the NDJSON record describes it, when the source holds it (the live
   * dashboard); null: the detail reads it again from the capture (DashboardSource.messageDetail).
   */
  record: () => MessageRecord | null;
}

/** A message's detail pane: its dissection, its bytes, and what it links to. */
export interface MessageDetail {
  /** The full record; null when it could not be read again (see note). */
  record: MessageRecord | null;
  /** The frame's bytes as captured; null when not at hand (see note). */
  bytes: Uint8Array | null;
  /** One line: why the record or the bytes are missing or poorer (the capture moved: ui --source PATH); null: nothing to say. */
  note: string | null;
  /** On a request: its first response's frame and code. */
  response: { frame: number; code: string } | null;
}

/** Messages of the Messages view: every message of the run, filtered (see parseMessageFilter), oldest first. */
export interface MessageQuery {
  filter: string;
  offset: number;
  limit: number;
}

/** What `s` saves to a pcap: the Messages view's list as filtered, or a flow (an endpoint's; null: every message). */
export type SaveSelection = { kind: 'messages'; filter: string } | { kind: 'flow'; endpoint: string | null };

/** The file name `s` offers, or why nothing can be saved. */
export type SaveOffer = { name: string } | { error: string };

/** The parts of the NDJSON message record the dissection view draws. */
export interface MessageRecord {
  frame: number;
  ts: number;
  src: string;
  dst: string;
  transport: string;
  coap: {
    type: string | null; code: string; mid: number | null; token: string;
    options: Array<{ number: number; name: string; value: number | string }>;
    uriPath: string | null; uriQuery: string[]; contentFormat: number | null; accept: number | null; observe: number | null;
    block1: unknown; block2: unknown; locationPath: string | null; payloadLength: number; role: string;
    retransmission: boolean; retransmissionOf: number | null; responseTo: number | null; responseTime: number | null;
  };
  lwm2m: {
    operation: string; endpoint: string | null; path: string | null;
    records: Array<{ path: string; name: string | null; type: string; value: unknown; time?: number }>;
    objects: string[] | null; links: Array<{ uri: string; attrs: Record<string, unknown> }> | null; payloadError: string | null;
  } | null;
  error: string | null;
}

export interface FlowPage extends Page<FlowMessage> {
  /** Why there are no messages and how to get them (stored without --store-messages); null when available. */
  unavailable: string | null;
  /**
   * Messages of this flow in the run, kept or not; `total` counts those that can be shown (the
   * live dashboard keeps the newest of each endpoint). Null when not known.
   */
  seen: number | null;
  /** Messages of the whole run, every endpoint's and none's. */
  runMessages: number;
}

/** Where a frame lies in a flow, counted from the newest message (0) as flow pages are. */
export interface FramePlace {
  offset: number;
  /** The frame's own message; false: the frame is not in the flow, this is the nearest message before it (or after, when none is before). */
  exact: boolean;
}

export interface EventQuery {
  /** Lowest severity shown. */
  minSeverity: string;
  /** Free text (rule, endpoint or message substring) and `rule:` (substring), `ep:`/`endpoint:` (exact name), `sev:` tokens. */
  filter: string;
  /** Only this endpoint's events (endpoint detail). */
  endpoint?: string;
  offset: number;
  limit: number;
}

/**
 * An event as the dashboard lists it: the store's row without the run (the dashboard shows one
 * run), and the capture file its frame number counts in (null or absent: unknown).
 */
export type EventSummary = Omit<EventRow, 'run'> & { capture?: string | null };

export interface DashboardSource {
  /** Grows whenever the data changes; the live dashboard polls it and redraws only then. */
  version(): number;
  overview(): Overview;
  endpoints(q: EndpointQuery): Page<EndpointSummary>;
  endpoint(name: string): EndpointDetail | null;
  /** Last values of every resource of the endpoint, by path, with their numeric series. */
  resources(name: string): ResourceValue[];
  observations(name: string): ObservationSummary[];
  /**
   * Newest `limit` messages of a flow, skipping `offset` newest, returned oldest first. A flow is
   * an endpoint's messages, or with null every message of the run (those of no endpoint too).
   */
  flow(endpoint: string | null, offset: number, limit: number): FlowPage;
  /** Where `frame` lies in the flow of `endpoint` (null: every message); null when that flow has no message. */
  frameOffset(endpoint: string | null, frame: number): FramePlace | null;
  /**
   * The offset of the first message past offset `from` that matches `text` (see flowMatches),
   * going to older messages or, with `older` false, to newer ones; null when none does.
   */
  searchFlow(endpoint: string | null, text: string, from: number, older: boolean): number | null;
  /** Every message of the run, filtered, oldest first (the Messages view). */
  messages(q: MessageQuery): FlowPage;
  /** The detail of a message: its full dissection, its bytes and its response. */
  messageDetail(m: FlowMessage): MessageDetail;
  /** The file name `s` offers for a selection (coapwatch-RUN-FIRST-LAST.pcap), or why it cannot be saved. */
  saveOffer(sel: SaveSelection): SaveOffer;
  /** Writes the selection's frames to a pcap at `path`; returns what was written, in one line. Throws an Error of one line. */
  save(sel: SaveSelection, path: string): string;
  /** Newest first. */
  events(q: EventQuery): Page<EventSummary>;
  /** One event by its id (ui --event); null when the run has none with that id. */
  event(id: number): EventSummary | null;
  /** True while packets still come (a running analysis, a followed run not yet finished). */
  isLive(): boolean;
  /** "Now" for lifetimes and ages: the capture time of the latest message. */
  now(): number;
}

/**
 * The messages of an event or a frame: the page of the flow (the endpoint's, or every message
 * with null) with `frame`'s message, `rows` long and centred on it. `at` indexes the frame's
 * message in the page's rows (null when the flow does not hold it: the page is then around the
 * nearest message). Null when the flow has no messages.
 */
export function messagesAround(source: DashboardSource, frame: number, endpoint: string | null, rows: number): { page: FlowPage; at: number | null } | null {
  const place = source.frameOffset(endpoint, frame);
  if (place === null) return null;
  const bottom = Math.max(0, place.offset - Math.floor(rows / 2));
  const page = source.flow(endpoint, bottom, rows);
  const i = page.rows.length - 1 - (place.offset - bottom);
  return { page, at: place.exact && i >= 0 && i < page.rows.length ? i : null };
}

/**
 * Whether a flow message matches a search: a case-insensitive substring of its addresses, type,
 * code (or method), LwM2M operation or path, or its frame number as "#N".
 */
export function flowMatches(m: FlowMessage, text: string): boolean {
  const t = text.trim().toLowerCase();
  if (t === '') return false;
  if (/^#\d+$/.test(t)) return m.frame === Number(t.slice(1));
  const fields = [m.src, m.dst, m.type ?? '', m.code, METHOD_NAMES[m.code] ?? '', m.operation ?? '', m.path ?? ''];
  return fields.some((f) => f.toLowerCase().includes(t));
}

/** CoAP request codes by their method names (the flow's arrows show them). */
export const METHOD_NAMES: Readonly<Record<string, string>> = {
  '0.01': 'GET', '0.02': 'POST', '0.03': 'PUT', '0.04': 'DELETE', '0.05': 'FETCH', '0.06': 'PATCH', '0.07': 'iPATCH',
};

/** Parses the filter text of the events view: `sev:high rule:x ep:meter free text`. */
export function parseEventFilter(text: string): { severity?: string; rule?: string; endpoint?: string; text: string } {
  const out: { severity?: string; rule?: string; endpoint?: string; text: string } = { text: '' };
  const free: string[] = [];
  for (const word of text.trim().split(/\s+/)) {
    if (word === '') continue;
    const m = /^(sev|severity|rule|ep|endpoint):(.*)$/.exec(word);
    if (!m) free.push(word);
    else if (m[1] === 'sev' || m[1] === 'severity') out.severity = m[2];
    else if (m[1] === 'rule') out.rule = m[2];
    else out.endpoint = m[2];
  }
  out.text = free.join(' ');
  return out;
}

/** A parsed filter of the Messages view. */
export interface MessageFilter {
  /** ep:NAME, the endpoint's full name. */
  endpoint?: string;
  /** addr:TEXT, a substring of the source or destination address. */
  address?: string;
  /** op:NAME, the LwM2M operation (register, read, write, ...). */
  operation?: string;
  /** code:2.04 or code:GET (a method name is its request code). */
  code?: string;
  /** frame:A-B, frame:N, or #A-B, #N: inclusive. */
  frames?: [number, number];
  /** Free text: a substring of an address, the endpoint or the path. */
  text: string;
  /** Words not understood (a frame range that is not one): shown, never applied silently. */
  invalid: string[];
}

/** Parses the filter text of the Messages view: `ep:meter-1 addr:10.1 op:write code:4.01 frame:100-200 free text`. */
export function parseMessageFilter(text: string): MessageFilter {
  const out: MessageFilter = { text: '', invalid: [] };
  const free: string[] = [];
  for (const word of text.trim().split(/\s+/)) {
    if (word === '') continue;
    const m = /^(ep|endpoint|addr|address|op|operation|code|frames?):(.*)$/.exec(word) ?? (/^#/.test(word) ? ['', 'frame', word.slice(1)] : null);
    if (!m) {
      free.push(word);
      continue;
    }
    const value = m[2];
    switch (m[1]) {
      case 'ep': case 'endpoint': out.endpoint = value; break;
      case 'addr': case 'address': out.address = value; break;
      case 'op': case 'operation': out.operation = value.toLowerCase(); break;
      case 'code': {
        const method = Object.keys(METHOD_NAMES).find((c) => METHOD_NAMES[c].toLowerCase() === value.toLowerCase());
        out.code = method ?? value;
        break;
      }
      default: {
        const r = /^(\d{1,15})(?:-(\d{1,15}))?$/.exec(value);
        if (r === null) out.invalid.push(word);
        else out.frames = [Number(r[1]), Number(r[2] ?? r[1])];
      }
    }
  }
  out.text = free.join(' ');
  return out;
}

/** Whether a message passes a Messages filter (the live source's test; the store's is SQL). */
export function messageMatches(m: FlowMessage, f: MessageFilter): boolean {
  if (f.invalid.length > 0) return false;
  if (f.endpoint !== undefined && m.endpoint !== f.endpoint) return false;
  const has = (v: string | null, t: string) => v !== null && v.toLowerCase().includes(t.toLowerCase());
  if (f.address !== undefined && !has(m.src, f.address) && !has(m.dst, f.address)) return false;
  if (f.operation !== undefined && m.operation !== f.operation) return false;
  if (f.code !== undefined && m.code !== f.code) return false;
  if (f.frames !== undefined && (m.frame < f.frames[0] || m.frame > f.frames[1])) return false;
  if (f.text !== '') {
    if (![m.src, m.dst, m.endpoint, m.path].some((v) => has(v, f.text))) return false;
  }
  return true;
}

/** Parses the filter text of the endpoints view: `state:registered free text`. */
export function parseEndpointFilter(text: string): { state?: string; text: string } {
  const out: { state?: string; text: string } = { text: '' };
  const free: string[] = [];
  for (const word of text.trim().split(/\s+/)) {
    if (word === '') continue;
    const m = /^state:(.*)$/.exec(word);
    if (m) out.state = m[1];
    else free.push(word);
  }
  out.text = free.join(' ');
  return out;
}

/** Severities at or above `min`. */
export function severitiesFrom(min: string): string[] {
  const i = SEVERITIES.indexOf(min as Severity);
  return i < 0 ? [...SEVERITIES] : SEVERITIES.slice(i);
}

/** LwM2M operations of the registration interface (the endpoint's history). */
export const REGISTRATION_OPERATIONS = new Set(['register', 'update', 'deregister']);
