import { closeSync, existsSync, mkdirSync, openSync, renameSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { mergeByTime } from './merge-by-time.js';
import { meterTraffic, type Datagram } from './meter.js';
import { PcapWriter, type Station } from './pcap-writer.js';
import { Rng } from './prng.js';

/** Part of the file name: bump it whenever the traffic changes, so an older cached capture is not reused. */
export const CAPTURE_FORMAT_VERSION = 1;
export const DEFAULT_PACKETS = 1_000_000;

const SEED = 0x5eedc0a9;
/** The fleet grows with the capture, up to 2,000 meters; at ~2.5 packets/s each that is ~5,000 packets/s. */
const PACKETS_PER_METER = 500;
const MAX_METERS = 2_000;
const START_US = Date.UTC(2024, 2, 1) * 1000;
/** Meters boot evenly spread over the first 10 s, in index order. */
const BOOT_WINDOW_US = 10_000_000;
const METER_PORT = 56830;
const FIRST_METER_IP = 0x0a010001; // 10.1.0.1
const SERVER: Station = { mac: Buffer.from('02000a000001', 'hex'), ip: 0x0a000001, port: 5683 };
/** Captured on the server's link: every meter's frames arrive from the same router. */
const ROUTER_MAC = Buffer.from('02000a0000fe', 'hex');
const INITIAL_TTL = 64;

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
 * Writes `packets` packets of a smart-meter fleet's LwM2M traffic to `path`, through a temporary
 * file so that an interrupted build never leaves a truncated capture to be reused. Returns its size.
 */
export function writeCapture(path: string, packets: number): number {
  const meters = Math.min(MAX_METERS, Math.max(1, Math.round(packets / PACKETS_PER_METER)));
  const fleetRng = new Rng(SEED);
  const stations: Station[] = [];
  const ttls = new Uint8Array(meters);
  const ipIds = new Uint16Array(meters);
  const streams: Array<Generator<Datagram, never>> = [];
  for (let i = 0; i < meters; i++) {
    stations.push({ mac: ROUTER_MAC, ip: FIRST_METER_IP + i, port: METER_PORT });
    ttls[i] = INITIAL_TTL - fleetRng.int(3, 14);
    ipIds[i] = fleetRng.int(0, 0xffff);
    const bootUs = START_US + Math.floor((i * BOOT_WINDOW_US) / meters);
    streams.push(meterTraffic(i, bootUs, new Rng(SEED ^ Math.imul(i + 1, 0x9e3779b1))));
  }
  let serverIpId = fleetRng.int(0, 0xffff);

  const partial = `${path}.partial-${process.pid}`;
  const fd = openSync(partial, 'w');
  let bytes: number;
  try {
    const writer = new PcapWriter(fd);
    for (const d of mergeByTime(streams)) {
      const meter = stations[d.meter];
      if (d.fromMeter) {
        writer.writeUdp(d.us, meter, SERVER, { id: ipIds[d.meter]++, ttl: ttls[d.meter] }, d.coap);
      } else {
        serverIpId = (serverIpId + 1) & 0xffff;
        writer.writeUdp(d.us, SERVER, meter, { id: serverIpId, ttl: INITIAL_TTL }, d.coap);
      }
      if (writer.packets === packets) break;
    }
    writer.flush();
    bytes = writer.bytes;
  } catch (err) {
    closeSync(fd);
    rmSync(partial, { force: true });
    throw err;
  }
  closeSync(fd);
  renameSync(partial, path);
  return bytes;
}
