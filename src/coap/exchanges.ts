import { BoundedMap } from './bounded-map.js';
import type { CoapMessage } from './message.js';

/** RFC 7252 section 4.8.2: how long a message ID may be reused for a retransmission. */
const EXCHANGE_LIFETIME = 247;
const MAX_TRACKED = 200_000;

/** A request (or a confirmable response) remembered so later messages can be matched to it. */
export interface ExchangeRecord {
  frame: number;
  ts: number;
  src: string;
  dst: string;
  msg: CoapMessage;
  /** Capture time of the first response, once one was seen. */
  answeredAt: number | null;
  /** Owned by the consumer of the CoAP stage (e.g. the LwM2M operation of this request). */
  tag: unknown;
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
  /** "sender>receiver#mid" → the first message with that ID (retransmission and ACK matching). */
  private readonly byMid = new BoundedMap<ExchangeRecord>(EXCHANGE_LIFETIME, MAX_TRACKED);
  /** "client>server@token" → the request with that token. */
  private readonly byToken = new BoundedMap<ExchangeRecord>(EXCHANGE_LIFETIME, MAX_TRACKED);
  /** Observe requests live as long as the observation, not one exchange lifetime. */
  private readonly observations = new Map<string, ExchangeRecord>();
  private static readonly MAX_OBSERVATIONS = 100_000;

  match(frame: number, ts: number, src: string, dst: string, msg: CoapMessage): ExchangeMatch {
    const result: ExchangeMatch = {
      role: 'request', request: null, retransmissionOf: null, responseTime: null, record: null,
    };
    const cls = msg.code >> 5;
    if (msg.type === null) return this.matchTcp(result, frame, ts, src, dst, msg, cls);

    if (msg.type === 'ACK' || msg.type === 'RST') {
      result.role = msg.type === 'RST' ? 'reset' : msg.code === 0 ? 'ack' : 'response';
      // ACK/RST IDs echo the peer's IDs: keep them apart from the sender's own CON/NON IDs.
      const own = `${src}>${dst}#${msg.mid}a`;
      const earlier = this.byMid.get(own);
      if (earlier) result.retransmissionOf = earlier.frame;
      else this.byMid.set(own, this.record(frame, ts, src, dst, msg), ts);
      const acked = this.byMid.get(`${dst}>${src}#${msg.mid}`);
      if (acked) this.answer(result, acked, ts, msg);
      return result;
    }

    // CON or NON: a request, a separate response/notification, or a ping (empty CON).
    const midKey = `${src}>${dst}#${msg.mid}`;
    const original = this.byMid.get(midKey);
    if (original && original.msg.code === msg.code && original.msg.token === msg.token) {
      result.retransmissionOf = original.frame;
      result.record = original;
      result.role = roleOf(cls, msg);
      if (cls !== 0) {
        const request = this.requestFor(src, dst, msg);
        if (request) {
          result.request = request;
          if (request.msg.observe === 0 && msg.observe !== null) result.role = 'notification';
        }
      }
      return result;
    }
    const record = this.record(frame, ts, src, dst, msg);
    this.byMid.set(midKey, record, ts);
    result.record = record;
    if (msg.code === 0) {
      result.role = 'ping';
      return result;
    }
    if (cls === 0) {
      result.role = 'request';
      this.rememberRequest(src, dst, msg, record, ts);
      return result;
    }
    result.role = 'response';
    const request = this.requestFor(src, dst, msg);
    if (request) {
      if (request.msg.observe === 0 && msg.observe !== null && request.answeredAt !== null) {
        result.role = 'notification';
        result.request = request;
      } else {
        this.answer(result, request, ts, msg);
      }
    }
    return result;
  }

  private matchTcp(
    result: ExchangeMatch, frame: number, ts: number, src: string, dst: string,
    msg: CoapMessage, cls: number,
  ): ExchangeMatch {
    if (cls === 7) {
      result.role = 'signal';
      return result;
    }
    const record = this.record(frame, ts, src, dst, msg);
    result.record = record;
    if (cls === 0) {
      this.rememberRequest(src, dst, msg, record, ts);
      return result;
    }
    result.role = 'response';
    const request = this.requestFor(src, dst, msg);
    if (request) {
      if (request.msg.observe === 0 && msg.observe !== null && request.answeredAt !== null) {
        result.role = 'notification';
        result.request = request;
      } else {
        this.answer(result, request, ts, msg);
      }
    }
    return result;
  }

  private rememberRequest(src: string, dst: string, msg: CoapMessage, record: ExchangeRecord, ts: number): void {
    const key = `${src}>${dst}@${msg.token}`;
    if (msg.observe === 0) {
      this.observations.delete(key);
      if (this.observations.size >= ExchangeTracker.MAX_OBSERVATIONS) {
        const oldest = this.observations.keys().next().value;
        if (oldest !== undefined) this.observations.delete(oldest);
      }
      this.observations.set(key, record);
    } else if (msg.observe === 1) {
      // A cancel reuses the observation's token; its response must match the cancel.
      this.observations.delete(key);
    }
    this.byToken.set(key, record, ts);
  }

  /** The request a response from src to dst answers, by token. */
  private requestFor(src: string, dst: string, msg: CoapMessage): ExchangeRecord | undefined {
    const key = `${dst}>${src}@${msg.token}`;
    const request = this.byToken.get(key);
    if (request && (request.msg.observe !== 0 || request.answeredAt === null)) return request;
    return this.observations.get(key) ?? request;
  }

  private answer(result: ExchangeMatch, request: ExchangeRecord, ts: number, msg: CoapMessage): void {
    result.request = request;
    if (msg.code !== 0 && request.answeredAt === null) {
      request.answeredAt = ts;
      result.responseTime = ts - request.ts;
    }
  }

  private record(frame: number, ts: number, src: string, dst: string, msg: CoapMessage): ExchangeRecord {
    return { frame, ts, src, dst, msg, answeredAt: null, tag: null };
  }
}

function roleOf(cls: number, msg: CoapMessage): MessageRole {
  if (msg.code === 0) return 'ping';
  return cls === 0 ? 'request' : 'response';
}
