import type { Packet } from 'coap-packet';
import type { Datagram } from '../datagram.js';
import type { Station } from '../pcap-writer.js';
import type { AttackContext } from './context.js';

/** A meter's answer comes back one cellular round trip after a request seen at the server's link. */
export const METER_ROUND_TRIP_US = 150_000;
/** The server answers within a millisecond or two. */
export const SERVER_TURNAROUND_US = 1_500;

export interface Exchange {
  attack: string;
  endpoint: string;
  operation: string;
  from: Station;
  to: Station;
  request: Packet;
  answer: Packet;
  answerAfterUs: number;
}

/** A confirmable request and its piggybacked answer, both labelled with the attack. */
export function exchange(ctx: AttackContext, us: number, e: Exchange): Datagram[] {
  const messageId = ctx.mid();
  const token = ctx.token();
  return [
    ctx.message(us, e.from, e.to, { ...e.request, confirmable: true, messageId, token }, e.attack, e.endpoint, e.operation),
    ctx.message(us + e.answerAfterUs, e.to, e.from, { ...e.answer, ack: true, messageId, token }, e.attack, e.endpoint),
  ];
}
