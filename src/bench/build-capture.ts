import { existsSync, mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { BuiltInDemand } from '../generate/demand.js';
import { buildFleet } from '../generate/fleet.js';
import { writeCapture as writeFleetCapture } from '../generate/write-capture.js';

/** Part of the file name: bump it whenever the traffic changes, so an older cached capture is not reused. */
export const CAPTURE_FORMAT_VERSION = 2;
export const DEFAULT_PACKETS = 1_000_000;

const SEED = 0x5eedc0a9;
/** The fleet grows with the capture, up to 2,000 meters; at ~1.4 packets/s each that is ~2,800 packets/s. */
const PACKETS_PER_METER = 500;
const MAX_METERS = 2_000;
const START_US = Date.UTC(2024, 2, 1) * 1000;

export interface Capture {
  path: string;
  packets: number;
  bytes: number;
  /** Null when a cached capture was reused. */
  buildSeconds: number | null;
}

/** bench-data/lwm2m-1m-v1.pcap for 1,000,000 packets, lwm2m-2k-v1.pcap for 2,000, lwm2m-1234-v1.pcap otherwise. */
export function capturePath(dir: string, packets: number): string {
  const count = packets % 1_000_000 === 0 ? `${packets / 1_000_000}m` : packets % 1000 === 0 ? `${packets / 1000}k` : String(packets);
  return join(dir, `lwm2m-${count}-v${CAPTURE_FORMAT_VERSION}.pcap`);
}

/** The capture of `packets` packets in `dir`, built unless it is already there (or `rebuild` is set). */
export function ensureCapture(dir: string, packets: number, rebuild = false): Capture {
  const path = capturePath(dir, packets);
  if (!rebuild && existsSync(path)) return { path, packets, bytes: statSync(path).size, buildSeconds: null };
  mkdirSync(dir, { recursive: true });
  const started = performance.now();
  const bytes = writeCapture(path, packets);
  return { path, packets, bytes, buildSeconds: (performance.now() - started) / 1000 };
}

/**
 * Writes `packets` packets of a smart-meter fleet's LwM2M traffic to `path`: the generator's fleet,
 * run without end and cut at the packet count. Every meter notifies every second (pmin 1, st 0), so
 * that the capture is mostly notifications, as a busy server's is. Returns the file's size.
 */
export function writeCapture(path: string, packets: number): number {
  const meters = Math.min(MAX_METERS, Math.max(1, Math.round(packets / PACKETS_PER_METER)));
  const fleet = buildFleet({
    meters, households: 2, seed: SEED, startUs: START_US, durationS: Infinity,
    server: { ip: 0x0a000001, port: 5683 }, bootstrap: false, queueMode: false, lifetimeS: 300,
    observation: { pminS: 1, pmaxS: 60, stepWatts: 0, aboveWatts: 3000, belowWatts: 200, confirmableShare: 0.35 },
    demand: new BuiltInDemand(SEED),
  });
  return writeFleetCapture(path, fleet.streams, packets).bytes;
}
