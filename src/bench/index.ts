import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { Command, InvalidArgumentError, Option } from 'commander';
import { DEFAULT_PACKETS, ensureCapture, type Capture } from './build-capture.js';
import { dashboardTimings, ensureDashboardDatabase } from './dashboard.js';
import { findOnPath, PEAK_RSS_PRELOAD, timedRun, type TimedRun } from './measure.js';
import { renderTable, summaryJson, type BenchResult, type DashboardResult, type IdleMemory, type ScaleRun, type SpeedResult, type SpeedRound, type Throughput } from './report.js';
import { ensureScaleCapture, SCALE_FLEETS } from './scale-capture.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CLI = join(ROOT, 'bin/coapwatch.js');
const DATA_DIR = join(ROOT, 'bench-data');

/** The fields an analyst would pull per message, like the message lines of coapwatch's NDJSON. */
const TSHARK_FIELDS = ['coap.type', 'coap.code', 'coap.mid', 'coap.token', 'coap.opt.uri_path_recon', 'coap.opt.ctype'];

interface BenchOptions {
  packets: number;
  runs: number;
  scale: string[] | false;
  speed: boolean;
  tshark: boolean;
  db: boolean;
  ndjson: boolean;
  idle: boolean;
  dashboard: boolean;
  rebuild?: boolean;
}

function positiveInteger(value: string): number {
  const n = Number(value.replace(/_/g, ''));
  if (!Number.isSafeInteger(n) || n < 1) throw new InvalidArgumentError(`"${value}" is not a positive integer`);
  return n;
}

function fleetList(value: string): string[] {
  const fleets = value.split(',').map((s) => s.trim().toLowerCase()).filter((s) => s !== '');
  const unknown = fleets.filter((f) => !SCALE_FLEETS.has(f));
  if (fleets.length === 0 || unknown.length > 0) {
    throw new InvalidArgumentError(`"${value}": fleet sizes are a comma-separated list of ${[...SCALE_FLEETS.keys()].join(', ')}`);
  }
  return [...new Set(fleets)];
}

const program = new Command()
  .name('npm run bench --')
  .description(
    'Measures coapwatch in four parts, each printed as a table, then every figure as one line of JSON.\n'
    + '  scale: fleets of 30,000, 300,000 and 1,000,000 meters that are all registered at once, 10 packets each '
    + '(bench-data/scale-<N>-v<format version>.pcap, built once): one run of `coapwatch analyze FILE --format ndjson` and '
    + 'one that also writes a fresh SQLite file (--db), each with its µs per packet (by wall and by CPU time) and peak RSS; '
    + 'then µs per packet at 300k over 30k (target <= 1.3x) and whether 1M completes with peak RSS <= 1.5 GB.\n'
    + '  speed: on a 1,000,000-packet capture of a 2,000-meter fleet (bench-data/lwm2m-1m-v<format version>.pcap), --runs rounds '
    + 'of coapwatch (default rules, NDJSON), coapwatch --no-rules, `tshark -n -r FILE` and `tshark -n -r FILE -T fields -e ...` '
    + 'one after the other, with per-round ratios and medians (targets: 1.5x tshark -n -r, 4x tshark -T fields), then one run with --db.\n'
    + '  idle: the heap per idle registered endpoint with 100,000 of them.\n'
    + '  dashboard: `coapwatch ui --db` in tmux on a database of 1,000,000 endpoints (bench-data/dashboard-1000000-v<format version>.db, '
    + 'built once): milliseconds until the first screen (target <= 3 s), the Endpoints view, the next and the last page, and a typed filter.\n'
    + 'All output goes to /dev/null. The machine\'s load average is printed with the figures: on a shared machine '
    + 'the wall time says how busy it was, the CPU time what the run cost.',
  )
  .option('--scale <fleets>', 'fleet sizes of the scale part, comma-separated', fleetList, [...SCALE_FLEETS.keys()])
  .option('--no-scale', 'skip the scale part')
  .option('--no-speed', 'skip the single-thread comparison with tshark')
  .option('--no-tshark', 'run the comparison rounds without tshark')
  .option('--no-db', 'skip every run that also writes the SQLite store (--db)')
  .option('--no-ndjson', 'skip the scale part\'s runs with NDJSON output alone (to run its --db runs apart)')
  .option('--no-idle', 'skip the idle-endpoint memory measurement')
  .option('--no-dashboard', 'skip the dashboard on a million-endpoint database (it needs tmux)')
  .option('--packets <n>', 'packets in the capture of the speed part', positiveInteger, DEFAULT_PACKETS)
  .option('--runs <n>', 'rounds of the speed part', positiveInteger, 3)
  .addOption(new Option('--keep', 'reuse the cached captures when there are (the default)').conflicts('rebuild'))
  .option('--rebuild', 'build the captures again even when they are cached')
  .addHelpText('after', `
Examples:
  npm run bench                                        everything (takes long: the 1M fleet is 10M packets)
  npm run bench -- --scale 30k,300k --no-speed --no-idle     the scale growth alone
  npm run bench -- --no-scale --runs 5 --no-db         the tshark comparison alone
  npm run bench -- --no-scale --no-speed --no-idle     the dashboard alone

Exit status: 0 when every coapwatch run exits 0, its --db file holds the run with as many messages as
the capture, and the speed capture's summary counts as many CoAP messages as it holds; 1 otherwise.
Missed targets are reported, not failed on.`);

