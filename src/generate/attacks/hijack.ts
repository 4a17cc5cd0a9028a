import { contentFormat, uriPath, uriQuery } from '../coap-options.js';
import type { MeterSpec } from '../meter.js';
import { encodeResources, LWM2M_TLV } from '../payloads.js';
import type { Station } from '../pcap-writer.js';
import type { AttackContext, AttackPlan } from './context.js';
import { exchange, METER_ROUND_TRIP_US, SERVER_TURNAROUND_US } from './exchange.js';

/** The real meter's own Update comes this long after the foreign one (its next scheduled Update, early). */
const CLIENT_UPDATE_AFTER_US = 20_000_000;
const REQUEST_GAP_US = 1_000_000;
/** Ephemeral ports a tool on another host's (or the same NAT's) socket gets: Linux's default range. */
const EPHEMERAL_PORTS = [32_768, 60_999] as const;

/** Another socket on `station`'s host: a tool run beside the server, or a second device behind the meter's NAT. */
function sameHost(ctx: AttackContext, station: Station): Station {
  let port = station.port;
  while (port === station.port) port = ctx.rng.int(...EPHEMERAL_PORTS);
  return { ...station, port, ipId: ctx.rng.int(0, 0xffff) };
}

/**
 * A second device behind the meter's NAT (same address, another port) deletes the meter's
 * registration (DELETE /rd/N); the server obeys (2.02). Only the socket says it is not the
 * meter. The meter's next Update is answered 4.04 and it registers again, at a new location:
 * the meter's own traffic, not labelled.
 */
export function foreignDeregistration(ctx: AttackContext, attack: string): AttackPlan {
  const meter = ctx.victim(attack, (m) => m.fault === undefined);
  const atUs = ctx.moment();
  meter.fault = { kind: 'registration-deleted', atUs, attack, location: ctx.rogueRegistration() };
  return { streams: [exchange(ctx, atUs, {
    attack, endpoint: meter.endpoint, operation: 'deregister', from: sameHost(ctx, meter.station), to: meter.server,
    request: { code: 'DELETE', options: uriPath(meter.registration) },
    answer: { code: '2.02' }, answerAfterUs: SERVER_TURNAROUND_US,
  }).values()], events: [] };
}

/**
 * An outside host updates the meter's registration (POST /rd/N), which the server accepts
 * (2.04) and from then on sends the meter's requests to it; the real meter, still at its
 * address, updates its registration again 20 s later. Both Updates are labelled: the second
 * is the one that shows the registration has two holders.
 */
export function foreignUpdate(ctx: AttackContext, attack: string): AttackPlan {
  const meter = ctx.victim(attack, (m) => m.fault === undefined);
  const start = ctx.moment();
  const update = (from: Station, us: number) => exchange(ctx, us, {
    attack, endpoint: meter.endpoint, operation: 'update', from, to: meter.server,
    request: { code: 'POST', options: [...uriPath(meter.registration), uriQuery(`lt=${meter.lifetimeS}`)] },
    answer: { code: '2.04' }, answerAfterUs: SERVER_TURNAROUND_US,
  });
  return { streams: [[...update(ctx.stranger(meter.station.port), start), ...update(meter.station, start + CLIENT_UPDATE_AFTER_US)].values()], events: [] };
}

/**
 * A tool on the server's own host, on another port, reads the meter's Device object and
 * rewrites its Server object's lifetime (/1/0/1 = 1 s); the meter answers both.
 */
export function sameHostStranger(ctx: AttackContext, attack: string): AttackPlan {
  const meter: MeterSpec = ctx.victim(attack, (m) => m.fault === undefined);
  const tool = sameHost(ctx, meter.server);
  const start = ctx.moment();
  const lifetime = encodeResources(LWM2M_TLV, [{ object: 1, instance: 0, resource: 1, value: 1 }], 2);
  return { streams: [[
    ...exchange(ctx, start, {
      attack, endpoint: meter.endpoint, operation: 'read', from: tool, to: meter.station,
      request: { code: 'GET', options: uriPath('/3/0') },
      answer: { code: '2.05', options: [contentFormat(LWM2M_TLV)], payload: encodeResources(LWM2M_TLV, [{ object: 3, instance: 0, resource: 0, value: 'Example Meters' }], 2) },
      answerAfterUs: METER_ROUND_TRIP_US,
    }),
    ...exchange(ctx, start + REQUEST_GAP_US, {
      attack, endpoint: meter.endpoint, operation: 'write', from: tool, to: meter.station,
      request: { code: 'PUT', options: [...uriPath('/1/0'), contentFormat(LWM2M_TLV)], payload: lifetime },
      answer: { code: '2.04' }, answerAfterUs: METER_ROUND_TRIP_US,
    }),
  ].values()], events: [] };
}
