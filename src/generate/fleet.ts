import type { Datagram } from './datagram.js';
import type { DemandProfile } from './demand.js';
import { meterTraffic, type MeterSpec, type ObservationSettings } from './meter.js';
import { LWM2M_TLV, SENML_CBOR, SENML_JSON } from './payloads.js';
import type { Station } from './pcap-writer.js';
import { POWER_MEASUREMENT, SINGLE_PHASE_METER } from './power-objects.js';
import { Rng } from './prng.js';

/** What a fleet is, whether written to a capture or played live. */
export interface FleetShape {
  meters: number;
  households: number;
  seed: number;
  startUs: number;
  /** Simulated time after the start at which every meter stops; Infinity for an endless fleet. */
  durationS: number;
  demand: DemandProfile;
}

export interface FleetOptions extends FleetShape {
  server: { ip: number; port: number };
  bootstrap: boolean;
  queueMode: boolean;
  lifetimeS: number;
  observation: ObservationSettings;
}

export const DEFAULT_OBSERVATION: ObservationSettings = {
  pminS: 10, pmaxS: 300, stepWatts: 100, aboveWatts: 3000, belowWatts: 200, confirmableShare: 0.2,
};

/** Meters boot spread over the first 10 s (or the first tenth of a shorter run), in index order. */
const BOOT_WINDOW_US = 10_000_000;
const METER_PORT = 56830;
const FIRST_METER_IP = 0x0a010001; // 10.1.0.1
const BOOTSTRAP_SERVER_IP = 0x0a000002; // 10.0.0.2
const SERVER_MAC = Buffer.from('02000a000001', 'hex');
/** Captured on the server's link: every other station's frames arrive from the same router. */
export const ROUTER_MAC = Buffer.from('02000a0000fe', 'hex');
export const INITIAL_TTL = 64;

/** The three meter kinds, by meter index, so that each payload format carries a third of the fleet. */
export const FLAVOURS = [
  { version: '1.0', format: LWM2M_TLV, powerObject: POWER_MEASUREMENT, sends: false },
  { version: '1.1', format: SENML_JSON, powerObject: SINGLE_PHASE_METER, sends: false },
  { version: '1.1', format: SENML_CBOR, powerObject: POWER_MEASUREMENT, sends: true },
] as const;

export interface Fleet {
  server: Station;
  meters: MeterSpec[];
  streams: Array<Iterator<Datagram>>;
  /** Random stream for whatever is added to the fleet (attacks), separate from every meter's. */
  rng: Rng;
}

export const endpointName = (meter: number) => `meter-${String(meter).padStart(5, '0')}`;

/** Builds every meter and its traffic stream; nothing is generated until the streams are read. */
export function buildFleet(o: FleetOptions): Fleet {
  const rng = new Rng(o.seed);
  const server: Station = { mac: SERVER_MAC, ip: o.server.ip, port: o.server.port, ttl: INITIAL_TTL, ipId: rng.int(0, 0xffff) };
  const bootstrapServer: Station | null = o.bootstrap
    ? { mac: SERVER_MAC, ip: BOOTSTRAP_SERVER_IP, port: 5683, ttl: INITIAL_TTL, ipId: rng.int(0, 0xffff) }
    : null;
  const endUs = o.startUs + o.durationS * 1e6;
  const bootWindowUs = Math.min(BOOT_WINDOW_US, (o.durationS * 1e6) / 10);
  const meters: MeterSpec[] = [];
  const streams: Array<Iterator<Datagram>> = [];
  for (let i = 0; i < o.meters; i++) {
    const flavour = FLAVOURS[i % FLAVOURS.length];
    const station: Station = { mac: ROUTER_MAC, ip: FIRST_METER_IP + i, port: METER_PORT, ttl: INITIAL_TTL - rng.int(3, 14), ipId: rng.int(0, 0xffff) };
    const spec: MeterSpec = {
      endpoint: endpointName(i), station, server, bootstrapServer,
      version: flavour.version, format: flavour.format, powerObject: flavour.powerObject, sends: flavour.sends,
      firstHousehold: i * o.households, households: o.households,
      // A server numbering registrations as they come: meters boot, hence register, in index order.
      registration: `/rd/${i + 1}`,
      lifetimeS: o.lifetimeS, queueMode: o.queueMode,
      bootUs: o.startUs + Math.floor((i * bootWindowUs) / o.meters), endUs,
    };
    meters.push(spec);
    streams.push(meterTraffic(spec, o.observation, o.demand, new Rng(o.seed ^ Math.imul(i + 1, 0x9e3779b1))));
  }
  return { server, meters, streams, rng };
}
