import { existsSync, mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { generate, type Packet } from 'coap-packet';
import { accept, contentFormat, locationPath, observe, uriPath, uriQuery } from '../generate/coap-options.js';
import type { Datagram } from '../generate/datagram.js';
import { FLAVOURS, INITIAL_TTL, ROUTER_MAC } from '../generate/fleet.js';
import { encodeResources, LINK_FORMAT, registerLinks, type ResourceValue } from '../generate/payloads.js';
import type { Station } from '../generate/pcap-writer.js';
import { Rng } from '../generate/prng.js';
import { writeCapture } from '../generate/write-capture.js';
import type { Capture } from './build-capture.js';

/*
 * Captures of a fleet of N meters that are all registered at once, to time the analyzer with
 * tables that really hold N endpoints. Every meter sends exactly PACKETS_PER_METER packets, in
 * five exchanges that run fleet-wide one after the other, each in its own window:
 *
 *   1 Register (CON POST /rd?ep&lt&lwm2m&b, link-format body) and the ACK 2.01 with Location-Path
 *   2 the server's Observe (CON GET, Observe 0, on /<power object>/0) and the piggybacked 2.05
 *   3 a CON notification and the server's empty ACK
 *   4 another CON notification and its empty ACK
 *   5 Update (CON POST /rd/<location>) and the ACK 2.04
 *
 * Within a window the meters take their turns in an order shuffled per window (a stride through
 * the fleet), evenly spread, and each answer comes a round trip later, so that exchanges of many
 * meters are open at once, as at a real server. The windows have the same length whatever N is:
 * the packet rate grows with the fleet, as it does for a utility, and the time-driven tables
 * (exchange lifetimes, rate windows) see the same timeline at every size.
 */

/** Part of the file name: bump it whenever the traffic changes, so an older cached capture is not reused. */
export const SCALE_FORMAT_VERSION = 1;
export const PACKETS_PER_METER = 10;

/** The fleet sizes `npm run bench` times, by the name its --scale option takes. */
export const SCALE_FLEETS: ReadonlyMap<string, number> = new Map([['30k', 30_000], ['300k', 300_000], ['1m', 1_000_000]]);

const SEED = 0x5ca1ab1e;
const START_US = Date.UTC(2024, 5, 1) * 1000;
/** Each exchange's window, and the quiet gap after it (longer than any round trip, so that windows never overlap). */
const WINDOW_US = 300_000_000;
const GAP_US = 5_000_000;
const EXCHANGES = 5;
/** Lifetime in the Register: longer than the whole capture, so no registration expires in it. */
const LIFETIME_S = 3_600;
/** Meter round trips come in this many classes, ROUND_TRIP_MIN_US apart by ROUND_TRIP_STEP_US (cellular: 40-280 ms). */
const ROUND_TRIP_CLASSES = 16;
const ROUND_TRIP_MIN_US = 40_000;
const ROUND_TRIP_STEP_US = 16_000;
/** The server answers within a millisecond, also by class, so that each class's answers stay in time order. */
const SERVER_TURNAROUND_MIN_US = 200;
const SERVER_TURNAROUND_STEP_US = 50;
/**
 * Each window's turn order is j -> j * stride mod N, a shuffle of the fleet when the stride is
 * coprime with N; strides near these fractions of N (golden ratio and other badly approximable
 * numbers) put meters of nearby numbers, hence addresses, far apart in time.
 */
const STRIDE_FRACTIONS = [0.6180339887, 0.4142135624, 0.7320508076, 0.2360679775, 0.3027756377];
const SERVER_IP = 0x0a000001; // 10.0.0.1
const SERVER_PORT = 5683;
const SERVER_MAC = Buffer.from('02000a000001', 'hex');
const FIRST_METER_IP = 0x0a010001; // 10.1.0.1
const METER_PORT = 56830;

/** bench-data/scale-30k-v1.pcap for 30,000 meters, scale-1m-v1.pcap for 1,000,000, scale-1234-v1.pcap otherwise. */
export function scaleCapturePath(dir: string, meters: number): string {
  const count = meters % 1_000_000 === 0 ? `${meters / 1_000_000}m` : meters % 1000 === 0 ? `${meters / 1000}k` : String(meters);
  return join(dir, `scale-${count}-v${SCALE_FORMAT_VERSION}.pcap`);
}

/** The capture of a fleet of `meters` in `dir`, built unless it is already there (or `rebuild` is set). */
export function ensureScaleCapture(dir: string, meters: number, rebuild = false): Capture {
  const path = scaleCapturePath(dir, meters);
  const packets = meters * PACKETS_PER_METER;
  if (!rebuild && existsSync(path)) return { path, packets, bytes: statSync(path).size, buildSeconds: null };
  mkdirSync(dir, { recursive: true });
  const started = performance.now();
  const written = writeCapture(path, scaleStreams(meters));
  if (written.packets !== packets) throw new Error(`scale capture: wrote ${written.packets} packets, expected ${packets}`);
  return { path, packets, bytes: written.bytes, buildSeconds: (performance.now() - started) / 1000 };
}

/** What a meter is and the random choices it keeps across its exchanges, derived from its number alone (no table of N). */
interface Meter {
  index: number;
  endpoint: string;
  location: string;
  version: '1.0' | '1.1';
  format: (typeof FLAVOURS)[number]['format'];
  object: number;
  power: number;
  energy: number;
  wattsPerUnit: number;
  ttl: number;
  ipId: number;
  meterMid: number;
  serverMid: number;
  registerToken: Buffer;
  observeToken: Buffer;
  updateToken: Buffer;
  observeSequence: number;
  watts: number;
  energyKwh: number;
}

function meter(index: number): Meter {
  const rng = new Rng(SEED ^ Math.imul(index + 1, 0x9e3779b1));
  const flavour = FLAVOURS[index % FLAVOURS.length];
  return {
    index,
    endpoint: `meter-${String(index).padStart(7, '0')}`,
    location: `/rd/${(index + 1).toString(36)}`,
    version: flavour.version,
    format: flavour.format,
    object: flavour.powerObject.id,
    power: flavour.powerObject.power,
    energy: flavour.powerObject.energy,
    wattsPerUnit: flavour.powerObject.wattsPerUnit,
    ttl: INITIAL_TTL - rng.int(3, 14),
    ipId: rng.int(0, 0xffff),
    meterMid: rng.int(0, 0xffff),
    serverMid: rng.int(0, 0xffff),
    registerToken: rng.bytes(4),
    observeToken: rng.bytes(8),
    updateToken: rng.bytes(4),
    observeSequence: rng.int(2, 200),
    watts: rng.int(150, 2_900),
    energyKwh: Math.round(rng.between(1_000, 30_000) * 1000) / 1000,
  };
}

/** The meter's station for its `sent`-th packet (the writer advances the IP identification of the object it gets). */
function meterStation(m: Meter, sent: number): Station {
  return { mac: ROUTER_MAC, ip: FIRST_METER_IP + m.index, port: METER_PORT, ttl: m.ttl, ipId: (m.ipId + sent) & 0xffff };
}

/** Power and energy of the meter's instance 0 at exchange `exchange`: power wanders, energy only grows. */
function readings(m: Meter, exchange: number): ResourceValue[] {
  const watts = m.watts + ((exchange * 37 + m.index) % 200) - 100;
  return [
    { object: m.object, instance: 0, resource: m.power, value: Math.round((watts / m.wattsPerUnit) * 1e4) / 1e4, float: true },
    { object: m.object, instance: 0, resource: m.energy, value: Math.round((m.energyKwh + exchange * 0.125) * 1000) / 1000, float: true },
  ];
}

/**
 * Exchange `k` (0-4, see the file's header) of meter `m` whose request leaves at `us`: the request,
 * or with `answer` set the response, which follows after the round trip of the meter's class when
 * the meter answers and after the server's turnaround when the server does.
 */
function exchangePart(m: Meter, k: number, us: number, server: Station, answer: boolean): Datagram {
  const endpoint = m.endpoint;
  const roundTripClass = m.index % ROUND_TRIP_CLASSES;
  // The capture point is at the server: its answers leave within a millisecond, the meter's arrive a round trip later.
  const serverAnswerUs = us + SERVER_TURNAROUND_MIN_US + roundTripClass * SERVER_TURNAROUND_STEP_US;
  const meterAnswerUs = us + ROUND_TRIP_MIN_US + roundTripClass * ROUND_TRIP_STEP_US;
  const fromMeter = (t: number, packet: Packet, operation?: string): Datagram =>
    ({ us: t, from: meterStation(m, k), to: server, coap: generate(packet), operation, endpoint });
  const toMeter = (t: number, packet: Packet, operation?: string): Datagram =>
    ({ us: t, from: server, to: meterStation(m, k), coap: generate(packet), operation, endpoint });
  switch (k) {
    case 0: {
      const mid = m.meterMid;
      if (answer) return toMeter(serverAnswerUs, { code: '2.01', ack: true, messageId: mid, token: m.registerToken, options: locationPath(m.location) });
      const query = [`ep=${endpoint}`, `lt=${LIFETIME_S}`, `lwm2m=${m.version}`, 'b=U'];
      const options = [...uriPath('/rd'), contentFormat(LINK_FORMAT), ...query.map(uriQuery)];
      return fromMeter(us, { code: '0.02', confirmable: true, messageId: mid, token: m.registerToken, options, payload: registerLinks(m.version, m.object, 1) }, 'register');
    }
    case 1: {
      const mid = m.serverMid;
      if (answer) {
        return fromMeter(meterAnswerUs, {
          code: '2.05', ack: true, messageId: mid, token: m.observeToken,
          options: [observe(m.observeSequence), contentFormat(m.format)], payload: encodeResources(m.format, readings(m, 1), 2),
        });
      }
      return toMeter(us, { code: 'GET', confirmable: true, messageId: mid, token: m.observeToken, options: [observe(0), ...uriPath(`/${m.object}/0`), accept(m.format)] }, 'observe');
    }
    case 2:
    case 3: {
      const mid = (m.meterMid + k - 1) & 0xffff;
      if (answer) return toMeter(serverAnswerUs, { code: '0.00', ack: true, messageId: mid });
      return fromMeter(us, {
        code: '2.05', confirmable: true, messageId: mid, token: m.observeToken,
        options: [observe(m.observeSequence + k - 1), contentFormat(m.format)], payload: encodeResources(m.format, readings(m, k), 2),
      }, 'notify');
    }
    default: {
      const mid = (m.meterMid + 3) & 0xffff;
      if (answer) return toMeter(serverAnswerUs, { code: '2.04', ack: true, messageId: mid, token: m.updateToken });
      return fromMeter(us, { code: '0.02', confirmable: true, messageId: mid, token: m.updateToken, options: uriPath(m.location) }, 'update');
    }
  }
}

/** The stride of exchange `k`'s turn order: the first number coprime with `meters` from its fraction of the fleet on. */
export function turnStride(meters: number, k: number): number {
  const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));
  let stride = Math.max(1, Math.floor(meters * STRIDE_FRACTIONS[k]));
  while (gcd(stride, meters) !== 1) stride++;
  return stride;
}

