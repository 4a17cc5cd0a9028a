import { METHOD, type CoapEvent, type CoapMessage, type ExchangeRecord } from '../coap/index.js';
import type { OverflowCounters } from '../util/bounded-map.js';
import { classifyRequest } from './classify.js';
import { endpointName } from './endpoint-name.js';
import { EndpointDirectory } from './endpoints.js';
import { isObjectPath, type Operation } from './operations.js';
import { decodePayload } from './payload/index.js';
import type { CoreLink, Lwm2mRecord } from './payload/types.js';

const LINK_FORMAT = 40;
/** Requests whose token later notifications carry (after a cancel, the cancel's). */
const OBSERVATION_OPERATIONS = new Set<Operation>(['observe', 'observe-composite', 'cancel-observation', 'cancel-observation-composite']);
/** Content formats only LwM2M uses: SenML JSON/CBOR, OMA TLV/JSON/CBOR and their legacy numbers. */
const LWM2M_FORMATS = new Set([110, 112, 1542, 1543, 11542, 11543, 11544]);
const CREATED = 0x41; // 2.01
const CHANGED = 0x44; // 2.04
const DELETED = 0x42; // 2.02

/** The LwM2M reading of one CoAP message. */
export interface Lwm2mInfo {
  operation: Operation;
  endpoint: string | null;
  /** Object-model path the operation addresses ("/3/0/9"); null for registration, bootstrap and send. */
  path: string | null;
  /** Resource values decoded from the (reassembled) payload. */
  records: Lwm2mRecord[];
  /** Register/Update object list ("/3/0", "/3305"), or null when the message carries none. */
  objects: string[] | null;
  /** Link-format payloads (register, discover): every link with its attributes. */
  links: CoreLink[] | null;
  /** Why the payload could not be decoded, or null. */
  payloadError: string | null;
}

/** What the stage keeps on a request so its responses get the same reading. Never changed once made. */
interface RequestTag {
  readonly operation: Operation;
  readonly endpoint: string | null;
  readonly path: string | null;
}

/** A tag, its fields always in the same order (one object shape). */
function requestTag(operation: Operation, endpoint: string | null, path: string | null): RequestTag {
  return { operation, endpoint, path };
}

/**
 * The reading every notification of an observation gets, from its Observe (or cancel) request's
 * tag; undefined when that names no endpoint (each notification then looks its endpoint up).
 * Made again when asked, not kept: it follows from the request's tag alone, and a fleet keeps
 * a tag per observed meter for as long as the observation lasts.
 */
function notificationTag(observe: RequestTag): RequestTag | undefined {
  if (observe.endpoint === null) return undefined;
  return requestTag(OBSERVATION_OPERATIONS.has(observe.operation) ? 'notify' : 'unknown', observe.endpoint, observe.path);
}

/**
 * What the tags table keeps of a request's tag: for an Observe request with an endpoint, the
 * endpoint alone (observeTag makes the tag again from it and the record); any other tag as it
 * is. An Observe request's record lives as long as its observation, one per observed meter,
 * and its tag would be an object more each.
 */
function kept(tag: RequestTag, record: ExchangeRecord): RequestTag | string {
  const observe = (tag.operation === 'observe' && record.code === METHOD.GET) || (tag.operation === 'observe-composite' && record.code === METHOD.FETCH);
  return observe && tag.endpoint !== null && tag.path === record.uriPath ? tag.endpoint : tag;
}

/** The tag of an Observe request that the tags table keeps as its endpoint (see kept). */
function observeTag(record: ExchangeRecord, endpoint: string): RequestTag {
  return requestTag(record.code === METHOD.FETCH ? 'observe-composite' : 'observe', endpoint, record.uriPath);
}

function sameReading(a: RequestTag | undefined, b: RequestTag): boolean {
  return a !== undefined && (a === b || (a.operation === b.operation && a.endpoint === b.endpoint && a.path === b.path));
}

const NO_RECORDS: Lwm2mRecord[] = [];

export interface Lwm2mStageOptions {
  /** Where the stage's bounded tables report entries they dropped. */
  counters?: OverflowCounters;
}