async function main(opts: BenchOptions): Promise<number> {
  const load = { start: loadAverage(), end: '' };
  note(`load average ${load.start}`);
  let failed = false;
  let scale: ScaleRun[] | null = null;
  if (opts.scale !== false) {
    scale = [];
    for (const fleet of opts.scale) {
      const row = await scaleRun(fleet, SCALE_FLEETS.get(fleet)!, opts);
      failed ||= (typeof row.ndjson === 'string' && opts.ndjson) || typeof row.db === 'string' || (row.dbCheck !== null && !row.dbCheck.startsWith('ok'));
      scale.push(row);
    }
  }
  let speed: SpeedResult | null = null;
  if (opts.speed) {
    speed = await speedRounds(opts);
    failed ||= speed.rounds.length < opts.runs || speed.sanity.startsWith('FAILED') || typeof speed.withDb === 'string';
  }
  const idle = opts.idle ? idleEndpointMemory(IDLE_ENDPOINTS) : null;
  const dashboard = opts.dashboard ? await dashboardPart(opts) : null;
  failed ||= typeof dashboard === 'string' && dashboard.startsWith('FAILED');
  load.end = loadAverage();
  const result: BenchResult = { scale, speed, idle, dashboard, load };
  process.stdout.write('\n' + renderTable(result) + summaryJson(result) + '\n');
  return failed ? 1 : 0;
}

const coapwatch = (capture: Capture, extra: string[]): Promise<TimedRun> =>
  timedRun(process.execPath, ['--import', PEAK_RSS_PRELOAD, CLI, 'analyze', capture.path, '--format', 'ndjson', '--no-progress', ...extra]);

const throughput = (run: TimedRun): Throughput => ({ seconds: run.seconds, cpuSeconds: run.cpuSeconds, peakRssKb: run.peakRssKb });

/** A run's figures as soon as it ends: a long bench that is stopped still leaves what it measured. */
const ran = (what: string, run: TimedRun) => note(`${what}: ${run.seconds.toFixed(1)} s wall, ${run.cpuSeconds === null ? '?' : run.cpuSeconds.toFixed(1)} s CPU, `
  + `peak RSS ${run.peakRssKb === null ? '?' : `${Math.round(run.peakRssKb / 1024)} MiB`}, exit code ${run.exitCode ?? 'from a signal'}`);

const failure = (run: TimedRun) => `FAILED: exit code ${run.exitCode ?? 'from a signal'} after ${run.seconds.toFixed(1)} s (peak RSS ${run.peakRssKb === null ? '?' : `${Math.round(run.peakRssKb / 1024)} MiB`})`;

function showCapture(capture: Capture): void {
  const shown = relative(process.cwd(), capture.path);
  note(capture.buildSeconds === null ? `reusing ${shown}` : `built ${shown} in ${capture.buildSeconds.toFixed(1)} s`);
}

