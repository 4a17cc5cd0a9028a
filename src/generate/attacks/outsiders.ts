import { accept, contentFormat, uriPath } from '../coap-options.js';
import type { Datagram } from '../datagram.js';
import type { MeterSpec } from '../meter.js';
import { deviceResources, encodeResources, LINK_FORMAT } from '../payloads.js';
import type { AttackContext, AttackPlan } from './context.js';
import { exchange, METER_ROUND_TRIP_US } from './exchange.js';
import { powerReadings } from './observation.js';

/** Messages to the server that no endpoint sends: the truth file names no endpoint for them. */
const NO_ENDPOINT = '';
const AMPLIFIED_REQUESTS = 3;
const REQUEST_GAP_US = 1_000_000;
/** A link-format answer of at least this many bytes, and at most ~1.3 KB (one datagram, no block-wise). */
const AMPLIFIED_PAYLOAD_BYTES = 1_000;

/** An outside host (not the meter's server) reads /3/0 and the power instance /N/0 of a registered meter, which answers 2.05. */
export function rogueRead(ctx: AttackContext, attack: string): AttackPlan {
  const meter = ctx.victim(attack);
  const reader = ctx.stranger();
  const start = ctx.moment();
  const serial = `SN${meter.endpoint.replace(/\D/g, '').padStart(8, '0')}`;
  const device = encodeResources(meter.format, deviceResources(serial, Math.floor(start / 1e6), 'U'), 2);
  return { streams: [[
    ...exchange(ctx, start, {
      attack, endpoint: meter.endpoint, operation: 'read', from: reader, to: meter.station,
      request: { code: 'GET', options: [...uriPath('/3/0'), accept(meter.format)] },
      answer: { code: '2.05', options: [contentFormat(meter.format)], payload: device }, answerAfterUs: METER_ROUND_TRIP_US,
    }),
    ...exchange(ctx, start + REQUEST_GAP_US, {
      attack, endpoint: meter.endpoint, operation: 'read', from: reader, to: meter.station,
      request: { code: 'GET', options: [...uriPath(`/${meter.powerObject.id}/0`), accept(meter.format)] },
      answer: { code: '2.05', options: [contentFormat(meter.format)], payload: powerReadings(meter, 0.5) }, answerAfterUs: METER_ROUND_TRIP_US,
    }),
  ].values()], events: [] };
}

/** Every resource a meter could list, with attributes, in link format: enough to pass `bytes`. */
function bigLinkFormat(meter: MeterSpec, bytes: number): Buffer {
  const links = ['</>;rt="oma.lwm2m";ct=110', '</1/0>;ssid=1', '</3/0>;rt="oma.lwm2m.device"'];
  const object = meter.powerObject.id;
  for (let r = 0; links.join(',').length < bytes; r++) {
    const h = r % meter.households;
    links.push(`</${object}/${h}/${5800 + Math.floor(r / meter.households)}>;obs;pmin=10;pmax=300`);
  }
  return Buffer.from(links.join(','), 'latin1');
}

/** An outside host sends small GET /.well-known/core requests to a meter; each answer is over 1 KB, dozens of times the request. */
export function amplification(ctx: AttackContext, attack: string): AttackPlan {
  const meter = ctx.victim(attack);
  const host = ctx.stranger();
  const start = ctx.moment();
  const payload = bigLinkFormat(meter, AMPLIFIED_PAYLOAD_BYTES);
  const messages: Datagram[] = [];
  for (let i = 0; i < AMPLIFIED_REQUESTS; i++) {
    messages.push(...exchange(ctx, start + i * REQUEST_GAP_US, {
      attack, endpoint: meter.endpoint, operation: 'discover', from: host, to: meter.station,
      request: { code: 'GET', options: uriPath('/.well-known/core') },
      answer: { code: '2.05', options: [contentFormat(LINK_FORMAT)], payload }, answerAfterUs: METER_ROUND_TRIP_US,
    }));
  }
  return { streams: [messages.values()], events: [] };
}

/** An outside host sends the server responses (2.05 ACK, 2.04 NON, 2.05 NON) whose message IDs and tokens match no request. */
export function orphanResponse(ctx: AttackContext, attack: string): AttackPlan {
  const host = ctx.stranger();
  const server = ctx.fleet.server;
  const start = ctx.moment();
  return { streams: [[
    ctx.message(start, host, server, { code: '2.05', ack: true, messageId: ctx.mid(), token: ctx.token(), options: [contentFormat(0)], payload: Buffer.from('42') }, attack, NO_ENDPOINT),
    ctx.message(start + REQUEST_GAP_US, host, server, { code: '2.04', confirmable: false, messageId: ctx.mid(), token: ctx.token() }, attack, NO_ENDPOINT),
    ctx.message(start + 2 * REQUEST_GAP_US, host, server, { code: '2.05', confirmable: false, messageId: ctx.mid(), token: ctx.token(), options: [contentFormat(0)], payload: Buffer.from('on') }, attack, NO_ENDPOINT),
  ].values()], events: [] };
}

/**
 * Three datagrams to the server's CoAP port that break RFC 7252 §3: token length 9 (reserved),
 * an option delta nibble 15 that is not the payload marker, and a Uri-Query whose length runs
 * 26 bytes past the end.
 */
export function malformedCoapDatagrams(mid: () => number): Buffer[] {
  const header = (first: number, code: number) => {
    const id = mid();
    return [first, code, id >> 8, id & 0xff];
  };
  return [
    Buffer.from([...header(0x49, 0x01), 1, 2, 3, 4, 5, 6, 7, 8, 9]),
    Buffer.from([...header(0x40, 0x01), 0xb2, 0x72, 0x64, 0xf1, 0x00]),
    Buffer.from([...header(0x40, 0x02), 0xb2, 0x72, 0x64, 0x4d, 0x10, 0x65, 0x70, 0x3d]),
  ];
}

/** An outside host sends malformed CoAP (raw bytes) to the server's port 5683. */
export function malformedCoap(ctx: AttackContext, attack: string): AttackPlan {
  const host = ctx.stranger();
  const start = ctx.moment();
  const datagrams = malformedCoapDatagrams(() => ctx.mid());
  return { streams: [datagrams.map((bytes, i) => ctx.raw(start + i * REQUEST_GAP_US, host, ctx.fleet.server, bytes, attack, NO_ENDPOINT)).values()], events: [] };
}