export class Lwm2mStage {
  private readonly directory: EndpointDirectory;
  /**
   * The reading of each remembered exchange (request, ping, a response that starts a reading),
   * so that its answers get the same one. The CoAP stage owns the records and forgets them; a
   * weak map forgets the reading with them, so this table needs no bound of its own.
   * A notification's reading follows from its observation's, found through the observation
   * its record names (see tagOf): notifications are most of the records a fleet leaves, and
   * a weak map entry each costs the collector far more than a lookup saves.
   */
  private readonly tags = new WeakMap<ExchangeRecord, RequestTag | string>();

  constructor(opts: Lwm2mStageOptions = {}) {
    this.directory = new EndpointDirectory(opts.counters);
  }

  handle(e: CoapEvent): Lwm2mInfo | null {
    const msg = e.msg;
    if (msg.error) return null;
    const match = e.match;
    let tag: RequestTag;

    switch (match.role) {
      case 'request': {
        tag = (match.retransmissionOf !== null && this.tagOf(match.record)) || this.tagRequest(e);
        if (match.record) this.tags.set(match.record, kept(tag, match.record));
        break;
      }
      case 'ping': {
        // Tagged like a request so that the RST (or empty ACK) answering it is a ping too.
        const ping = requestTag('ping', this.directory.byEitherAddress(e.src, e.dst), null);
        if (match.record) this.tags.set(match.record, ping);
        return this.info(ping);
      }
      case 'notification': {
        const observe = this.tagOf(match.request);
        const derived = observe === undefined ? undefined : notificationTag(observe);
        // Without an endpoint from the observation, each notification looks its own up.
        tag = derived ?? requestTag(
          observe !== undefined && OBSERVATION_OPERATIONS.has(observe.operation) ? 'notify' : 'unknown',
          this.directory.byClientAddress(e.src) ?? null, observe?.path ?? null,
        );
        // A new record that names this observation already reads as the observation's notifications do (tagOf).
        const record = match.record;
        const derivable = match.retransmissionOf === null && record !== null && record.observation === match.request && derived !== undefined;
        if (record !== null && !derivable && !sameReading(this.tagOf(record), tag)) this.tags.set(record, tag);
        break;
      }
      default: {
        // response, ack, reset, signal
        const request = match.request;
        const requestsTag = this.tagOf(request);
        if (requestsTag) {
          tag = requestsTag;
          if (request) this.learnFromResponse(e, request, requestsTag);
        } else if (msg.observe !== null && msg.code >> 5 === 2 && (this.directory.byClientAddress(e.src) !== undefined || LWM2M_FORMATS.has(msg.contentFormat ?? -1))) {
          // A notification for an observation that started before the capture did.
          tag = requestTag('notify', this.directory.byClientAddress(e.src) ?? null, null);
          if (match.record) this.tags.set(match.record, tag);
        } else {
          tag = requestTag('unknown', this.directory.byEitherAddress(e.src, e.dst), null);
        }
      }
    }
    return this.withPayload(e, tag);
  }

  /**
   * The reading of a remembered exchange: its own, else, for a notification, the reading its
   * observation's notifications get (the one the notification was given unless it has its own).
   */
  private tagOf(record: ExchangeRecord | null): RequestTag | undefined {
    if (record === null) return undefined;
    const own = this.tags.get(record);
    if (own !== undefined) return typeof own === 'string' ? observeTag(record, own) : own;
    if (record.observation === null) return undefined;
    const observe = this.tags.get(record.observation);
    return observe === undefined ? undefined : notificationTag(typeof observe === 'string' ? observeTag(record.observation, observe) : observe);
  }

  private tagRequest(e: CoapEvent): RequestTag {
    const msg = e.msg;
    const dir = this.directory;
    // The record's copy of the path when it is the same: the CoAP stage's records share one per path.
    const recorded = e.match.record?.uriPath;
    const path = recorded === msg.uriPath ? recorded : msg.uriPath;
    const atLocation = msg.uriPath !== null ? dir.byLocation(e.dst, msg.uriPath) : undefined;
    const operation = classifyRequest(msg, {
      fromBootstrapServer: dir.isBootstrapServer(e.src),
      atRegistrationLocation: atLocation !== undefined,
    });
    switch (operation) {
      case 'register':
      case 'bootstrap-request':
      case 'bootstrap-pack-request': {
        const ep = endpointQuery(msg);
        if (ep !== null && operation !== 'register') dir.bootstrapping(ep, e.src, e.dst);
        return requestTag(operation, ep, null);
      }
      case 'update':
      case 'deregister': {
        const endpoint = atLocation ?? null;
        if (endpoint !== null) dir.movedTo(endpoint, e.src);
        return requestTag(operation, endpoint, null);
      }
      case 'send':
        return requestTag(operation, dir.byClientAddress(e.src) ?? null, null);
      case 'bootstrap-finish':
      case 'unknown':
        return requestTag(operation, dir.byEitherAddress(e.dst, e.src), isObjectPath(path) ? path : null);
      default:
        return requestTag(operation, dir.byClientAddress(e.dst) ?? null, path === '/' ? '/' : path);
    }
  }

