import { generate, type Packet } from 'coap-packet';
import {
  activePowerPayload, devicePayload, LINK_FORMAT, LWM2M_TLV, registerLinks, SENML_CBOR, SENML_JSON,
  type NotifyFormat, type ReadFormat,
} from './lwm2m-payloads.js';
import type { Rng } from './prng.js';

/** One CoAP message of the fleet, as seen at the server's network interface. */
export interface Datagram {
  /** Capture time, microseconds since the epoch. */
  us: number;
  meter: number;
  fromMeter: boolean;
  coap: Buffer;
}

/** Mean gap between two notifications of one meter: with the ACKs, ~2.5 packets/s per meter. */
const NOTIFY_GAP_US = 550_000;
/** Share of notifications sent confirmable, each then ACKed: with NON ones, ~70 % of all packets are notifications. */
const CON_NOTIFY_SHARE = 0.35;
/** Chance that the server pings the meter instead of the meter notifying. */
const PING_SHARE = 0.005;
/** Updates well before the 300 s lifetime: they also keep the cellular NAT binding open. */
const UPDATE_EVERY_US = 60_000_000;
const LIFETIME_S = 300;
const NOTIFY_FORMATS: NotifyFormat[] = [SENML_JSON, SENML_CBOR, LWM2M_TLV];

const contentFormat = (format: number) => ({ name: 'Content-Format', value: uintOption(format) });
const accept = (format: number) => ({ name: 'Accept', value: uintOption(format) });
const uriPath = (segment: string) => ({ name: 'Uri-Path', value: Buffer.from(segment, 'latin1') });
const uriQuery = (query: string) => ({ name: 'Uri-Query', value: Buffer.from(query, 'latin1') });

/**
 * Everything one smart meter and the server say to each other, in time order, forever: Register,
 * a Read of /3/0, an Observe of /3305/0/5800, then notifications with periodic Updates and the
 * odd ping. Each meter owns its random stream, so its traffic does not depend on the others'.
 */
