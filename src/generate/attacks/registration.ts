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
const TINY_LIFETIME_S = 5;
/** A registration storm needs this many, and deletes them all within STORM_WINDOW_US. */
const STORM_MIN_REGISTRATIONS = 10;
const STORM_WINDOW_US = 1_500_000;

function register(ctx: AttackContext, us: number, attack: string, from: Station, to: Station, endpoint: string, lifetimeS: number, version = '1.1'): Datagram[] {
  return exchange(ctx, us, {
    attack, endpoint, operation: 'register', from, to,
    request: {
      code: 'POST',
      options: [...uriPath('/rd'), contentFormat(LINK_FORMAT), uriQuery(`ep=${endpoint}`), uriQuery(`lt=${lifetimeS}`), uriQuery(`lwm2m=${version}`), uriQuery('b=U')],
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

/** A registration asking to stay valid for 5 seconds: it must update every few seconds or vanish. */
export function tinyLifetime(ctx: AttackContext, attack: string): AttackPlan {
  return { streams: [register(ctx, ctx.moment(), attack, ctx.stranger(56830), ctx.fleet.server, 'meter-99998', TINY_LIFETIME_S).values()], events: [] };
}

/** A registration claiming LwM2M version 9.9, which does not exist. */
export function unknownVersion(ctx: AttackContext, attack: string): AttackPlan {
  return { streams: [register(ctx, ctx.moment(), attack, ctx.stranger(56830), ctx.fleet.server, 'meter-99997', 300, '9.9').values()], events: [] };
}

/** One outside host deletes every fleet meter's registration (DELETE /rd/N), all within 1.5 s; the server obeys (2.02). */
export function deregistrationStorm(ctx: AttackContext, attack: string): AttackPlan {
  const meters = ctx.fleet.meters;
  if (meters.length < STORM_MIN_REGISTRATIONS) throw new Error(`--attack ${attack}: needs at least ${STORM_MIN_REGISTRATIONS} meters to deregister (--meters ${STORM_MIN_REGISTRATIONS})`);
  const start = ctx.moment();
  const host = ctx.stranger(56830);
  const gapUs = Math.floor(STORM_WINDOW_US / meters.length);
  return { streams: [meters.flatMap((m, i) => exchange(ctx, start + i * gapUs, {
    attack, endpoint: m.endpoint, operation: 'deregister', from: host, to: m.server,
    request: { code: 'DELETE', options: uriPath(m.registration) },
    answer: { code: '2.02' }, answerAfterUs: SERVER_TURNAROUND_US,
  })).values()], events: [] };
}

/** A registered meter's Update switches its binding to SMS (b=S, 1.0) or TCP (b=T, 1.1), which it did not register with. */
export function bindingChange(ctx: AttackContext, attack: string): AttackPlan {
  const meter = ctx.victim(attack);
  return { streams: [exchange(ctx, ctx.moment(), {
    attack, endpoint: meter.endpoint, operation: 'update', from: meter.station, to: meter.server,
    request: { code: 'POST', options: [...uriPath(meter.registration), uriQuery(meter.version === '1.0' ? 'b=S' : 'b=T')] },
    answer: { code: '2.04' }, answerAfterUs: SERVER_TURNAROUND_US,
  }).values()], events: [] };
}