/** One fleet size: a run with NDJSON output, then one that also writes a fresh database, which is then checked. */
async function scaleRun(fleet: string, meters: number, opts: BenchOptions): Promise<ScaleRun> {
  note(`scale ${fleet}: preparing the capture of ${meters.toLocaleString('en-US')} meters...`);
  const capture = ensureScaleCapture(DATA_DIR, meters, opts.rebuild);
  showCapture(capture);
  let ndjson: Throughput | string = 'skipped (--no-ndjson)';
  if (opts.ndjson) {
    note(`scale ${fleet}: coapwatch ndjson (load ${loadAverage()})...`);
    const run = await coapwatch(capture, []);
    ran(`scale ${fleet}: ndjson`, run);
    ndjson = run.exitCode === 0 ? throughput(run) : failure(run);
  }
  if (!opts.db) return { fleet, meters, capture, ndjson, db: null, dbCheck: null };
  const dir = mkdtempSync(join(tmpdir(), 'coapwatch-bench-'));
  try {
    const file = join(dir, 'bench.db');
    note(`scale ${fleet}: coapwatch --db (load ${loadAverage()})...`);
    const dbRun = await coapwatch(capture, ['--db', file]);
    ran(`scale ${fleet}: --db`, dbRun);
    if (dbRun.exitCode !== 0) return { fleet, meters, capture, ndjson, db: failure(dbRun), dbCheck: null };
    return { fleet, meters, capture, ndjson, db: throughput(dbRun), dbCheck: checkDatabase(file, capture, meters) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The database a --db run wrote must record the run with every message, and says how many endpoints it kept. */
function checkDatabase(file: string, capture: Capture, meters: number): string {
  let db: Database.Database | undefined;
  try {
    db = new Database(file, { readonly: true });
    const run = db.prepare('SELECT packets, messages FROM runs').get() as { packets: number; messages: number } | undefined;
    if (run === undefined) return 'FAILED: the database holds no run';
    if (run.messages !== capture.packets) return `FAILED: the database's run counts ${run.messages} messages, the capture holds ${capture.packets}`;
    const endpoints = (db.prepare('SELECT count(DISTINCT endpoint) AS n FROM endpoints').get() as { n: number }).n;
    return `ok: ${run.messages.toLocaleString('en-US')} messages, ${endpoints.toLocaleString('en-US')} of ${meters.toLocaleString('en-US')} endpoints stored`;
  } catch (err) {
    return `FAILED: cannot read the database: ${err instanceof Error ? err.message : String(err)}`;
  } finally {
    db?.close();
  }
}

/**
 * The single-thread comparison: rounds of coapwatch, coapwatch --no-rules, tshark -n -r and
 * tshark -T fields, back to back, so that a machine whose speed drifts skews each round's runs alike.
 */
async function speedRounds(opts: BenchOptions): Promise<SpeedResult> {
  const capture = ensureCapture(DATA_DIR, opts.packets, opts.rebuild);
  showCapture(capture);
  const tshark = opts.tshark ? findOnPath('tshark') : null;
  let tsharkSkipped = opts.tshark ? (tshark === null ? 'skipped: tshark is not on PATH' : null) : 'skipped (--no-tshark)';
  const rounds: SpeedRound[] = [];
  let sanity = '';
  for (let i = 1; i <= opts.runs; i++) {
    note(`round ${i}/${opts.runs} (load ${loadAverage()})`);
    const ours = await coapwatch(capture, []);
    const noRules = await coapwatch(capture, ['--no-rules']);
    ran('  coapwatch', ours);
    ran('  coapwatch --no-rules', noRules);
    if (ours.exitCode !== 0 || noRules.exitCode !== 0) {
      sanity = `FAILED: coapwatch ${failure(ours.exitCode !== 0 ? ours : noRules)}`;
      break;
    }
    const round: SpeedRound = { coapwatch: throughput(ours), noRules: throughput(noRules) };
    if (tshark !== null && tsharkSkipped === null) {
      const plain = await timedRun(tshark, ['-n', '-r', capture.path]);
      const fields = await timedRun(tshark, ['-n', '-r', capture.path, '-T', 'fields', ...TSHARK_FIELDS.flatMap((f) => ['-e', f])]);
      ran('  tshark -n -r', plain);
      ran('  tshark -T fields', fields);
      if (plain.exitCode !== 0 || fields.exitCode !== 0) tsharkSkipped = `skipped: tshark exited with ${(plain.exitCode !== 0 ? plain : fields).exitCode ?? 'a signal'}`;
      else Object.assign(round, { tshark: throughput(plain), tsharkFields: throughput(fields) });
    }
    rounds.push(round);
  }
  // A round without tshark (it failed in a later round) would be compared with nothing: drop tshark from all.
  if (tsharkSkipped !== null) for (const r of rounds) { delete r.tshark; delete r.tsharkFields; }
  let withDb: Throughput | string | null = null;
  if (opts.db) {
    const dir = mkdtempSync(join(tmpdir(), 'coapwatch-bench-'));
    try {
      note('coapwatch --db (one run)...');
      const run = await coapwatch(capture, ['--db', join(dir, 'bench.db')]);
      ran('coapwatch --db', run);
      withDb = run.exitCode === 0 ? throughput(run) : failure(run);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  return { capture, rounds, tsharkSkipped, withDb, sanity: sanity || checkMessageCount(capture) };
}

const IDLE_ENDPOINTS = 100_000;

/** Heap per idle meter (registered, observed, default rules), measured in a fresh process (src/bench/idle-endpoints.ts). */
function idleEndpointMemory(n: number): IdleMemory | string {
  note(`memory of ${n.toLocaleString('en-US')} idle endpoints...`);
  const r = spawnSync(process.execPath, [join(ROOT, 'dist/bench/idle-endpoints.js'), String(n)], { encoding: 'utf8' });
  if (r.status !== 0) return `failed: ${r.stderr.trim().split('\n')[0] || `exit code ${r.status}`}`;
  return JSON.parse(r.stdout) as IdleMemory;
}

const DASHBOARD_ENDPOINTS = 1_000_000;

/** The dashboard on a utility-sized database, or why it was not measured. */
async function dashboardPart(opts: BenchOptions): Promise<DashboardResult | string> {
  if (findOnPath('tmux') === null) return 'skipped: tmux is not on PATH';
  note(`dashboard: preparing a database of ${DASHBOARD_ENDPOINTS.toLocaleString('en-US')} endpoints...`);
  const db = ensureDashboardDatabase(DATA_DIR, DASHBOARD_ENDPOINTS, opts.rebuild);
  note(db.buildSeconds === null ? `reusing ${relative(process.cwd(), db.path)}` : `built ${relative(process.cwd(), db.path)} in ${db.buildSeconds.toFixed(1)} s`);
  note(`dashboard: ui --db in tmux (load ${loadAverage()})...`);
  try {
    const steps = await dashboardTimings(CLI, db.path, DASHBOARD_ENDPOINTS);
    return { endpoints: DASHBOARD_ENDPOINTS, database: db.path, buildSeconds: db.buildSeconds, steps };
  } catch (err) {
    return `FAILED: ${err instanceof Error ? err.message : String(err)}`;
  }
}

/** The summary's "CoAP messages" line must count every packet the capture holds: each is one CoAP message. */
function checkMessageCount(capture: Capture): string {
  const summary = spawnSync(process.execPath, [CLI, 'analyze', capture.path, '--format', 'summary', '--no-progress'], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    maxBuffer: 64 << 20,
  });
  if (summary.status !== 0) {
    const reason = summary.stderr.trim().split('\n')[0] || `exit code ${summary.status ?? 'signal'}`;
    return `exit code 0 on every run; message count not checked: --format summary failed (${reason})`;
  }
  const match = /^\s*CoAP messages\s+(\d+)\s*$/m.exec(summary.stdout);
  if (match === null) return 'exit code 0 on every run; message count not checked: the summary has no "CoAP messages" line';
  const counted = Number(match[1]);
  if (counted !== capture.packets) return `FAILED: the summary counts ${counted} CoAP messages, the capture holds ${capture.packets}`;
  return `ok: exit code 0 on every run; the summary counts ${counted} CoAP messages, as many as packets written`;
}

function loadAverage(): string {
  try {
    return readFileSync('/proc/loadavg', 'latin1').split(' ')[0];
  } catch {
    return '?';
  }
}

function note(text: string): void {
  process.stderr.write(`bench: ${text}\n`);
}

program.parse();
process.exitCode = await main(program.opts<BenchOptions>());
