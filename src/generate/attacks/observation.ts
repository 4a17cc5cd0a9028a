import { accept, contentFormat, observe, uriPath } from '../coap-options.js';
import type { Datagram } from '../datagram.js';
import { encodeResources } from '../payloads.js';
import type { AttackContext, AttackPlan } from './context.js';
import { exchange, METER_ROUND_TRIP_US } from './exchange.js';

const FLOOD_OBSERVES = 50;
const FLOOD_GAP_US = 10_000;

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
