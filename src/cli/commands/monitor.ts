import { Command, InvalidArgumentError, Option } from 'commander';
import { Worker } from 'node:worker_threads';
import { linkTypeName, openLiveCapture, type LiveStats, type PacketQueueMemory } from '../../capture/index.js';
import type { PskEntry } from '../../dtls/index.js';
import { coapPorts } from '../../decode/ports.js';
import { addEveOptions, addPskOptions, integerIn, parsePorts, parseServers, SERVERS_HELP } from '../options.js';
// The dashboard (ink and React, ~0.45 s to load) is imported only with --ui.
import type { Running } from '../../ui/index.js';
import { isInteractive } from '../../ui/terminal.js';
import { collectRulePaths, loadRuleSet } from '../rule-set.js';
import { displayLocation, isPostgresUrl } from '../../store/index.js';
import { age } from './prune.js';
import { metricsAddress, type MetricsSnapshot } from './monitor-metrics.js';

export interface MonitorOptions {
  interface: string;
  filter?: string;
  snaplen: number;
  bufferSize: number;
  /** false with --no-promisc; otherwise the interface is put in promiscuous mode. */
  promisc?: boolean;
  db: string;
  format: 'summary' | 'ndjson';
  coapPort: number[];
  heuristic: boolean;
  storeMessages?: boolean;
  /** Rule files or folders (--rules); false with --no-rules; undefined: the default ruleset. */
  rules?: string[] | false;
  /** --servers: declared LwM2M servers (ADDR, ADDR:PORT, CIDR). */
  servers?: string[];
  psk?: PskEntry[];
  pskFile?: PskEntry[];
  write?: string;
  writeMaxSize: number;
  writeMaxFiles: number;
  statsInterval: number;
  /** Draw the dashboard (following the database) instead of logging counters. */
  ui?: boolean;
  /** --eve FILE: the run in EVE JSON, appended to FILE (`-`: stdout), with a stats record every --stats-interval. */
  eve?: string;
  /** --sensor: `host` of the EVE records. */
  sensor: string;
  /** --prune-older-than: seconds; the database is pruned of what is older, at start and every PRUNE_INTERVAL_S. */
  pruneOlderThan?: number;
  /** --metrics: where to serve Prometheus text. */
  metrics?: { host: string; port: number };
}

/** Later IPv4 fragments and IPv6 fragments carry no UDP header: kept so that reassembly can see them. */
const FRAGMENTS = '(ip[6:2] & 0x1fff != 0) or (ip6 and ip6[6] == 44)';

/** The BPF filter used without --filter: the CoAP and CoAP-over-DTLS ports (UDP and TCP), and IP fragments. */
export function defaultFilter(extraPorts: number[]): string {
  return [...coapPorts(extraPorts).flatMap((p) => [`udp port ${p}`, `tcp port ${p}`]), FRAGMENTS].join(' or ');
}

function seconds(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0.1) throw new InvalidArgumentError(`"${value}" is not a number of seconds (at least 0.1)`);
  return n;
}

