import type { OverflowCounters } from '../util/bounded-map.js';
import { GenerationalMap } from '../util/generational-map.js';
import { MAX_SHARED_PATHS, SharedStrings } from '../util/shared-strings.js';
import { METHOD, type CoapMessage } from './message.js';
import { MAX_PAIRS, PeerPairs } from './peer-pairs.js';

/** RFC 7252 section 4.8.2: how long a message ID may be reused for a retransmission. */
export const EXCHANGE_LIFETIME = 247;
/**
 * Exchanges remembered at once, per table: a fleet of 10^6 meters each with a request in
 * flight within one exchange lifetime fits.
 */
export const MAX_EXCHANGES = 1 << 20;
/** An observation that sees no notification for a day is forgotten. */
const OBSERVATION_IDLE = 86_400;
/** Observe requests remembered: two observations per meter of a 10^6 fleet. */
export const MAX_OBSERVE_REQUESTS = 1 << 21;

/** Bounds of the exchange tables (tests set small ones). */
export interface ExchangeLimits {
  /** Entries in each of coap.exchanges-by-mid and coap.exchanges-by-token. */
  exchanges?: number;
  /** Entries in coap.observe-requests. */
  observeRequests?: number;
  /** Entries in coap.peer-pairs. */
  peerPairs?: number;
}

/**
 * The Uri-Query of every record whose message had none (responses and notifications, most of
 * the records a fleet leaves): one shared empty list rather than the message's own. Records are
 * read, never changed.
 */
const NO_QUERY: string[] = Object.freeze([]) as unknown as string[];

/**
 * What is kept of a remembered message. Not the message itself: its payload is a view into
 * the capture's read buffer, and options hold strings, so keeping whole messages for an
 * exchange lifetime would pin most of a capture in memory.
 */
export type MessageSummary = Pick<CoapMessage, 'type' | 'code' | 'mid' | 'token' | 'uriPath' | 'uriQuery' | 'observe'>;

/**
 * A request (or a confirmable response) remembered so later messages can be matched to it: the
 * summary of the message and what became of it, in one object (a fleet keeps about a million
 * of these at once).
 */
export interface ExchangeRecord extends MessageSummary {
  frame: number;
  ts: number;
  src: string;
  dst: string;
  /** The message's size on the wire (CoAP bytes), for rules that compare a response with its request. */
  size: number;
  /**
   * Frame of the first response, once one was seen. A frame, not a time: a number that is not a
   * small integer costs a record 16 bytes more, and an Observe request's record lives as long as
   * its observation.
   */
  answeredBy: number | null;
  /** Frame of the first ACK or RST for this message (a later one is a duplicate). */
  acknowledgedBy: number | null;
  /**
   * For a notification: the Observe (or cancel) request it was matched to when first seen, so
   * that what answers the notification can be related to its observation; null otherwise.
   */
  observation: ExchangeRecord | null;
}

export type MessageRole =
  | 'request'
  | 'response'
  | 'notification'
  | 'ack'
  | 'reset'
  | 'ping'
  | 'signal';

export interface ExchangeMatch {
  role: MessageRole;
  /** The request this message answers (for an empty ACK/RST: the message it acknowledges). */
  request: ExchangeRecord | null;
  /** The frame this message repeats (same sender, receiver and message ID), or null. */
  retransmissionOf: number | null;
  /** Seconds from the request to this response, for the first response to a request. */
  responseTime: number | null;
  /** This message's own record, for requests and confirmable responses (later ACKs match it). */
  record: ExchangeRecord | null;
}

/**
 * Matches responses to requests and spots retransmissions, per peer pair:
 * piggybacked ACK/RST by message ID, separate responses and notifications by token
 * (RFC 7252 section 5.3.2, RFC 7641), and over TCP by token alone (RFC 8323).
 */
