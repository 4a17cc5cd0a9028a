import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { Command, InvalidArgumentError } from 'commander';
import { readCapture } from '../capture/index.js';
import { libpcapLibrary, loadLibpcap } from '../capture/libpcap.js';
import { openPcap } from '../capture/live-open.js';
import { ensureCapture } from './build-capture.js';
import { ensureScaleCapture, PACKETS_PER_METER, SCALE_FLEETS } from './scale-capture.js';

/*
 * `npm run bench:live`: `coapwatch monitor -i lo` against real LwM2M traffic injected on loopback
 * at a fixed rate. The frames are the bench capture's (a smart-meter fleet, mostly notifications),
 * sent as they are with libpcap (pcap_inject, bound through `koffi` as monitor binds libpcap) and
 * looped when the run outlasts them; every frame is one CoAP message. Reports what was sent, what monitor received, what was
 * lost before it (the kernel's drops), what it dropped itself, and its memory every second.
 *
 * With --registered 300k the frames are the scale capture's instead (src/bench/scale-capture.ts):
 * first the Register and ACK of every meter of that fleet, so that monitor holds that many
 * registered endpoints, then, at --rate, the rest of the fleet's traffic (Observe, notifications,
 * Update), looped, and the drops are reported for each of the two phases.
 */

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CLI = join(ROOT, 'bin/coapwatch.js');
const DATA_DIR = join(ROOT, 'bench-data');
const CAPTURE_PACKETS = 200_000;

function positive(value: string): number {
  const n = Number(value.replace(/_/g, ''));
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`"${value}" is not a positive number`);
  return n;
}

const program = new Command()
  .name('npm run bench:live --')
  .description('monitor -i lo against LwM2M frames injected on loopback at a fixed rate (needs root, libpcap and the koffi module)')
  .option('--seconds <n>', 'how long to send', positive, 60)
  .option('--rate <n>', 'CoAP messages (frames) per second', positive, 50_000)
  .option('--buffer-size <MiB>', "monitor's --buffer-size", positive, 64)
  .option('--stats-interval <seconds>', "monitor's --stats-interval: how often it logs its counters and commits the database", positive, 5)
  .option('--monitor-args <args>', 'more arguments for monitor, space-separated (e.g. "--no-rules")', '')
  .option('--registered <fleet>', `register a fleet first (${[...SCALE_FLEETS.keys()].join(', ')}), then send its traffic at --rate`, (v: string) => {
    if (!SCALE_FLEETS.has(v.toLowerCase())) throw new InvalidArgumentError(`"${v}" is not one of ${[...SCALE_FLEETS.keys()].join(', ')}`);
    return v.toLowerCase();
  })
  .option('--register-rate <n>', 'with --registered: Register/ACK frames per second while the fleet registers', positive, 50_000)
  .parse();
const opts = program.opts<{ seconds: number; rate: number; bufferSize: number; statsInterval: number; monitorArgs: string; registered?: string; registerRate: number }>();

interface Counters {
  received: number;
  kernel: number | null;
  iface: number | null;
  pipeline: number;
  messages: number;
}
const COUNTERS = /(\d+) received, (\d+|\?) dropped \(kernel\), (\d+|\?) dropped \(interface\), (\d+) dropped \(coapwatch\), (\d+) messages/;
const parseCounters = (line: string): Counters | null => {
  const m = COUNTERS.exec(line);
  if (!m) return null;
  const n = (s: string) => (s === '?' ? null : Number(s));
  return { received: Number(m[1]), kernel: n(m[2]), iface: n(m[3]), pipeline: Number(m[4]), messages: Number(m[5]) };
};

function rssMiB(pid: number): number {
  try {
    const kb = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'latin1'));
    return kb ? Number(kb[1]) / 1024 : NaN;
  } catch {
    return NaN;
  }
}

