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
    return { streams: [], events: kind === 'silent' ? [{ us: atUs, attack, endpoint: meter.endpoint }] : [] };
  };
}

export const silentMeter = plant('silent');
export const notifyAfterCancel = plant('notify-after-cancel');
export const outOfRange = plant('out-of-range');
export const energyBackwards = plant('energy-backwards');
export const malformedTlv = plant('malformed-payload', [LWM2M_TLV]);
export const malformedSenml = plant('malformed-payload', [SENML_JSON, SENML_CBOR]);
/** A meter that talks DTLS to port 5684 switches to plain CoAP on 5683, registering again in the clear. */
export const plaintextDowngrade = plant('plaintext-downgrade');