  /** Registration and bootstrap facts only responses confirm (the location, the server's address). */
  private learnFromResponse(e: CoapEvent, request: ExchangeRecord, tag: RequestTag): void {
    const code = e.msg.code;
    if (tag.endpoint === null) return;
    if (tag.operation === 'register' && code === CREATED) {
      this.directory.registered(tag.endpoint, request.src, request.dst, e.msg.locationPath);
    } else if (tag.operation === 'bootstrap-request' && code === CHANGED) {
      this.directory.bootstrapping(tag.endpoint, request.src, request.dst);
    } else if (tag.operation === 'deregister' && code === DELETED && request.uriPath !== null) {
      this.directory.deregistered(request.dst, request.uriPath);
    }
  }

  /** The reading of a message with its payload, whose records are relative to the operation's path. */
  private withPayload(e: CoapEvent, tag: RequestTag): Lwm2mInfo {
    const info = this.info(tag);
    readPayload(info, e.msg, e.body);
    return info;
  }

  private info(tag: RequestTag): Lwm2mInfo {
    return {
      operation: tag.operation, endpoint: tag.endpoint, path: tag.path, records: NO_RECORDS,
      objects: null, links: null, payloadError: null,
    };
  }
}

/**
 * Decodes a message's (reassembled) body into `info`: records, payload error, links and, for a
 * Register or Update request, its object list.
 */
function readPayload(info: Lwm2mInfo, msg: Pick<CoapMessage, 'contentFormat' | 'code'>, body: Buffer | null): void {
  if (body === null || body.length === 0 || info.operation === 'unknown' || info.operation === 'execute') return;
  const cls = msg.code >> 5;
  // An error response without a Content-Format carries a diagnostic message for people
  // (RFC 7252 5.5.2), not a representation of the resource.
  if (cls >= 4 && msg.contentFormat === null) return;
  const isRegistration = (info.operation === 'register' || info.operation === 'update') && cls === 0;
  // LwM2M requires link-format for registration bodies; some clients omit the option.
  const format = msg.contentFormat ?? (isRegistration ? LINK_FORMAT : null);
  const result = decodePayload(format, body, info.path);
  info.records = result.records;
  info.payloadError = result.error;
  if (result.links) {
    info.links = result.links;
    if (isRegistration) info.objects = objectList(result.links);
  }
}

const EP_PREFIX = 'ep=';

/** The endpoint name of the first `ep=` query (see endpointName), or null when there is none. */
function endpointQuery(msg: Pick<CoapMessage, 'uriQuery' | 'uriQueryRaw'>): string | null {
  const index = msg.uriQuery.findIndex((q) => q.startsWith(EP_PREFIX));
  if (index < 0) return null;
  // "ep=" is ASCII: the text starts with it exactly when the bytes do.
  const raw = msg.uriQueryRaw?.[index];
  return endpointName(raw === undefined ? Buffer.from(msg.uriQuery[index].slice(EP_PREFIX.length)) : raw.subarray(EP_PREFIX.length));
}

/**
 * "/1/0", "/3/0", "/3305" from a registration's links. A link with rt="oma.lwm2m" names an
 * alternate root path (LwM2M 1.x core 6.2.1), which is stripped from the others.
 */
function objectList(links: CoreLink[]): string[] {
  let root = '';
  for (const link of links) {
    if (link.attrs.rt === 'oma.lwm2m' && link.uri !== '/') root = link.uri.replace(/\/$/, '');
  }
  const objects: string[] = [];
  for (const link of links) {
    let uri = link.uri;
    if (root && uri.startsWith(root + '/')) uri = uri.slice(root.length);
    if (isObjectPath(uri)) objects.push(uri);
  }
  return objects;
}
