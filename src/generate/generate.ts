import type { Datagram } from './datagram.js';
import { AttackContext, planAttacks } from './attacks/index.js';
import type { TruthEvent } from './attacks/context.js';
import type { Station } from './pcap-writer.js';
import { buildFleet, DEFAULT_OBSERVATION, type FleetShape } from './fleet.js';
import { writeCapture, writeTruth, type TruthRecord } from './write-capture.js';

/** What both transports play: the fleet, its servers and the attacks. */
export interface TrafficOptions extends FleetShape {
  server: { ip: number; port: number };
  attacks: string[];
  bootstrap: boolean;
  queueMode: boolean;
}

export interface GenerateOptions extends TrafficOptions {
  pcap: string;
  /** Simulated seconds per capture second. */
  speed: number;
}

export interface GenerateResult {
  pcap: string;
  packets: number;
  bytes: number;
  meters: number;
  households: number;
  /** Requests and notifications written, by LwM2M operation. */
  operations: Record<string, number>;
  /** The ground-truth file, when attacks were asked for. */
  truth: string | null;
  injected: number;
}

/** The fleet's traffic with the attacks mixed in, as it would be seen at the server: each stream in time order. */
export interface Traffic {
  streams: Array<Iterator<Datagram>>;
  /** What the attacks stand for that no message shows (a meter falling silent). */
  events: TruthEvent[];
  /** The LwM2M server's socket, and the bootstrap server's (null without --bootstrap). */
  server: Station;
  bootstrapServer: Station | null;
  /** Every meter's socket, as it starts. */
  meters: Station[];
}

/** Registration lifetime: updates come every ~4 minutes, so an hour holds a dozen per meter. */
const LIFETIME_S = 300;

/**
 * The one definition of what `generate` plays, whether written to a pcap or sent on loopback:
 * every meter's streams, then the attacks' (planted faults change the meters' own streams).
 */
export function planTraffic(o: TrafficOptions): Traffic {
  const fleet = buildFleet({
    meters: o.meters, households: o.households, seed: o.seed, startUs: o.startUs, durationS: o.durationS,
    server: o.server, bootstrap: o.bootstrap, queueMode: o.queueMode, lifetimeS: LIFETIME_S,
    observation: DEFAULT_OBSERVATION, demand: o.demand,
  });
  const ctx = new AttackContext(fleet, o.startUs, o.startUs + o.durationS * 1e6, fleet.rng);
  const plan = planAttacks(ctx, o.attacks);
  return {
    streams: [...fleet.streams, ...plan.streams], events: plan.events, server: fleet.server, bootstrapServer: fleet.meters[0]?.bootstrapServer ?? null,
    meters: fleet.meters.map((m) => m.station),
  };
}

/** Writes the fleet's traffic, attacks mixed in, to `o.pcap`, and the ground truth beside it. */
export function generateCapture(o: GenerateOptions): GenerateResult {
  const traffic = planTraffic(o);
  const result = writeCapture(o.pcap, traffic.streams, Infinity, { startUs: o.startUs, speed: o.speed });

  let truth: string | null = null;
  if (o.attacks.length > 0) {
    truth = o.pcap.replace(/\.pcap$/, '') + '.truth.ndjson';
    const captureSeconds = (us: number) => Math.round(o.startUs + (us - o.startUs) / o.speed) / 1e6;
    const events: TruthRecord[] = traffic.events.map((e) => ({ frame: null, time: captureSeconds(e.us), attack: e.attack, endpoint: e.endpoint }));
    writeTruth(truth, [...result.truth, ...events].sort((a, b) => a.time - b.time));
  }
  return {
    pcap: o.pcap, packets: result.packets, bytes: result.bytes, meters: o.meters, households: o.households,
    operations: result.operations, truth, injected: result.truth.length,
  };
}