/** User and system CPU seconds of a process so far (/proc/PID/stat, in clock ticks of 1/100 s). */
function cpuSeconds(pid: number): { user: number; system: number } {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'latin1').replace(/^.*\) /, '').split(' ');
    return { user: Number(fields[11]) / 100, system: Number(fields[12]) / 100 };
  } catch {
    return { user: NaN, system: NaN };
  }
}

/** Frames to inject: `registration` of them registering the fleet first (none without --registered), the rest looped after. */
interface Frames {
  count: number;
  registration: number;
  frame(i: number): Buffer;
}

async function loadFrames(): Promise<Frames> {
  if (opts.registered !== undefined) {
    const meters = SCALE_FLEETS.get(opts.registered)!;
    process.stderr.write(`bench:live: preparing the capture of ${meters} meters in bench-data/ ...\n`);
    const file = readFileSync(ensureScaleCapture(DATA_DIR, meters).path);
    // One buffer and an index of where each frame is, rather than millions of small buffers; our own
    // walk of the records, since the pcap is the one scale-capture.ts wrote (classic, little-endian).
    const starts = new Float64Array(meters * PACKETS_PER_METER);
    const lengths = new Uint32Array(meters * PACKETS_PER_METER);
    let n = 0;
    for (let o = PCAP_HEADER; o + PCAP_RECORD <= file.length && n < starts.length; n++) {
      lengths[n] = file.readUInt32LE(o + 8);
      starts[n] = o + PCAP_RECORD;
      o += PCAP_RECORD + lengths[n];
    }
    // The capture opens with every meter's Register and its ACK, before any other exchange.
    return { count: n, registration: 2 * meters, frame: (i) => file.subarray(starts[i], starts[i] + lengths[i]) };
  }
  process.stderr.write(`bench:live: preparing ${CAPTURE_PACKETS} frames of fleet traffic in bench-data/ ...\n`);
  const capture = ensureCapture(DATA_DIR, CAPTURE_PACKETS);
  const frames: Buffer[] = [];
  await readCapture(capture.path, (p) => void frames.push(Buffer.from(p.data)));
  return { count: frames.length, registration: 0, frame: (i) => frames[i] };
}

