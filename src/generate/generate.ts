import { AttackContext, planAttacks } from './attacks/index.js';
import { buildFleet, DEFAULT_OBSERVATION, type FleetShape } from './fleet.js';
import { writeCapture, writeTruth, type TruthRecord } from './write-capture.js';

export interface GenerateOptions extends FleetShape {
  pcap: string;
  /** Simulated seconds per capture second. */
  speed: number;
  server: { ip: number; port: number };
  attacks: string[];
  bootstrap: boolean;
  queueMode: boolean;
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

/** Registration lifetime: updates come every ~4 minutes, so an hour holds a dozen per meter. */
const LIFETIME_S = 300;

/** Writes the fleet's traffic, attacks mixed in, to `o.pcap`, and the ground truth beside it. */
export function generateCapture(o: GenerateOptions): GenerateResult {
  const fleet = buildFleet({
    meters: o.meters, households: o.households, seed: o.seed, startUs: o.startUs, durationS: o.durationS,
    server: o.server, bootstrap: o.bootstrap, queueMode: o.queueMode, lifetimeS: LIFETIME_S,
    observation: DEFAULT_OBSERVATION, demand: o.demand,
  });
  const ctx = new AttackContext(fleet, o.startUs, o.startUs + o.durationS * 1e6, fleet.rng);
  const plan = planAttacks(ctx, o.attacks);
  const result = writeCapture(o.pcap, [...fleet.streams, ...plan.streams], Infinity, { startUs: o.startUs, speed: o.speed });

  let truth: string | null = null;
  if (o.attacks.length > 0) {
    truth = o.pcap.replace(/\.pcap$/, '') + '.truth.ndjson';
    const captureSeconds = (us: number) => Math.round(o.startUs + (us - o.startUs) / o.speed) / 1e6;
    const events: TruthRecord[] = plan.events.map((e) => ({ frame: null, time: captureSeconds(e.us), attack: e.attack, endpoint: e.endpoint }));
    writeTruth(truth, [...result.truth, ...events].sort((a, b) => a.time - b.time));
  }
  return {
    pcap: o.pcap, packets: result.packets, bytes: result.bytes, meters: o.meters, households: o.households,
    operations: result.operations, truth, injected: result.truth.length,
  };
}