export class ExchangeTracker {
  private readonly pairs: PeerPairs;
  /** pair × 65536 + MID → the first CON/NON with that ID (retransmissions, ACK matching). */
  private readonly byMid: GenerationalMap<number, ExchangeRecord>;
  /** "pair|token" of the request's direction → the request with that token. */
  private readonly byToken: GenerationalMap<string, ExchangeRecord>;
  /** Observe requests, and the cancels that replace them, live as long as their notifications keep coming, not one exchange lifetime. */
  private readonly observations: GenerationalMap<string, ExchangeRecord>;
  /**
   * The paths Observe requests' records keep: one copy of each, not the message's own. Such a
   * record lives as long as its observation, one per observed meter; other records live an
   * exchange lifetime, and their paths (an Update's is its registration's location) would only
   * churn the table.
   */
  private readonly paths: SharedStrings;

  constructor(limits: ExchangeLimits = {}, counters?: OverflowCounters) {
    const exchanges = limits.exchanges ?? MAX_EXCHANGES;
    this.pairs = new PeerPairs(limits.peerPairs ?? MAX_PAIRS, counters);
    this.byMid = new GenerationalMap(EXCHANGE_LIFETIME, exchanges, 'coap.exchanges-by-mid', counters);
    this.byToken = new GenerationalMap(EXCHANGE_LIFETIME, exchanges, 'coap.exchanges-by-token', counters);
    this.observations = new GenerationalMap(
      OBSERVATION_IDLE, limits.observeRequests ?? MAX_OBSERVE_REQUESTS, 'coap.observe-requests', counters,
    );
    this.paths = new SharedStrings('coap.request-paths', MAX_SHARED_PATHS, counters);
  }

  match(frame: number, ts: number, src: string, dst: string, msg: CoapMessage, size: number): ExchangeMatch {
    const result: ExchangeMatch = {
      role: 'request', request: null, retransmissionOf: null, responseTime: null, record: null,
    };
    const cls = msg.code >> 5;
    const forward = this.pairs.forward(src, dst);
    const reverse = forward ^ 1;
    if (msg.type === null) return this.matchTcp(result, frame, ts, src, dst, msg, size, cls, forward, reverse);

    if (msg.type === 'ACK' || msg.type === 'RST') {
      result.role = msg.type === 'RST' ? 'reset' : msg.code === 0 ? 'ack' : 'response';
      // ACK/RST IDs echo the peer's: the acknowledged message is in the reverse direction.
      const acked = this.byMid.get(reverse * 65536 + msg.mid!, ts);
      if (!acked) return result;
      if (acked.acknowledgedBy !== null) {
        result.retransmissionOf = acked.acknowledgedBy;
        result.request = acked;
        return result;
      }
      acked.acknowledgedBy = frame;
      this.answer(result, acked, frame, ts, msg);
      return result;
    }

    // CON or NON: a request, a separate response/notification, or a ping (empty CON).
    const midKey = forward * 65536 + msg.mid!;
    const original = this.byMid.get(midKey, ts);
    if (original && original.code === msg.code && original.token === msg.token) {
      result.retransmissionOf = original.frame;
      result.record = original;
      result.role = msg.code === 0 ? 'ping' : cls === 0 ? 'request' : 'response';
      if (cls !== 0 && msg.code !== 0) {
        const request = this.requestFor(reverse, msg, ts);
        if (request) {
          result.request = request;
          if (isNotification(request, msg)) result.role = 'notification';
        }
      }
      return result;
    }
    const record = this.record(frame, ts, src, dst, msg, size);
    this.byMid.set(midKey, record, ts);
    result.record = record;
    if (msg.code === 0) {
      result.role = 'ping';
      return result;
    }
    if (cls === 0) {
      this.rememberRequest(forward, msg, record, ts);
      return result;
    }
    this.matchSeparateResponse(result, reverse, msg, frame, ts);
    // The record keeps its request's token string rather than this message's equal copy, which
    // can then go with the message (notifications are most of the records a fleet leaves).
    if (result.request !== null && result.request.token === record.token) record.token = result.request.token;
    if (result.role === 'notification') record.observation = result.request;
    return result;
  }