/** How long monitor may take to work through the registrations' backlog before the measured phase starts anyway. */
const REGISTRATION_DRAIN_MS = 120_000;
const PCAP_HEADER = 24;
const PCAP_RECORD = 16;

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('bench:live needs root (capture and injection on lo)');
  // The sender's own handle must not capture: a filter that matches nothing.
  const sender = openPcap({ device: 'lo', filter: 'less 1', snaplen: 64, bufferSize: 1 << 20, promisc: false, timeoutMs: 100 });
  const inject = libpcapLibrary().func('int pcap_inject(uintptr_t p, const void *buffer, size_t size)') as (p: number, buffer: Buffer, size: number) => number;
  const frames = await loadFrames();
  const dir = mkdtempSync(join(tmpdir(), 'coapwatch-bench-live-'));
  // BENCH_MONITOR_NODE_ARGS: node flags for monitor, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof" to profile it.
  const monitor = spawn(process.execPath, [...(process.env.BENCH_MONITOR_NODE_ARGS ?? '').split(' ').filter(Boolean), CLI, 'monitor', '-i', 'lo', '--db', join(dir, 'live.db'), '--stats-interval', String(opts.statsInterval), '--buffer-size', String(opts.bufferSize), ...opts.monitorArgs.split(' ').filter(Boolean)], { stdio: ['ignore', 'ignore', 'pipe'] });
  const exited = new Promise<number | null>((resolve) => monitor.on('close', (code) => resolve(code)));
  let latest: Counters | null = null;
  let stderr = '';
  await new Promise<void>((resolve, reject) => {
    monitor.stderr.setEncoding('utf8').on('data', (d: string) => {
      const from = stderr.lastIndexOf('\n') + 1;
      stderr += d;
      const lines = stderr.slice(from).split('\n');
      lines.pop(); // not complete yet
      for (const line of lines) latest = parseCounters(line) ?? latest;
      if (/capturing on/.test(stderr)) resolve();
    });
    monitor.on('exit', () => reject(new Error(`monitor exited: ${stderr.trim()}`)));
  });

  const rate = opts.rate;
  const total = Math.round(rate * opts.seconds);
  process.stdout.write('second      sent   received  kernel  iface  coapwatch   messages  RSS MiB\n');
  const rss: number[] = [];
  let sent = 0;
  const benchStarted = performance.now();
  const report = setInterval(() => {
    const r = rssMiB(monitor.pid!);
    rss.push(r);
    const c: Counters | null = latest;
    const s = Math.round((performance.now() - benchStarted) / 1000);
    process.stdout.write(`${String(s).padStart(6)} ${String(sent).padStart(9)} ${String(c?.received ?? 0).padStart(10)} ${String(c?.kernel ?? '?').padStart(7)} ${String(c?.iface ?? '?').padStart(6)} ${String(c?.pipeline ?? 0).padStart(10)} ${String(c?.messages ?? 0).padStart(10)} ${r.toFixed(1).padStart(8)}\n`);
  }, 1000);

  /** Injects `count` frames at `perSecond`, frame i being frames.frame(first + i mod (frames.count - first)). */
  const send = (first: number, count: number, perSecond: number) => new Promise<void>((resolve) => {
    const started = performance.now();
    const until = sent + count;
    const from = sent;
    const tick = () => {
      const due = Math.min(until, from + Math.floor(((performance.now() - started) / 1000) * perSecond));
      let burst = 0;
      while (sent < due && burst < 10_000) {
        const frame = frames.frame(first + ((sent - from) % (frames.count - first)));
        if (inject(sender.handle, frame, frame.length) < 0) throw new Error(`pcap_inject on lo failed: ${loadLibpcap().geterr(sender.handle)}`);
        sent++;
        burst++;
      }
      // Caught up: sleep a millisecond (50 frames at 50,000/s) rather than spin, which on a small
      // machine would take a core from monitor for nothing.
      if (sent < until) {
        if (sent < due) setImmediate(tick);
        else setTimeout(tick, 1);
      } else resolve();
    };
    tick();
  });

  // With --registered: the whole fleet registers first; its counters are kept apart from the measured phase's.
  let registration: (Counters & { sent: number; seconds: number }) | null = null;
  if (frames.registration > 0) {
    process.stderr.write(`bench:live: registering ${frames.registration / 2} endpoints (${frames.registration} frames at ${opts.registerRate}/s); monitor pid ${monitor.pid}\n`);
    const started = performance.now();
    await send(0, frames.registration, opts.registerRate);
    const seconds = (performance.now() - started) / 1000;
    // Monitor logs its counters every --stats-interval: wait until they show every frame it received
    // decoded or dropped, so that the measured phase starts with the fleet registered and the queue empty.
    const drained = () => {
      const c = latest as Counters | null;
      return c !== null && c.messages + c.pipeline >= c.received && c.received + (c.kernel ?? 0) + (c.iface ?? 0) >= sent;
    };
    const deadline = performance.now() + REGISTRATION_DRAIN_MS;
    do await new Promise((r) => setTimeout(r, opts.statsInterval * 1000)); while (!drained() && performance.now() < deadline);
    const c = latest as Counters | null;
    if (c === null) throw new Error('monitor logged no counters while the fleet registered');
    registration = { ...c, sent, seconds };
  }

  process.stderr.write(`bench:live: sending ${total} frames at ${rate}/s for ${opts.seconds} s on lo; monitor pid ${monitor.pid}\n`);
  const cpuAtStart = cpuSeconds(monitor.pid!);
  const started = performance.now();
  await send(frames.registration, total, rate);
  const sendSeconds = (performance.now() - started) / 1000;
  loadLibpcap().close(sender.handle);
  await new Promise((r) => setTimeout(r, 2_000)); // monitor drains its queue and logs once more
  clearInterval(report);
  const cpuAtEnd = cpuSeconds(monitor.pid!);
  const user = cpuAtEnd.user - cpuAtStart.user;
  const system = cpuAtEnd.system - cpuAtStart.system;
  const cpu = user + system;
  // Stopping: SIGINT to exit, the decoding of what was queued and the last database batches included.
  const stopStarted = performance.now();
  monitor.kill('SIGINT');
  const code = await exited;
  const stopSeconds = (performance.now() - stopStarted) / 1000;
  const final: Counters | null = latest;
  rmSync(dir, { recursive: true, force: true });
  if (code !== 0 || final === null) throw new Error(`monitor exited with ${code}: ${stderr.trim()}`);
  const f: Counters = final;
  // The measured phase: totals less what the registration phase had sent, received and dropped.
  const before = registration ?? { sent: 0, received: 0, kernel: 0, iface: 0, pipeline: 0, messages: 0, seconds: 0 };
  const minus = (a: number | null, b: number | null) => (a === null || b === null ? null : a - b);
  const measuredSent = sent - before.sent;
  const received = f.received - before.received;
  const lost = measuredSent - received;
  const settled = rss.slice(Math.min(5, Math.floor(rss.length / 2)));
  const summary = {
    seconds: Number(sendSeconds.toFixed(2)), rateTarget: rate, rateAchieved: Math.round(measuredSent / sendSeconds), sent: measuredSent, received,
    lostBeforeMonitor: lost, droppedKernel: minus(f.kernel, before.kernel), droppedInterface: minus(f.iface, before.iface),
    droppedCoapwatch: f.pipeline - before.pipeline, messages: f.messages - before.messages,
    registration: registration === null ? null : {
      endpoints: frames.registration / 2, seconds: round(registration.seconds), sent: registration.sent, received: registration.received,
      lostBeforeMonitor: registration.sent - registration.received, droppedKernel: registration.kernel, droppedInterface: registration.iface,
      droppedCoapwatch: registration.pipeline, messages: registration.messages,
    },
    // CPU time per message does not depend on what else the machine is doing: 1e6 / it is one core's capacity.
    stopSeconds: round(stopSeconds),
    monitorCpuSeconds: { user: round(user), system: round(system) }, cpuMicrosPerMessage: round((cpu * 1e6) / Math.max(1, f.messages - before.messages)),
    loadAverage: readFileSync('/proc/loadavg', 'latin1').split(' ')[0],
    rssMiB: { first: round(rss[0]), min: round(Math.min(...rss)), max: round(Math.max(...rss)), last: round(rss[rss.length - 1]),
      settledGrowth: round(settled[settled.length - 1] - settled[0]) },
  };
  process.stdout.write(`\n${JSON.stringify(summary)}\n`);
  const drops = (lost: number, kernel: number | null, pipeline: number) => lost === 0 && pipeline === 0 && (kernel ?? 0) === 0;
  const ok = drops(lost, summary.droppedKernel, summary.droppedCoapwatch);
  if (registration !== null) {
    const r = summary.registration!;
    process.stdout.write(drops(r.lostBeforeMonitor, r.droppedKernel, r.droppedCoapwatch)
      ? `registration of ${r.endpoints} endpoints: no drops\n`
      : `registration of ${r.endpoints} endpoints: DROPS: ${r.lostBeforeMonitor} lost before monitor, ${r.droppedCoapwatch} dropped by coapwatch\n`);
  }
  process.stdout.write(ok ? `no drops at ${summary.rateAchieved} messages/s\n` : `DROPS at ${summary.rateAchieved} messages/s: ${lost} lost before monitor, ${summary.droppedCoapwatch} dropped by coapwatch (target 0)\n`);
}

const round = (n: number) => Math.round(n * 10) / 10;

main().catch((err: unknown) => {
  process.stderr.write(`bench:live: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