/** When turn `slot` of exchange `k` starts: turns evenly spread over the window. */
function turnUs(meters: number, k: number, slot: number): number {
  return START_US + k * (WINDOW_US + GAP_US) + Math.floor((slot * WINDOW_US) / meters);
}

/**
 * Every request in time order, and the answers split by round-trip class so that each stream is
 * in time order too (an answer's delay is fixed within its class): mergeByTime interleaves them
 * with a heap of 1 + ROUND_TRIP_CLASSES entries instead of holding the open exchanges.
 */
function scaleStreams(meters: number): Array<Iterator<Datagram>> {
  const server: Station = { mac: SERVER_MAC, ip: SERVER_IP, port: SERVER_PORT, ttl: INITIAL_TTL, ipId: new Rng(SEED).int(0, 0xffff) };
  const strides = Array.from({ length: EXCHANGES }, (_, k) => turnStride(meters, k));
  // Which meter takes turn `slot` of exchange `k`'s window (j * stride stays below 2^53 for any fleet this size).
  const meterAt = (k: number, slot: number) => (slot * strides[k]) % meters;
  function* requests(): Generator<Datagram> {
    for (let k = 0; k < EXCHANGES; k++) {
      for (let slot = 0; slot < meters; slot++) {
        yield exchangePart(meter(meterAt(k, slot)), k, turnUs(meters, k, slot), server, false);
      }
    }
  }
  function* answers(roundTripClass: number): Generator<Datagram> {
    for (let k = 0; k < EXCHANGES; k++) {
      for (let slot = 0; slot < meters; slot++) {
        const index = meterAt(k, slot);
        if (index % ROUND_TRIP_CLASSES !== roundTripClass) continue;
        yield exchangePart(meter(index), k, turnUs(meters, k, slot), server, true);
      }
    }
  }
  return [requests(), ...Array.from({ length: ROUND_TRIP_CLASSES }, (_, c) => answers(c))];
}
