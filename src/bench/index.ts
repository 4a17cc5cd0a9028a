import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, InvalidArgumentError, Option } from 'commander';
import { DEFAULT_PACKETS, ensureCapture, type Capture } from './build-capture.js';
import { findOnPath, PEAK_RSS_PRELOAD, timedRun, type TimedRun } from './measure.js';
import { renderTable, summaryJson, type IdleMemory, type Throughput } from './report.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CLI = join(ROOT, 'bin/coapwatch.js');
const DATA_DIR = join(ROOT, 'bench-data');

interface BenchOptions {
  packets: number;
  runs: number;
  tshark: boolean;
  db: boolean;
  rebuild?: boolean;
}

function positiveInteger(value: string): number {
  const n = Number(value.replace(/_/g, ''));
  if (!Number.isSafeInteger(n) || n < 1) throw new InvalidArgumentError(`"${value}" is not a positive integer`);
  return n;
}

const program = new Command()
  .name('npm run bench --')
  .description(
    'Times `coapwatch analyze FILE --format ndjson --no-progress` (stdout to /dev/null, best of --runs, with its '
    + 'peak RSS), the same with --no-rules to show what detection costs, on a synthetic capture of an LwM2M smart-meter fleet, built deterministically into '
    + 'bench-data/lwm2m-<N>-v<format version>.pcap unless it is cached there, and compares with one run of '
    + '`tshark -n -r FILE` (one summary line per packet) and `tshark -n -r FILE -T ek` (one JSON object per packet, '
    + 'the like-for-like output) when tshark is on PATH, times one run with --db, and measures the heap per idle '
    + 'registered endpoint with 100,000 of them. Prints a table, then every figure as one line of JSON.',
  )
  .option('--packets <n>', 'packets in the capture', positiveInteger, DEFAULT_PACKETS)
  .option('--runs <n>', 'timed coapwatch runs; the fastest is reported', positiveInteger, 3)
  .option('--no-tshark', 'skip the tshark comparison')
  .option('--no-db', 'skip the run that also writes the SQLite store (--db)')
  .addOption(new Option('--keep', 'reuse the cached capture when there is one (the default)').conflicts('rebuild'))
  .option('--rebuild', 'build the capture again even when it is cached')
  .addHelpText('after', `
Exit status: 0 when every coapwatch run exits 0 and its summary counts as many CoAP messages as the
capture holds (that check is skipped, with a note, when the summary cannot be read); 1 otherwise.`);

async function main(opts: BenchOptions): Promise<number> {
  const capture = ensureCapture(DATA_DIR, opts.packets, opts.rebuild);
  const shownPath = relative(process.cwd(), capture.path);
  note(capture.buildSeconds === null ? `reusing ${shownPath}` : `built ${shownPath} in ${capture.buildSeconds.toFixed(2)} s`);

  // Runs with and without detection alternate, so that a busy machine skews both alike.
  const runs: TimedRun[] = [];
  const noRulesRuns: TimedRun[] = [];
  const variants = [['', [], runs], [' --no-rules', ['--no-rules'], noRulesRuns]] as const;
  for (let i = 1; i <= opts.runs; i++) {
    for (const [label, extra, into] of variants) {
      const run = await timedRun(process.execPath, ['--import', PEAK_RSS_PRELOAD, CLI, 'analyze', capture.path, '--format', 'ndjson', '--no-progress', ...extra]);
      note(`coapwatch${label} run ${i}/${opts.runs}: ${run.seconds.toFixed(2)} s, exit code ${run.exitCode}`);
      if (run.exitCode !== 0) {
        process.stderr.write(`bench: coapwatch exited with ${run.exitCode ?? 'a signal'}; no figures\n`);
        return 1;
      }
      into.push(run);
    }
  }
  const ours = bestOf(runs);
  const noRules = bestOf(noRulesRuns);

  const withDb = opts.db ? await timeWithDb(capture) : null;
  const tshark = opts.tshark ? await timeTshark(capture, []) : 'skipped (--no-tshark)';
  const tsharkJson = opts.tshark ? await timeTshark(capture, ['-T', 'ek']) : 'skipped (--no-tshark)';
  const sanity = checkMessageCount(capture);
  const idle = idleEndpointMemory(IDLE_ENDPOINTS);
  const seconds = (list: TimedRun[]) => list.map((r) => r.seconds);
  const result = {
    capture, runSeconds: seconds(runs), noRulesRunSeconds: seconds(noRulesRuns),
    ours, noRules, withDb, tshark, tsharkJson, idle, sanity,
  };
  process.stdout.write('\n' + renderTable(result, shownPath) + summaryJson(result) + '\n');
  return sanity.startsWith('FAILED') ? 1 : 0;
}

/** The fastest run, with the highest peak RSS of all of them. */
function bestOf(runs: TimedRun[]): Throughput {
  const best = runs.reduce((a, b) => (b.seconds < a.seconds ? b : a));
  const peaks = runs.flatMap((r) => (r.peakRssKb === null ? [] : [r.peakRssKb]));
  return { seconds: best.seconds, peakRssKb: peaks.length > 0 ? Math.max(...peaks) : null };
}

/** One run that also writes every endpoint, observation and resource to a fresh SQLite database. */
async function timeWithDb(capture: Capture): Promise<Throughput | null> {
  const dir = mkdtempSync(join(tmpdir(), 'coapwatch-bench-'));
  try {
    note('coapwatch with --db (once)...');
    const run = await timedRun(process.execPath, ['--import', PEAK_RSS_PRELOAD, CLI, 'analyze', capture.path, '--format', 'ndjson', '--no-progress', '--db', join(dir, 'bench.db')]);
    return run.exitCode === 0 ? { seconds: run.seconds, peakRssKb: run.peakRssKb } : null;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function timeTshark(capture: Capture, extra: string[]): Promise<Throughput | string> {
  const tshark = findOnPath('tshark');
  if (tshark === null) return 'skipped: tshark is not on PATH';
  note(`tshark -n -r ${extra.join(' ')} (once)...`);
  const run = await timedRun(tshark, ['-n', '-r', capture.path, ...extra]);
  if (run.exitCode !== 0) return `skipped: tshark exited with ${run.exitCode ?? 'a signal'}`;
  return { seconds: run.seconds, peakRssKb: null };
}

const IDLE_ENDPOINTS = 100_000;

/** Heap per idle meter (registered, observed, default rules), measured in a fresh process (src/bench/idle-endpoints.ts). */
function idleEndpointMemory(n: number): IdleMemory | string {
  note(`memory of ${n.toLocaleString('en-US')} idle endpoints...`);
  const r = spawnSync(process.execPath, [join(ROOT, 'dist/bench/idle-endpoints.js'), String(n)], { encoding: 'utf8' });
  if (r.status !== 0) return `failed: ${r.stderr.trim().split('\n')[0] || `exit code ${r.status}`}`;
  return JSON.parse(r.stdout) as IdleMemory;
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

function note(text: string): void {
  process.stderr.write(`bench: ${text}\n`);
}

program.parse();
process.exitCode = await main(program.opts<BenchOptions>());
