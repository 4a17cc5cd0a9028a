import { performance } from 'node:perf_hooks';
import { setImmediate as nextTurn, setTimeout as sleep } from 'node:timers/promises';
import { planTraffic, type TrafficOptions } from '../generate.js';
import { ipv4ToString } from '../ipv4.js';
import { mergeByTime } from '../merge-by-time.js';
import { writeTruth, type TruthRecord } from '../write-capture.js';
import { LoopbackNetwork } from './loopback.js';

export interface LiveOptions extends TrafficOptions {
  /** Simulated seconds per wall-clock second. */
  speed: number;
  /** Where the ground truth goes (with attacks); null: nowhere. */
  truth: string | null;
  /** Set to stop early (SIGINT): what was sent so far is still summed up and its truth written. */
  stopped?: () => boolean;
}

export interface LiveSummary {
  server: string;
  /** Datagrams sent, their CoAP bytes, and how many of them the receiving sockets got. */
  packets: number;
  bytes: number;
  received: number;
  meters: number;
  households: number;
  /** Requests and notifications sent, by LwM2M operation. */
  operations: Record<string, number>;
  truth: string | null;
  injected: number;
  /** The most a datagram left after its time, in milliseconds: how well the run kept pace. */
  lateMs: number;
}

/** After the last datagram, answers in flight get this long to arrive before the sockets close. */
const DRAIN_MS = 200;
/**
 * Datagrams sent back to back before the event loop gets a turn to receive what was sent: libuv
 * reads at most 32 datagrams per socket per turn, and a socket sent more than it reads fills its
 * receive buffer and loses the rest.
 */
const BURST = 32;
const MAX_NAP_MS = 100;
const BIND_BATCH = 256;

const nowUs = () => (performance.timeOrigin + performance.now()) * 1000;

/**
 * Plays the traffic `generate --pcap` would write, in real time on loopback: every datagram
 * leaves its sender's socket at its time (simulated time divided by `speed`) for its receiver's
 * (LoopbackNetwork), so a sensor on `lo` sees what it would see in the capture, with wall-clock
 * time stamps. The truth file lists each labelled datagram with its number in the order sent and
 * the time it left.
 */
export async function runLive(o: LiveOptions): Promise<LiveSummary> {
  const traffic = planTraffic(o);
  // A truth file that cannot be written fails the run before it starts, not after.
  if (o.attacks.length > 0 && o.truth !== null) writeTruth(o.truth, []);
  const network = new LoopbackNetwork(traffic.server, traffic.bootstrapServer);
  // The fleet's sockets are bound before the clock starts, so that binding a large fleet's does not put the run behind.
  try {
    for (const s of [traffic.server, ...(traffic.bootstrapServer ? [traffic.bootstrapServer] : [])]) await network.bind(s);
    for (let i = 0; i < traffic.meters.length; i += BIND_BATCH) await Promise.all(traffic.meters.slice(i, i + BIND_BATCH).map((s) => network.bind(s)));
  } catch (err) {
    await network.close();
    throw err;
  }
  const startUs = nowUs();
  const wallUs = (us: number) => startUs + (us - o.startUs) / o.speed;
  const operations: Record<string, number> = {};
  const truth: TruthRecord[] = [];
  let packets = 0;
  let bytes = 0;
  let burst = 0;
  let lateUs = 0;
  let lastUs = startUs;
  let completed = true;
  try {
    for (const d of mergeByTime(traffic.streams)) {
      const due = wallUs(d.us);
      let wait = (due - nowUs()) / 1000;
      if (wait >= 1) {
        // In short naps, so that a stop request is seen soon even in a quiet stretch.
        for (; wait >= 1 && !o.stopped?.(); wait = (due - nowUs()) / 1000) await sleep(Math.min(wait, MAX_NAP_MS));
        burst = 0;
      } else if (++burst >= BURST) {
        await nextTurn();
        burst = 0;
      }
      if (o.stopped?.()) {
        completed = false;
        break;
      }
      if (network.failure !== null) throw network.failure;
      let from = network.get(d.from);
      let to = network.get(d.to);
      if (from === undefined || to === undefined) {
        await Promise.all([network.bind(d.from), network.bind(d.to)]);
        from = network.get(d.from)!;
        to = network.get(d.to)!;
      }
      from.socket.send(d.coap, to.address.port, to.address.address);
      const sentUs = nowUs();
      lateUs = Math.max(lateUs, sentUs - due);
      lastUs = due;
      packets++;
      bytes += d.coap.length;
      if (d.operation !== undefined) operations[d.operation] = (operations[d.operation] ?? 0) + 1;
      if (d.attack !== undefined) truth.push({ frame: packets, time: Math.round(sentUs) / 1e6, attack: d.attack, endpoint: d.endpoint });
    }
    await sleep(DRAIN_MS);
    if (network.failure !== null) throw network.failure;
  } finally {
    await network.close();
  }

  let truthFile: string | null = null;
  if (o.attacks.length > 0 && o.truth !== null) {
    truthFile = o.truth;
    // Events no message shows, up to where the run got.
    const events: TruthRecord[] = traffic.events.filter((e) => completed || wallUs(e.us) <= lastUs)
      .map((e) => ({ frame: null, time: Math.round(wallUs(e.us)) / 1e6, attack: e.attack, endpoint: e.endpoint }));
    writeTruth(truthFile, [...truth, ...events].sort((a, b) => a.time - b.time));
  }
  return {
    server: `${ipv4ToString(o.server.ip)}:${o.server.port}`, packets, bytes, received: network.received, meters: o.meters, households: o.households,
    operations, truth: truthFile, injected: truth.length, lateMs: Math.round(lateUs / 1000),
  };
}