/** `coapwatch monitor -i IFACE`: the live form of `analyze`. */
export function registerMonitorCommand(program: Command): void {
  const monitor = program
    .command('monitor')
    .description('Capture live on an interface (libpcap) and analyse as `analyze` does: decoding, state, rules and database, until SIGINT or SIGTERM')
    .requiredOption('-i, --interface <name>', 'interface to capture on, or "any"')
    .option('--filter <bpf>', 'BPF capture filter in pcap-filter syntax; "" captures everything (default: UDP and TCP on 5683, 5684 and every --coap-port, plus IP fragments)')
    .option('--snaplen <bytes>', 'bytes kept of each frame', integerIn(64, 262_144, 'a length'), 65_535)
    // libpcap takes the size as a C int: 2047 MiB is the most it can be given.
    .option('--buffer-size <MiB>', "libpcap's capture buffer in the kernel; a larger one rides out longer bursts", integerIn(1, 2047, 'a size in MiB'), 64)
    .option('--promisc', 'put the interface in promiscuous mode, to see frames addressed to other hosts too (the default, as in tcpdump)')
    .option('--no-promisc', 'leave the interface as it is (tcpdump -p)')
    .option('--db <path>', 'database to write the run into (endpoints, observations, last values, events, counters): a SQLite file or a postgres:// URL', './coapwatch.db')
    .addOption(new Option('-f, --format <format>', 'stdout: a summary at exit, or one JSON object per message and state change as they come').choices(['summary', 'ndjson']).default('summary'))
    .option('--coap-port <ports>', 'extra UDP/TCP ports to decode as CoAP (repeatable, comma-separated); 5683 and 5684 always are', parsePorts, [])
    .option('--no-heuristic', 'do not look for CoAP on other UDP ports (matters only with a --filter that lets other ports through)')
    .option('--store-messages', "store every message's whole NDJSON record in the database too (the run always keeps an index of its messages; with --write, coapwatch messages --dissect and export read them back)")
    .option('--rules <path>', 'detection rules: a YAML file or a folder of them (repeatable; default: the bundled ruleset)', collectRulePaths)
    .option('--no-rules', 'no detection: decode and track state only')
    .option('--servers <addresses>', SERVERS_HELP, parseServers);
  addEveOptions(addPskOptions(monitor))
    .option('--write <file.pcap>', 'also keep every captured frame in pcap files: FILE, then FILE.1, FILE.2, ... (before the extension) as each reaches --write-max-size')
    .option('--write-max-size <MB>', 'size at which --write starts its next file', integerIn(1, 1_000_000, 'a size in MB'), 100)
    .option('--write-max-files <n>', 'with --write: keep only the newest N files (0: keep all)', integerIn(0, 1_000_000, 'a count'), 0)
    .option('--prune-older-than <age>', 'retention: at start and every hour, remove from the database what is older than this, as `coapwatch prune --older-than` does ("30d")', age)
    .option('--stats-interval <seconds>', 'how often the counters are logged and the database is committed (default 5; 1 with --ui)', seconds)
    .option('--ui', 'draw the terminal dashboard (see coapwatch ui) over the run as it is written; q stops capture')
    .option('--metrics <host:port>', 'serve Prometheus metrics at http://HOST:PORT/metrics (counters, drops, messages, events, endpoints; see docs/live.md)', metricsAddress)
    .showHelpAfterError(false)
    .addHelpText('after', `
Every --stats-interval and at exit, one line on stderr:
  coapwatch: 12034 received, 0 dropped (kernel), 0 dropped (interface), 0 dropped (coapwatch), 11890 messages, 3 events
received: frames libpcap delivered; dropped (kernel): no room in the capture buffer ("?" when it cannot be read);
dropped (interface): the interface's own drops (libpcap's ps_ifdrop); dropped (coapwatch): decoding fell behind and its bounded
queue was full. The same counters are written into the run's row of the runs table.
Capture needs root or the CAP_NET_RAW capability, libpcap (Debian: libpcap0.8), and the optional module "koffi"
(installed with coapwatch), through which coapwatch calls libpcap. Timestamps are libpcap's. The interface is put
in promiscuous mode unless --no-promisc (on "any" it never is).
Signals, as Suricata takes them: SIGHUP reopens the --eve file by its name (after logrotate moved it; the
--write files rotate by themselves); SIGUSR2 reloads the rule files (--rules, or the bundled ones) without
dropping state; if they have a problem, it is logged and the rules in force stay. See docs/live.md.
Exit status: 0 after SIGINT or SIGTERM (database committed, final counters printed); 1 when the interface does not exist,
capture is not permitted, the filter does not compile, libpcap or "koffi" is missing, a rule file is wrong, the
database cannot be written, or libpcap fails while capturing (the interface went away; the run is committed).`)
    .action(async (opts: MonitorOptions) => {
      await monitorCommand(opts);
    });
}

/** What the decoding thread is given (workerData). */
export interface MonitorWorkerData {
  opts: MonitorOptions;
  linkType: number;
  queue: PacketQueueMemory;
}

/** Messages between the capture thread and the decoding thread. */
export type ToWorker = { type: 'flush'; stats: LiveStats } | { type: 'stop'; stats: LiveStats } | { type: 'reload' } | { type: 'reopen' };
export type FromWorker = { type: 'ready'; runId: number } | { type: 'error'; message: string } | { type: 'done' } | { type: 'epipe' }
  | { type: 'metrics'; snapshot: MetricsSnapshot };

/**
 * `monitor`: a capture thread reads libpcap and copies each frame into a shared queue (see
 * openLiveCapture); a worker thread decodes, tracks state, runs the rules and writes the database
 * and the pcap files, so that nothing decoding does (a commit, a garbage collection) holds capture
 * up; the kernel's buffer then only has to cover the capture thread's own pauses. This thread
 * keeps the timers, the signals and the dashboard.
 */
