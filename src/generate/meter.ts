import { generate, type Option, type Packet } from 'coap-packet';
import { accept, contentFormat, locationPath, observe, uriPath, uriQuery } from './coap-options.js';
import type { Datagram } from './datagram.js';
import { DtlsSession } from './dtls-record.js';
import { ipv4ToString } from './ipv4.js';
import type { DemandProfile } from './demand.js';
import {
  deviceResources, encodeResources, LINK_FORMAT, LWM2M_TLV, registerLinks, type PayloadFormat, type ResourceValue,
} from './payloads.js';
import type { Station } from './pcap-writer.js';
import type { PowerObject } from './power-objects.js';
import type { Rng } from './prng.js';

/** What one meter is and how it talks, fixed by the fleet before traffic starts. */
export interface MeterSpec {
  endpoint: string;
  station: Station;
  server: Station;
  /** The bootstrap server to ask first, or null to register straight away. */
  bootstrapServer: Station | null;
  version: '1.0' | '1.1';
  format: PayloadFormat;
  powerObject: PowerObject;
  /** Global number of the meter's first household: demand profiles are per household. */
  firstHousehold: number;
  households: number;
  /** The server's name for the registration, `/rd/N`. */
  registration: string;
  lifetimeS: number;
  /** Sleeps between wake-ups (binding with Q), the server's requests waiting for it. */
  queueMode: boolean;
  /** Also pushes its energy counters to /dp with Send (LwM2M 1.1). */
  sends: boolean;
  bootUs: number;
  endUs: number;
  /** Misbehaviour an attack planted: from `atUs` on, the meter does `kind`, its messages labelled `attack`. */
  fault?: { kind: MeterFault; atUs: number; attack: string; rebound?: Station; location?: string };
}

/** What a meter can be made to do wrong, each the meter's side of one attack. */
export type MeterFault = 'silent' | 'notify-after-cancel' | 'malformed-payload' | 'out-of-range' | 'energy-backwards' | 'plaintext-downgrade'
  | 'address-change' | 'skip-bootstrap' | 'retransmission-storm' | 'mute-notifications' | 'registration-deleted';

/** CoAP over DTLS (RFC 7252 §6.2): a meter secured with DTLS talks to this port of its server. */
const COAPS_PORT = 5684;

/** A household's single-phase supply tops out near 23 kW (100 A at 230 V): this is far beyond it. */
const IMPOSSIBLE_WATTS = 250_000;
const ENERGY_SETBACK_KWH = 1_000;
/** A retransmission storm: the same confirmable notification sent this many times, this far apart (never acknowledged). */
const STORM_TRANSMISSIONS = 12;
const STORM_GAP_US = 2_500_000;

/** Observation attributes the server writes, and how the meter acts on them. */
export interface ObservationSettings {
  pminS: number;
  pmaxS: number;
  /** `st`: notify when some household moved by at least this much since the last notification. */
  stepWatts: number;
  /** `gt` and `lt` on household 0's power: crossing either also triggers a notification. */
  aboveWatts: number;
  belowWatts: number;
  /** Share of notifications sent confirmable (each then ACKed by the server). */
  confirmableShare: number;
}

/** Chance, at each check, that the server pings the meter (CoAP ping, answered with RST). */
const PING_SHARE = 0.005;
const SEND_EVERY_US = 900_000_000;
/** Registration updates come at 80 % of the lifetime, jittered, well before it ends. */
const UPDATE_AT_LIFETIME_SHARE = 0.8;
const SHORT_SERVER_ID = 1;

/**
 * Everything one smart meter and its servers say to each other, in time order, until `endUs`:
 * optional bootstrap, Register, a Read of /3/0, Write-Attributes, an Observe of the power object,
 * then notifications as household demand moves, registration updates and, on 1.1, Send.
 * Each meter owns its random stream, so its traffic does not depend on the others'.
 */