  private matchTcp(
    result: ExchangeMatch, frame: number, ts: number, src: string, dst: string,
    msg: CoapMessage, size: number, cls: number, forward: number, reverse: number,
  ): ExchangeMatch {
    if (cls === 7) {
      result.role = 'signal';
      return result;
    }
    const record = this.record(frame, ts, src, dst, msg, size);
    result.record = record;
    if (cls === 0) {
      this.rememberRequest(forward, msg, record, ts);
      return result;
    }
    this.matchSeparateResponse(result, reverse, msg, frame, ts);
    if (result.role === 'notification') record.observation = result.request;
    return result;
  }

  /** A response not piggybacked on an ACK: the first answer to a request, or a notification. */
  private matchSeparateResponse(result: ExchangeMatch, reverse: number, msg: CoapMessage, frame: number, ts: number): void {
    result.role = 'response';
    const request = this.requestFor(reverse, msg, ts);
    if (!request) return;
    if (isNotification(request, msg)) {
      result.role = 'notification';
      result.request = request;
    } else {
      this.answer(result, request, frame, ts, msg);
    }
  }

  private rememberRequest(pair: number, msg: CoapMessage, record: ExchangeRecord, ts: number): void {
    const key = `${pair}|${msg.token}`;
    // A cancel reuses the observation's token and takes its place: its response must match the
    // cancel, and so must the notifications of a client that goes on sending them (RFC 7641 3.6),
    // however far apart they come, as the observation's own would have.
    if (msg.observe === 0 || msg.observe === 1) this.observations.set(key, record, ts);
    this.byToken.set(key, record, ts);
  }

  /** The request a response answers, by token, in the pair that carried the request. */
  private requestFor(requestPair: number, msg: CoapMessage, ts: number): ExchangeRecord | undefined {
    const key = `${requestPair}|${msg.token}`;
    // Most responses with an Observe option are notifications: look there first.
    if (msg.observe !== null) {
      const observation = this.observations.get(key, ts);
      if (observation && observation.answeredBy !== null) return observation;
    }
    const request = this.byToken.get(key, ts);
    if (request && (request.observe !== 0 || request.answeredBy === null)) return request;
    return this.observations.get(key, ts) ?? request;
  }

  private answer(result: ExchangeMatch, request: ExchangeRecord, frame: number, ts: number, msg: CoapMessage): void {
    result.request = request;
    if (msg.code !== 0 && request.answeredBy === null) {
      request.answeredBy = frame;
      result.responseTime = ts - request.ts;
    }
  }

  private record(frame: number, ts: number, src: string, dst: string, msg: CoapMessage, size: number): ExchangeRecord {
    return {
      frame, ts, src, dst, size,
      type: msg.type, code: msg.code, mid: msg.mid, token: msg.token, uriPath: (msg.observe === 0 || msg.observe === 1) && msg.uriPath !== null ? this.paths.shared(msg.uriPath) : msg.uriPath,
      uriQuery: msg.uriQuery.length === 0 ? NO_QUERY : msg.uriQuery, observe: msg.observe,
      answeredBy: null, acknowledgedBy: null, observation: null,
    };
  }
}

/**
 * A GET or FETCH with Observe 1 deregisters an observation (RFC 7641 3.6, RFC 8132 2.4). On a
 * notification, Observe 1 is a sequence number, and a message that acknowledges a notification
 * has the notification as its "request": neither is a cancel.
 */
export function isObserveCancel(msg: Pick<MessageSummary, 'code' | 'observe'>): boolean {
  return msg.observe === 1 && (msg.code === METHOD.GET || msg.code === METHOD.FETCH);
}

/**
 * A response with an Observe option to an already answered Observe request is a notification.
 * So is one after the observation was cancelled (RFC 7641 3.6): the token then leads to the
 * answered cancel, which stays its request.
 */
function isNotification(request: ExchangeRecord, msg: CoapMessage): boolean {
  return (request.observe === 0 || request.observe === 1) && msg.observe !== null && request.answeredBy !== null;
}
