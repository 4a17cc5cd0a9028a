import { accept, contentFormat, observe, uriPath } from '../coap-options.js';
import type { Datagram } from '../datagram.js';
import type { MeterSpec } from '../meter.js';
import { encodeResources } from '../payloads.js';
import type { AttackContext, AttackPlan } from './context.js';
import { exchange, METER_ROUND_TRIP_US, SERVER_TURNAROUND_US } from './exchange.js';

const FLOOD_OBSERVES = 50;
const FLOOD_GAP_US = 10_000;
/** A Content-Format number IANA has not assigned (65000-65535 are for experiments). */
const UNREGISTERED_FORMAT = 65000;

/** A meter's power object read in its own format: `watts` (in the object's unit) for each household. */
export function powerReadings(meter: MeterSpec, value: number): Buffer {
  const object = meter.powerObject;
  const readings = [];
  for (let h = 0; h < meter.households; h++) readings.push({ object: object.id, instance: h, resource: object.power, value, float: true });
  return encodeResources(meter.format, readings, 1);
}

/**
 * An outside host sends fifty Observe requests for a meter's whole power object, 10 ms apart: each
 * small request draws a response many times its size (amplification) and one more observation.
 */
export function observeFlood(ctx: AttackContext, attack: string): AttackPlan {
  const meter = ctx.victim(attack);
  const attacker = ctx.stranger();
  const start = ctx.moment();
  const object = meter.powerObject;
  const readings = [];
  for (let h = 0; h < meter.households; h++) {
    readings.push({ object: object.id, instance: h, resource: object.power, value: 0.5, float: true });
  }
  const payload = encodeResources(meter.format, readings, 1);
  const messages: Datagram[] = [];
  for (let i = 0; i < FLOOD_OBSERVES; i++) {
    messages.push(...exchange(ctx, start + i * FLOOD_GAP_US, {
      attack, endpoint: meter.endpoint, operation: 'observe', from: attacker, to: meter.station,
      request: { code: 'GET', options: [observe(0), ...uriPath(`/${object.id}`), accept(meter.format)] },
      answer: { code: '2.05', options: [observe(2), contentFormat(meter.format)], payload },
      answerAfterUs: METER_ROUND_TRIP_US,
    }));
  }
  // Answers come back a round trip later, among later requests: the stream must be in time order.
  messages.sort((a, b) => a.us - b.us);
  return { streams: [messages.values()], events: [] };
}

/** A meter sends a confirmable notification (2.05 with Observe) on a token no observation ever used; the server rejects it (RST). */
export function unknownTokenNotify(ctx: AttackContext, attack: string): AttackPlan {
  const meter = ctx.victim(attack);
  const us = ctx.moment();
  const messageId = ctx.mid();
  // The fleet's observations use 8-byte tokens (the observe flood's are 2-8): 3 bytes is none of theirs.
  const token = ctx.rng.bytes(3);
  return { streams: [[
    ctx.message(us, meter.station, meter.server, {
      code: '2.05', confirmable: true, messageId, token,
      options: [observe(ctx.rng.int(2, 0xffff)), contentFormat(meter.format)], payload: powerReadings(meter, 0.5),
    }, attack, meter.endpoint, 'notify'),
    ctx.message(us + SERVER_TURNAROUND_US, meter.server, meter.station, { code: '0.00', reset: true, messageId }, attack, meter.endpoint),
  ].values()], events: [] };
}

/** The server reads a meter's power instance; the meter answers in Content-Format 65000, which nobody registered. */
export function unknownContentFormat(ctx: AttackContext, attack: string): AttackPlan {
  const meter = ctx.victim(attack);
  return { streams: [exchange(ctx, ctx.moment(), {
    attack, endpoint: meter.endpoint, operation: 'read', from: meter.server, to: meter.station,
    request: { code: 'GET', options: uriPath(`/${meter.powerObject.id}/0`) },
    answer: { code: '2.05', options: [contentFormat(UNREGISTERED_FORMAT)], payload: ctx.rng.bytes(24) },
    answerAfterUs: METER_ROUND_TRIP_US,
  }).values()], events: [] };
}