export function* meterTraffic(m: MeterSpec, obs: ObservationSettings, demand: DemandProfile, rng: Rng): Generator<Datagram, void> {
  const rttUs = rng.int(40_000, 300_000);
  let meterMid = rng.int(0, 0xffff);
  let serverMid = rng.int(0, 0xffff);
  let t = m.bootUs;

  // A meter planted with 'plaintext-downgrade' uses DTLS to port 5684 until the attack, plain CoAP after.
  const downgrade = m.fault?.kind === 'plaintext-downgrade' ? m.fault : undefined;
  const dtls = downgrade ? new DtlsSession(rng) : null;
  const secureServer: Station = { ...m.server, port: COAPS_PORT };
  const datagram = (from: Station, to: Station, packet: Packet, operation?: string): Datagram => {
    const coap = generate(packet);
    if (downgrade === undefined) return { us: t, from, to, coap, operation, endpoint: m.endpoint };
    if (t >= downgrade.atUs) return { us: t, from, to, coap, operation, endpoint: m.endpoint, attack: downgrade.attack };
    // Encrypted, so no operation an observer could log.
    return { us: t, from: from === m.server ? secureServer : from, to: to === m.server ? secureServer : to, coap: dtls!.seal(coap), endpoint: m.endpoint };
  };
  const nextMeterMid = () => (meterMid = (meterMid + 1) & 0xffff);
  const nextServerMid = () => (serverMid = (serverMid + 1) & 0xffff);
  // Captured at the server: its answers leave within a few ms, the meter's come back a cellular round trip later.
  const serverTurnaround = () => { t += rng.int(100, 2_000); };
  const roundTrip = () => { t += Math.round(rttUs * rng.between(0.8, 1.5)); };
  const pause = () => { t += rng.int(2_000, 20_000); };

  /** A confirmable request from the meter and the server's piggybacked answer. */
  function* meterAsks(to: Station, operation: string, options: Option[], payload: Buffer | undefined, answer: string, answerOptions: Option[] = []) {
    const mid = nextMeterMid();
    const token = rng.bytes(4);
    yield datagram(m.station, to, { code: '0.02', confirmable: true, messageId: mid, token, options, payload }, operation);
    serverTurnaround();
    yield datagram(to, m.station, { code: answer, ack: true, messageId: mid, token, options: answerOptions });
  }

  /** A confirmable request from a server and the meter's piggybacked answer, built when it leaves. */
  function* serverAsks(from: Station, operation: string, request: Packet, answer: () => Packet, token = rng.bytes(8)) {
    const mid = nextServerMid();
    yield datagram(from, m.station, { ...request, confirmable: true, messageId: mid, token }, operation);
    roundTrip();
    yield datagram(m.station, from, { ...answer(), ack: true, messageId: mid, token });
  }

  /** Every message of `messages`, labelled with `attack`. */
  function* labelled(messages: Iterable<Datagram>, attack: string) {
    for (const d of messages) yield { ...d, attack };
  }

  if (m.bootstrapServer !== null && m.fault?.kind !== 'skip-bootstrap') {
    const bs = m.bootstrapServer;
    yield* meterAsks(bs, 'bootstrap-request', [...uriPath('/bs'), uriQuery(`ep=${m.endpoint}`)], undefined, '2.04');
    pause();
    yield* serverAsks(bs, 'bootstrap-delete', { code: 'DELETE', options: [] }, () => ({ code: '2.02' }));
    pause();
    const security = encodeResources(LWM2M_TLV, securityInstance(m.server), 2);
    yield* serverAsks(bs, 'bootstrap-write', { code: 'PUT', options: [...uriPath('/0/0'), contentFormat(LWM2M_TLV)], payload: security }, () => ({ code: '2.04' }));
    pause();
    const server = encodeResources(LWM2M_TLV, serverInstance(m), 2);
    yield* serverAsks(bs, 'bootstrap-write', { code: 'PUT', options: [...uriPath('/1/0'), contentFormat(LWM2M_TLV)], payload: server }, () => ({ code: '2.04' }));
    pause();
    yield* serverAsks(bs, 'bootstrap-finish', { code: 'POST', options: uriPath('/bs') }, () => ({ code: '2.04' }));
    pause();
  }

  const binding = m.queueMode && m.version === '1.0' ? 'UQ' : 'U';
  const registerQuery = [`ep=${m.endpoint}`, `lt=${m.lifetimeS}`, `lwm2m=${m.version}`, `b=${binding}`];
  if (m.queueMode && m.version === '1.1') registerQuery.push('Q');
  const registerOptions = [...uriPath('/rd'), contentFormat(LINK_FORMAT), ...registerQuery.map(uriQuery)];
  const register = meterAsks(m.server, 'register', registerOptions, registerLinks(m.version, m.powerObject.id, m.households), '2.01', locationPath(m.registration));
  yield* m.fault?.kind === 'skip-bootstrap' && m.bootstrapServer !== null ? labelled(register, m.fault.attack) : register;
  const scheduleUpdate = () => t + Math.round(m.lifetimeS * UPDATE_AT_LIFETIME_SHARE * 1e6 * rng.between(0.9, 1.0));
  let nextUpdateUs = scheduleUpdate();

  pause();
  const serial = `SN${m.endpoint.replace(/\D/g, '').padStart(8, '0')}`;
  yield* serverAsks(m.server, 'read', { code: 'GET', options: [...uriPath('/3/0'), accept(m.format)] }, () => ({
    code: '2.05', options: [contentFormat(m.format)], payload: encodeResources(m.format, deviceResources(serial, Math.floor(t / 1e6), binding), 2),
  }));

  const object = `/${m.powerObject.id}`;
  const unit = m.powerObject.wattsPerUnit;
  pause();
  yield* serverAsks(m.server, 'write-attributes', {
    code: 'PUT', options: [...uriPath(object), uriQuery(`pmin=${obs.pminS}`), uriQuery(`pmax=${obs.pmaxS}`)],
  }, () => ({ code: '2.04' }));
  pause();
  yield* serverAsks(m.server, 'write-attributes', {
    code: 'PUT',
    options: [...uriPath(`${object}/0/${m.powerObject.power}`), uriQuery(`gt=${obs.aboveWatts / unit}`), uriQuery(`lt=${obs.belowWatts / unit}`), uriQuery(`st=${obs.stepWatts / unit}`)],
  }, () => ({ code: '2.04' }));

  // Household state: demand sampled at each check, energy integrated between checks.
  const watts = new Float64Array(m.households);
  const previousWatts = new Float64Array(m.households);
  const notifiedWatts = new Float64Array(m.households);
  const energyKwh = new Float64Array(m.households);
  const sample = () => {
    const second = Math.floor(t / 1e6);
    for (let h = 0; h < m.households; h++) watts[h] = demand.watts(m.firstHousehold + h, second);
  };
  const readings = (withPower: boolean): ResourceValue[] => {
    const out: ResourceValue[] = [];
    for (let h = 0; h < m.households; h++) {
      if (withPower) out.push({ object: m.powerObject.id, instance: h, resource: m.powerObject.power, value: round(watts[h] / unit, 4), float: true });
      out.push({ object: m.powerObject.id, instance: h, resource: m.powerObject.energy, value: round(energyKwh[h], 3), float: true });
    }
    return out;
  };
  for (let h = 0; h < m.households; h++) energyKwh[h] = round(rng.between(1_000, 30_000), 3);

  pause();
  sample();
  notifiedWatts.set(watts);
  const observeToken = rng.bytes(8);
  let observeSeq = rng.int(2, 200);
  yield* serverAsks(m.server, 'observe', { code: 'GET', options: [observe(0), ...uriPath(object), accept(m.format)] }, () => ({
    code: '2.05', options: [observe(observeSeq), contentFormat(m.format)], payload: encodeResources(m.format, readings(true), 1),
  }), observeToken);
  let notifiedUs = t;
  let nextSendUs = t + SEND_EVERY_US;

  let cancelled = false;
  let downgraded = false;
  let faultDone = false;
  let rebound = false;
  let stormed = false;
  /** The payload of the next notification, with the planted fault applied once when it is due. */
  const notificationBody = (): { payload: Buffer; attack?: string } => {
    const fault = m.fault;
    if (fault === undefined || t < fault.atUs || (faultDone && fault.kind !== 'notify-after-cancel')) return { payload: encodeResources(m.format, readings(true), 1) };
    faultDone = true;
    switch (fault.kind) {
      case 'malformed-payload':
        return { payload: malformed(m.format, encodeResources(m.format, readings(true), 1)), attack: fault.attack };
      case 'out-of-range':
        watts[0] = IMPOSSIBLE_WATTS;
        return { payload: encodeResources(m.format, readings(true), 1), attack: fault.attack };
      case 'energy-backwards':
        energyKwh[0] = Math.max(0, energyKwh[0] - ENERGY_SETBACK_KWH);
        return { payload: encodeResources(m.format, readings(true), 1), attack: fault.attack };
      default:
        return { payload: encodeResources(m.format, readings(true), 1), attack: cancelled ? fault.attack : undefined };
    }
  };

  function* notify(confirmable: boolean) {
    observeSeq = (observeSeq + 1) & 0xffffff;
    const mid = nextMeterMid();
    const body = notificationBody();
    const message = datagram(m.station, m.server, {
      code: '2.05', confirmable, messageId: mid, token: observeToken,
      options: [observe(observeSeq), contentFormat(m.format)], payload: body.payload,
    }, 'notify');
    message.attack = body.attack;
    yield message;
    notifiedWatts.set(watts);
    notifiedUs = t;
    if (confirmable) {
      serverTurnaround();
      yield datagram(m.server, m.station, { code: '0.00', ack: true, messageId: mid });
    }
  }

  /** The next notification, confirmable, sent STORM_TRANSMISSIONS times with the same message ID and bytes. */
  function* retransmissionStorm(attack: string) {
    observeSeq = (observeSeq + 1) & 0xffffff;
    const message = datagram(m.station, m.server, {
      code: '2.05', confirmable: true, messageId: nextMeterMid(), token: observeToken,
      options: [observe(observeSeq), contentFormat(m.format)], payload: encodeResources(m.format, readings(true), 1),
    }, 'notify');
    for (let i = 0; i < STORM_TRANSMISSIONS; i++) {
      if (i > 0) t += Math.round(STORM_GAP_US * rng.between(0.9, 1.1));
      yield { ...message, us: t, attack };
    }
    notifiedWatts.set(watts);
    notifiedUs = t;
  }

  // A queue-mode meter wakes once per pmax (or sooner, to keep its registration alive); others check every pmin.
  const stepS = m.queueMode ? Math.min(obs.pmaxS, Math.floor(m.lifetimeS / 2)) : obs.pminS;
  for (;;) {
    const previousSecond = t / 1e6;
    t += Math.round(stepS * 1e6 * rng.between(0.98, 1.02));
    if (t >= m.endUs) return;
    if (m.fault !== undefined && t >= m.fault.atUs) {
      if (m.fault.kind === 'silent') return;
      if (m.fault.kind === 'plaintext-downgrade' && !downgraded) {
        // It registers anew in the clear, and stays in the clear.
        yield* meterAsks(m.server, 'register', registerOptions, registerLinks(m.version, m.powerObject.id, m.households), '2.01', locationPath(m.registration));
        downgraded = true;
      }
      if (m.fault.kind === 'notify-after-cancel' && !cancelled) {
        // The server cancels (Observe 1, same token); the meter acknowledges, then keeps notifying.
        yield* serverAsks(m.server, 'cancel-observation', { code: 'GET', options: [observe(1), ...uriPath(object), accept(m.format)] }, () => ({
          code: '2.05', options: [contentFormat(m.format)], payload: encodeResources(m.format, readings(true), 1),
        }), observeToken);
        cancelled = true;
      }
    }
    let updated = false;
    if (m.fault?.kind === 'address-change' && t >= m.fault.atUs && !rebound) {
      // A NAT rebinding: from now on the meter's packets come from another address and port, its next Update first.
      m.station = m.fault.rebound!;
      rebound = updated = true;
      yield* labelled(meterAsks(m.server, 'update', uriPath(m.registration), undefined, '2.04'), m.fault.attack);
      nextUpdateUs = scheduleUpdate();
    }
    if (m.fault?.kind === 'retransmission-storm' && t >= m.fault.atUs && !stormed) {
      stormed = true;
      yield* retransmissionStorm(m.fault.attack);
      continue;
    }
    previousWatts.set(watts);
    sample();
    const hours = (t / 1e6 - previousSecond) / 3600;
    for (let h = 0; h < m.households; h++) energyKwh[h] += ((previousWatts[h] + watts[h]) / 2 / 1000) * hours;

    if (!updated && (m.queueMode || t >= nextUpdateUs)) {
      if (m.fault?.kind === 'registration-deleted' && t >= m.fault.atUs && m.registration !== m.fault.location) {
        // Someone else deleted the registration: the server no longer knows the location (4.04),
        // so the meter registers again and gets a new one.
        yield* meterAsks(m.server, 'update', uriPath(m.registration), undefined, '4.04');
        pause();
        m.registration = m.fault.location!;
        yield* meterAsks(m.server, 'register', registerOptions, registerLinks(m.version, m.powerObject.id, m.households), '2.01', locationPath(m.registration));
      } else yield* meterAsks(m.server, 'update', uriPath(m.registration), undefined, '2.04');
      nextUpdateUs = scheduleUpdate();
    }
    // A muted meter keeps its registration alive but sends no more notifications.
    const muted = m.fault?.kind === 'mute-notifications' && t >= m.fault.atUs;
    if (m.queueMode) {
      if (!muted) yield* notify(true);
    } else if (rng.chance(PING_SHARE)) {
      const mid = nextServerMid();
      yield datagram(m.server, m.station, { code: '0.00', confirmable: true, messageId: mid }, 'ping');
      roundTrip();
      yield datagram(m.station, m.server, { code: '0.00', reset: true, messageId: mid });
    } else if (!muted && shouldNotify(obs, watts, notifiedWatts, (t - notifiedUs) / 1e6)) {
      yield* notify(rng.chance(obs.confirmableShare));
    }
    if (m.sends && t >= nextSendUs) {
      pause();
      yield* meterAsks(m.server, 'send', [...uriPath('/dp'), contentFormat(m.format)], encodeResources(m.format, readings(false), 1), '2.04');
      nextSendUs += SEND_EVERY_US;
    }
  }
}

