import { setTimeout as sleep } from 'node:timers/promises';
import { DEFAULT_OBSERVATION, endpointName, FLAVOURS, type FleetShape } from '../fleet.js';
import { Rng } from '../prng.js';
import { playLiveAttacks } from './attacks.js';
import { LiveMeter, type MeterCounts } from './meter.js';
import { LiveServer, type ServerCounts } from './server.js';

export interface LiveOptions extends FleetShape {
  server: { address: string; port: number };
  /** Simulated seconds per wall-clock second. */
  speed: number;
  /** Attacks to play halfway through (LIVE_ATTACK_NAMES). */
  attacks?: string[];
}

export interface LiveSummary {
  server: ServerCounts;
  meters: MeterCounts;
  /** Registrations the attackers obtained (with --attack). */
  attacks?: { registrations: number };
}

const LIFETIME_S = 300;
/** After the meters stop, answers and notifications still in flight get this long to arrive. */
const DRAIN_MS = 200;

/** Runs the server and every meter as UDP peers on loopback for `durationS / speed` wall-clock seconds. */
export async function runLive(o: LiveOptions): Promise<LiveSummary> {
  const rng = new Rng(o.seed);
  const server = new LiveServer(rng, DEFAULT_OBSERVATION);
  const bound = await server.bind(o.server);
  const startedMs = Date.now();
  const clock = () => o.startUs / 1e6 + ((Date.now() - startedMs) / 1000) * o.speed;
  const realMs = (simulatedSeconds: number) => Math.max(1, (simulatedSeconds * 1000) / o.speed);
  const meters: LiveMeter[] = [];
  for (let i = 0; i < o.meters; i++) {
    const flavour = FLAVOURS[i % FLAVOURS.length];
    meters.push(new LiveMeter(new Rng(o.seed ^ Math.imul(i + 1, 0x9e3779b1)), {
      endpoint: endpointName(i), version: flavour.version, format: flavour.format, powerObject: flavour.powerObject,
      firstHousehold: i * o.households, households: o.households, lifetimeS: LIFETIME_S,
      server: bound, clock, realMs,
    }, o.demand));
  }
  await Promise.all(meters.map((m) => m.start()));
  let attacks: LiveSummary['attacks'];
  if (o.attacks !== undefined && o.attacks.length > 0) {
    // Halfway through, when every meter is registered and observed.
    await sleep(Math.max(0, realMs(o.durationS / 2) - (Date.now() - startedMs)));
    const endpoints = Array.from({ length: o.meters }, (_, i) => endpointName(i));
    attacks = { registrations: await playLiveAttacks(o.attacks, { server: bound, rng: new Rng(o.seed ^ 0x5eed_a77a), endpoints, realMs }) };
  }
  await sleep(Math.max(0, realMs(o.durationS) - (Date.now() - startedMs)));
  for (const m of meters) m.stop();
  await sleep(DRAIN_MS);
  await Promise.all([server.close(), ...meters.map((m) => m.close())]);

  const total: MeterCounts = { registrations: 0, updates: 0, reads: 0, notifications: 0 };
  for (const m of meters) {
    for (const key of Object.keys(total) as Array<keyof MeterCounts>) total[key] += m.counts[key];
  }
  return attacks === undefined ? { server: server.counts, meters: total } : { server: server.counts, meters: total, attacks };
}
