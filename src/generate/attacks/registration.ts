import { contentFormat, locationPath, uriPath, uriQuery } from '../coap-options.js';
import type { Datagram } from '../datagram.js';
import { LINK_FORMAT, registerLinks } from '../payloads.js';
import type { Station } from '../pcap-writer.js';
import type { AttackContext, AttackPlan } from './context.js';
import { exchange, SERVER_TURNAROUND_US } from './exchange.js';

const FLOOD_REGISTRATIONS = 100;
const FLOOD_GAP_US = 20_000;
/** The largest lifetime the Uri-Query can say (a uint32), some 136 years. */
const ABSURD_LIFETIME_S = 4_294_967_295;

function register(ctx: AttackContext, us: number, attack: string, from: Station, to: Station, endpoint: string, lifetimeS: number): Datagram[] {
  return exchange(ctx, us, {
    attack, endpoint, operation: 'register', from, to,
    request: {
      code: 'POST',
      options: [...uriPath('/rd'), contentFormat(LINK_FORMAT), uriQuery(`ep=${endpoint}`), uriQuery(`lt=${lifetimeS}`), uriQuery('lwm2m=1.1'), uriQuery('b=U')],
      payload: registerLinks('1.1', 3305, 1),
    },
    answer: { code: '2.01', options: locationPath(ctx.rogueRegistration()) },
    answerAfterUs: SERVER_TURNAROUND_US,
  });
}

/** One outside host registers a hundred made-up endpoints, from a new source port each, 20 ms apart. */
export function registrationFlood(ctx: AttackContext, attack: string): AttackPlan {
  const start = ctx.moment();
  const host = ctx.stranger(40_000);
  const messages: Datagram[] = [];
  for (let i = 0; i < FLOOD_REGISTRATIONS; i++) {
    const from = { ...host, port: 40_000 + i };
    messages.push(...register(ctx, start + i * FLOOD_GAP_US, attack, from, ctx.fleet.server, `flood-${String(i).padStart(4, '0')}`, 300));
  }
  return { streams: [messages.values()], events: [] };
}

/** A second address registers under a fleet meter's endpoint name while the real meter is registered. */
export function endpointImpersonation(ctx: AttackContext, attack: string): AttackPlan {
  const meter = ctx.victim(attack);
  const impostor = ctx.stranger(meter.station.port);
  return { streams: [register(ctx, ctx.moment(), attack, impostor, meter.server, meter.endpoint, meter.lifetimeS).values()], events: [] };
}

/** A registration asking to stay valid for 2^32-1 seconds: it would never expire. */
export function absurdLifetime(ctx: AttackContext, attack: string): AttackPlan {
  return { streams: [register(ctx, ctx.moment(), attack, ctx.stranger(56830), ctx.fleet.server, 'meter-99999', ABSURD_LIFETIME_S).values()], events: [] };
}