/** The LwM2M notification rule: pmax forces one; otherwise a step of `st` or crossing `gt`/`lt` does. */
function shouldNotify(obs: ObservationSettings, watts: Float64Array, notified: Float64Array, sinceS: number): boolean {
  if (sinceS >= obs.pmaxS) return true;
  for (let h = 0; h < watts.length; h++) {
    if (Math.abs(watts[h] - notified[h]) >= obs.stepWatts) return true;
  }
  const crossed = (limit: number) => (watts[0] > limit) !== (notified[0] > limit);
  return crossed(obs.aboveWatts) || crossed(obs.belowWatts);
}

/** A body that breaks its format: a TLV whose length runs past the end, or SenML cut mid-record. */
function malformed(format: PayloadFormat, body: Buffer): Buffer {
  if (format === LWM2M_TLV) return Buffer.concat([Buffer.from([0xc8, 0x00, 0xc8]), body.subarray(0, 6)]);
  return body.subarray(0, Math.floor(body.length / 2));
}

function round(value: number, decimals: number): number {
  const scale = 10 ** decimals;
  return Math.round(value * scale) / scale;
}

/** Security object instance the bootstrap server provisions: the LwM2M server's URI, NoSec mode. */
function securityInstance(server: Station): ResourceValue[] {
  const security = (resource: number, value: string | number | boolean): ResourceValue => ({ object: 0, instance: 0, resource, value });
  return [security(0, `coap://${ipv4ToString(server.ip)}:${server.port}`), security(1, false), security(2, 3), security(10, SHORT_SERVER_ID)];
}

function serverInstance(m: MeterSpec): ResourceValue[] {
  const server = (resource: number, value: string | number | boolean): ResourceValue => ({ object: 1, instance: 0, resource, value });
  return [server(0, SHORT_SERVER_ID), server(1, m.lifetimeS), server(6, true), server(7, m.queueMode && m.version === '1.0' ? 'UQ' : 'U')];
}
