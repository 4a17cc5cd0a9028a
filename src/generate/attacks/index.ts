import type { AttackContext, AttackPlan } from './context.js';
import { dtlsHandshakeFailure, dtlsWeakCipher } from './dtls.js';
import {
  addressChange, energyBackwards, malformedSenml, malformedTlv, notifyAfterCancel, outOfRange, plaintextDowngrade, retransmissionStorm, silentMeter, muteNotifications, skipBootstrap,
} from './meter-faults.js';
import { aclWrite, deviceExecute, firmwareUpdate, firmwareUri, rogueSecurityWrite, unknownPeerServerWrite } from './object-writes.js';
import { foreignDeregistration, foreignUpdate, sameHostStranger } from './hijack.js';
import { observeFlood, unknownContentFormat, unknownTokenNotify } from './observation.js';
import { amplification, malformedCoap, orphanResponse, rogueRead } from './outsiders.js';
import {
  absurdLifetime, bindingChange, deregistrationStorm, endpointImpersonation, registrationFlood, tinyLifetime, unknownVersion,
} from './registration.js';

type Attack = (ctx: AttackContext, attack: string) => AttackPlan;

/** Every attack `--attack` knows, by the name the ground-truth file gives it. */
const ATTACKS: Record<string, Attack> = {
  'rogue-security-write': rogueSecurityWrite,
  'unknown-peer-server-write': unknownPeerServerWrite,
  'execute-reboot': deviceExecute(4),
  'execute-factory-reset': deviceExecute(5),
  'firmware-uri': firmwareUri,
  'registration-flood': registrationFlood,
  'endpoint-impersonation': endpointImpersonation,
  'absurd-lifetime': absurdLifetime,
  'observe-flood': observeFlood,
  'notify-after-cancel': notifyAfterCancel,
  'malformed-tlv': malformedTlv,
  'malformed-senml': malformedSenml,
  'out-of-range': outOfRange,
  'energy-backwards': energyBackwards,
  'silent-meter': silentMeter,
  'plaintext-downgrade': plaintextDowngrade,
  'acl-write': aclWrite,
  'firmware-update': firmwareUpdate,
  'address-change': addressChange,
  'tiny-lifetime': tinyLifetime,
  'unknown-version': unknownVersion,
  'binding-change': bindingChange,
  'skip-bootstrap': skipBootstrap,
  'deregistration-storm': deregistrationStorm,
  'unknown-token-notify': unknownTokenNotify,
  'amplification': amplification,
  'malformed-coap': malformedCoap,
  'unknown-content-format': unknownContentFormat,
  'orphan-response': orphanResponse,
  'retransmission-storm': retransmissionStorm,
  'rogue-read': rogueRead,
  'dtls-weak-cipher': dtlsWeakCipher,
  'dtls-handshake-failure': dtlsHandshakeFailure,
  'mute-notifications': muteNotifications,
  'foreign-deregistration': foreignDeregistration,
  'foreign-update': foreignUpdate,
  'same-host-stranger': sameHostStranger,
};

export const ATTACK_NAMES = Object.keys(ATTACKS);

/** Plans the named attacks in order, each drawing from the context's random stream. */
export function planAttacks(ctx: AttackContext, names: string[]): AttackPlan {
  const plan: AttackPlan = { streams: [], events: [] };
  for (const name of names) {
    const part = ATTACKS[name](ctx, name);
    plan.streams.push(...part.streams);
    plan.events.push(...part.events);
  }
  return plan;
}

export { AttackContext } from './context.js';