export async function monitorCommand(opts: MonitorOptions): Promise<void> {
  opts.statsInterval ??= opts.ui ? 1 : 5;
  if (opts.ui && (opts.format === 'ndjson' || !isInteractive())) {
    process.stderr.write(`coapwatch: --ui draws on a terminal: ${opts.format === 'ndjson' ? 'it cannot be combined with --format ndjson' : 'stdin and stdout must be one'}\n`);
    process.exitCode = 1;
    return;
  }
  const filter = opts.filter ?? defaultFilter(opts.coapPort);
  const dashboardModule = opts.ui ? await import('../../ui/index.js') : null;
  // Rules are checked before anything is opened (the worker loads them again for itself).
  loadRuleSet(opts.rules);
  // The metrics port before capture: a port in use is the user's error, found before anything is opened.
  let captureStats: () => LiveStats = () => ({ received: 0, receivedBytes: 0, droppedKernel: null, droppedInterface: null, droppedPipeline: 0, queued: 0, queuedMax: 0 });
  // prom-client is loaded only when metrics are asked for.
  let metrics: import('./metrics-endpoint.js').MetricsEndpoint | null = null;
  if (opts.metrics !== undefined) {
    try {
      metrics = await (await import('./metrics-endpoint.js')).MetricsEndpoint.listen(opts.metrics, () => captureStats());
    } catch (err) {
      process.stderr.write(`coapwatch: ${(err as Error).message}\n`);
      process.exitCode = 1;
      return;
    }
  }
  // Capture opens first: its errors (interface, permission, filter, libpcap) leave nothing on disk.
  const promisc = opts.promisc !== false;
  // Capture stops by itself only when libpcap fails (the interface went away).
  let captureFailed: (message: string) => void = () => {};
  let capture: ReturnType<typeof openLiveCapture>;
  try {
    capture = openLiveCapture({
      device: opts.interface, filter, snaplen: opts.snaplen, bufferSize: opts.bufferSize * 1024 * 1024, promisc,
      onError: (message) => captureFailed(message),
    });
  } catch (err) {
    metrics?.close();
    throw err;
  }
  captureStats = () => capture.stats();
  const data: MonitorWorkerData = { opts, linkType: capture.linkType, queue: capture.queue.memory };
  const worker = new Worker(new URL('./monitor-worker.js', import.meta.url), { workerData: data, stdout: false, stderr: false });

  return new Promise<void>((resolve) => {
    let stopping = false;
    let started = false;
    let failed = false;
    const timers: NodeJS.Timeout[] = [];
    // SIGUSR2: the decoding thread loads the rule files again; state, windows and deadlines stay.
    const reload = () => worker.postMessage({ type: 'reload' } satisfies ToWorker);
    // SIGHUP: the decoding thread, which writes the output files, opens them again by name.
    const reopen = () => worker.postMessage({ type: 'reopen' } satisfies ToWorker);
    let ui: Running | null = null;
    const stop = () => {
      if (stopping) return;
      stopping = true;
      ui?.stop();
      for (const t of timers) clearInterval(t);
      process.off('SIGINT', stop).off('SIGTERM', stop).off('SIGUSR2', reload).off('SIGHUP', reopen);
      const final = capture.stop();
      worker.postMessage({ type: 'stop', stats: final } satisfies ToWorker);
    };
    const fail = (message: string) => {
      failed = true;
      ui?.stop(); // the message must be readable
      process.stderr.write(`coapwatch: ${message}\n`);
      process.exitCode = 1;
      stop();
    };
    captureFailed = (message) => fail(`capture on "${opts.interface}" ended: ${message}`);
    // From the start: a signal while the worker is still loading stops it as cleanly as later.
    process.once('SIGINT', stop).once('SIGTERM', stop).on('SIGUSR2', reload).on('SIGHUP', reopen);
    worker.on('message', (m: FromWorker) => {
      if (m.type === 'ready') {
        started = true;
        if (stopping) return;
        if (opts.ui) {
          ui = dashboardModule!.followStoredDashboard(opts.db, m.runId, `monitor ${opts.interface}`);
          void ui.done.then(stop); // q
        } else {
          const mode = promisc && opts.interface !== 'any' ? 'promiscuous' : 'not promiscuous';
          process.stderr.write(`coapwatch: capturing on ${opts.interface} (${linkTypeName(capture.linkType)}, ${mode}), filter "${filter}", database ${displayLocation(opts.db)}\n`);
        }
        timers.push(setInterval(() => worker.postMessage({ type: 'flush', stats: capture.stats() } satisfies ToWorker), opts.statsInterval * 1000));
      } else if (m.type === 'error') {
        fail(m.message);
      } else if (m.type === 'metrics') {
        metrics?.update(m.snapshot);
      } else if (m.type === 'epipe') {
        // stdout was closed (`| head`): stop quietly, as analyze does
        stop();
      }
    });
    worker.on('error', (err) => fail(`internal error: ${err.stack ?? err.message}`));
    worker.on('exit', (code) => {
      metrics?.close();
      for (const t of timers) clearInterval(t);
      process.off('SIGINT', stop).off('SIGTERM', stop).off('SIGUSR2', reload).off('SIGHUP', reopen);
      if (!stopping) capture.stop();
      if (code !== 0 && !failed) {
        process.stderr.write(`coapwatch: internal error: the decoding thread exited with ${code}\n`);
        process.exitCode = 1;
      }
      if (!started && !failed && !stopping) process.exitCode = 1;
      resolve();
    });
  });
}
