import type { MeterFault } from '../meter.js';
import { LWM2M_TLV, SENML_CBOR, SENML_JSON, type PayloadFormat } from '../payloads.js';
import type { AttackContext, AttackPlan } from './context.js';

/**
 * Attacks that are a meter misbehaving: the meter's own traffic carries them (same address,
 * token and observation), so the fault is planted in its spec and its generator acts it out.
 */
function plant(kind: MeterFault, formats?: PayloadFormat[]) {
  return (ctx: AttackContext, attack: string): AttackPlan => {
    const meter = ctx.victim(attack, (m) => m.fault === undefined && (formats === undefined || formats.includes(m.format)));
    const atUs = ctx.moment();
    meter.fault = { kind, atUs, attack };
    // Silence has no message to point at: the truth file lists when it began.
    const silence = kind === 'silent' || kind === 'mute-notifications';
    return { streams: [], events: silence ? [{ us: atUs, attack, endpoint: meter.endpoint }] : [] };
  };
}

export const silentMeter = plant('silent');
/** The meter stays registered (its updates keep coming) but its notifications stop: a dead sensor behind a live client. */
export const muteNotifications = plant('mute-notifications');
export const notifyAfterCancel = plant('notify-after-cancel');
export const outOfRange = plant('out-of-range');
export const energyBackwards = plant('energy-backwards');
export const malformedTlv = plant('malformed-payload', [LWM2M_TLV]);
export const malformedSenml = plant('malformed-payload', [SENML_JSON, SENML_CBOR]);
/** A meter that talks DTLS to port 5684 switches to plain CoAP on 5683, registering again in the clear. */
export const plaintextDowngrade = plant('plaintext-downgrade');
/** A retransmission storm: one CON notification sent 12 times over ~30 s, same message ID and bytes, never acknowledged. */
export const retransmissionStorm = plant('retransmission-storm');

/** A NAT rebinding: a registered meter's next Update comes from a new address and port (where it then stays); the server accepts. */
export function addressChange(ctx: AttackContext, attack: string): AttackPlan {
  const meter = ctx.victim(attack, (m) => m.fault === undefined);
  meter.fault = { kind: 'address-change', atUs: ctx.moment(), attack, rebound: ctx.rebound(meter.station) };
  return { streams: [], events: [] };
}

/** In a fleet that bootstraps (--bootstrap), one meter registers straight away, with no bootstrap session. */
export function skipBootstrap(ctx: AttackContext, attack: string): AttackPlan {
  if (ctx.fleet.meters.every((m) => m.bootstrapServer === null)) throw new Error(`--attack ${attack}: needs --bootstrap (a meter can only skip bootstrap in a fleet that bootstraps)`);
  const meter = ctx.victim(attack, (m) => m.fault === undefined && m.bootstrapServer !== null);
  meter.fault = { kind: 'skip-bootstrap', atUs: meter.bootUs, attack };
  return { streams: [], events: [] };
}