export function* meterTraffic(meter: number, bootUs: number, rng: Rng): Generator<Datagram, never> {
  const endpoint = `meter-${String(meter).padStart(5, '0')}`;
  // A server numbering registrations as they come: meters boot, hence register, in index order.
  const registration = String(meter + 1);
  const powerInstances = rng.int(1, 3);
  const readFormat: ReadFormat = rng.chance(0.5) ? LWM2M_TLV : SENML_JSON;
  // By meter index rather than at random, so that each format carries a third of the notifications.
  const notifyFormat = NOTIFY_FORMATS[meter % NOTIFY_FORMATS.length];
  const rttUs = rng.int(40_000, 300_000);
  let meterMid = rng.int(0, 0xffff);
  let serverMid = rng.int(0, 0xffff);
  let observeSeq = rng.int(2, 200);
  let watts = Math.round(rng.between(300, 4000));
  let t = bootUs;
  // coap-packet only reads option objects, so the ones every notification carries are made once.
  const notifyContentFormat = contentFormat(notifyFormat);

  const fromMeter = (packet: Packet): Datagram => ({ us: t, meter, fromMeter: true, coap: generate(packet) });
  const fromServer = (packet: Packet): Datagram => ({ us: t, meter, fromMeter: false, coap: generate(packet) });
  const nextMeterMid = () => (meterMid = (meterMid + 1) & 0xffff);
  const nextServerMid = () => (serverMid = (serverMid + 1) & 0xffff);
  // Captured at the server: its answers leave within a few ms, the meter's come back a cellular round trip later.
  const serverTurnaround = () => { t += rng.int(100, 2_000); };
  const roundTrip = () => { t += Math.round(rttUs * rng.between(0.8, 1.5)); };

  // Register, answered with the registration's Location-Path.
  let token = rng.bytes(4);
  let mid = nextMeterMid();
  yield fromMeter({
    code: 'POST', confirmable: true, messageId: mid, token,
    options: [uriPath('rd'), uriQuery(`ep=${endpoint}`), uriQuery(`lt=${LIFETIME_S}`), uriQuery('lwm2m=1.1'), uriQuery('b=U'), contentFormat(LINK_FORMAT)],
    payload: registerLinks(powerInstances),
  });
  serverTurnaround();
  yield fromServer({ code: '2.01', ack: true, messageId: mid, token, options: [{ name: 'Location-Path', value: Buffer.from('rd') }, { name: 'Location-Path', value: Buffer.from(registration) }] });

  // The server reads the Device object...
  t += rng.int(2_000, 20_000);
  token = rng.bytes(8);
  mid = nextServerMid();
  yield fromServer({ code: 'GET', confirmable: true, messageId: mid, token, options: [uriPath('3'), uriPath('0'), accept(readFormat)] });
  roundTrip();
  const device = { serial: `SN${String(meter).padStart(8, '0')}`, nowSeconds: Math.floor(t / 1e6) };
  yield fromMeter({ code: '2.05', ack: true, messageId: mid, token, options: [contentFormat(readFormat)], payload: devicePayload(readFormat, device) });

  // ...then observes the active power, whose token every notification repeats.
  t += rng.int(2_000, 20_000);
  const observeToken = rng.bytes(8);
  mid = nextServerMid();
  yield fromServer({
    code: 'GET', confirmable: true, messageId: mid, token: observeToken,
    options: [{ name: 'Observe', value: uintOption(0) }, uriPath('3305'), uriPath('0'), uriPath('5800'), accept(notifyFormat)],
  });
  roundTrip();
  yield fromMeter({
    code: '2.05', ack: true, messageId: mid, token: observeToken,
    options: [{ name: 'Observe', value: uintOption(observeSeq) }, contentFormat(notifyFormat)],
    payload: activePowerPayload(notifyFormat, watts),
  });

  let nextUpdateUs = t + UPDATE_EVERY_US;
  for (;;) {
    t += Math.round(NOTIFY_GAP_US * rng.between(0.7, 1.3));
    if (t >= nextUpdateUs) {
      token = rng.bytes(4);
      mid = nextMeterMid();
      yield fromMeter({ code: 'POST', confirmable: true, messageId: mid, token, options: [uriPath('rd'), uriPath(registration)] });
      serverTurnaround();
      yield fromServer({ code: '2.04', ack: true, messageId: mid, token });
      nextUpdateUs = t + UPDATE_EVERY_US + rng.int(-2_000_000, 2_000_000);
    } else if (rng.chance(PING_SHARE)) {
      mid = nextServerMid();
      yield fromServer({ code: '0.00', confirmable: true, messageId: mid });
      roundTrip();
      yield fromMeter({ code: '0.00', reset: true, messageId: mid });
    } else {
      // A random walk: household load drifts a few percent between samples.
      watts = Math.max(0, Math.round(watts * rng.between(0.97, 1.03) * 10) / 10);
      observeSeq = (observeSeq + 1) & 0xffffff;
      const confirmable = rng.chance(CON_NOTIFY_SHARE);
      mid = nextMeterMid();
      yield fromMeter({
        code: '2.05', confirmable, messageId: mid, token: observeToken,
        options: [{ name: 'Observe', value: uintOption(observeSeq) }, notifyContentFormat],
        payload: activePowerPayload(notifyFormat, watts),
      });
      if (confirmable) {
        serverTurnaround();
        yield fromServer({ code: '0.00', ack: true, messageId: mid });
      }
    }
  }
}

/** A CoAP uint option value: big-endian in as few bytes as it takes, 0 being empty (RFC 7252 §3.2). */
function uintOption(value: number): Buffer {
  const length = value === 0 ? 0 : value <= 0xff ? 1 : value <= 0xffff ? 2 : value <= 0xffffff ? 3 : 4;
  const out = Buffer.allocUnsafe(length);
  if (length > 0) out.writeUIntBE(value, 0, length);
  return out;
}
