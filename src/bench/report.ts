import type { Capture } from './build-capture.js';

export interface Throughput {
  /** Wall time of the run reported (for coapwatch the best one). */
  seconds: number;
  peakRssKb: number | null;
}

export interface BenchResult {
  capture: Capture;
  /** Every timed coapwatch run, in order. */
  runSeconds: number[];
  /** The --no-rules runs, in order: round i ran runSeconds[i], then this one (see detectionPerRound). */
  noRulesRunSeconds: number[];
  ours: Throughput;
  /** Best run with --no-rules (detection, and the endpoint state it reads, switched off). */
  noRules: Throughput;
  /** The same with --db (null when skipped or failed). */
  withDb: Throughput | null;
  /** `tshark -n -r` (summary lines), or why it was skipped. */
  tshark: Throughput | string;
  /** `tshark -n -r -T ek` (a JSON object per packet, like our NDJSON), or why it was skipped. */
  tsharkJson: Throughput | string;
  /** Heap per idle meter, registered and observed, in the default analysis (or why it could not be measured). */
  idle: IdleMemory | string;
  /** "ok", or what went wrong or was skipped. */
  sanity: string;
}

export interface IdleMemory {
  endpoints: number;
  registered: number;
  bytesPerEndpoint: number;
  heapMiB: number;
}

const MB = 1e6;

/**
 * Detection's share of the time in each round, from the runs of that round (back to back):
 * 1 - no-rules time / time with rules. On a machine whose speed drifts within the hour, the
 * best run of each kind can come from different rounds, at different speeds; the runs of one
 * round met nearly the same machine, so their ratio is the steadier figure.
 */
export function detectionPerRound(withRules: readonly number[], noRules: readonly number[]): number[] {
  const rounds = Math.min(withRules.length, noRules.length);
  return Array.from({ length: rounds }, (_, i) => (1 - noRules[i] / withRules[i]) * 100);
}

/** The middle value (the mean of the two middle ones for an even count); NaN for none. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

const percents = (values: readonly number[]) => values.map((v) => `${v.toFixed(0)} %`).join(', ');

const grouped = (n: number) => Math.round(n).toLocaleString('en-US');
const packetsPerSecond = (r: BenchResult, t: Throughput) => r.capture.packets / t.seconds;
const megabytesPerSecond = (r: BenchResult, t: Throughput) => r.capture.bytes / MB / t.seconds;

/** The human table. */
export function renderTable(r: BenchResult, capturePath: string): string {
  const c = r.capture;
  const built = c.buildSeconds === null ? 'cached (--rebuild builds it again)' : `built in ${c.buildSeconds.toFixed(2)} s`;
  const row = (name: string, t: Throughput, note: string) => [
    `  ${name.padEnd(20)}`,
    `${t.seconds.toFixed(2)} s`.padStart(10),
    grouped(packetsPerSecond(r, t)).padStart(13),
    megabytesPerSecond(r, t).toFixed(1).padStart(8),
    (t.peakRssKb === null ? '-' : `${Math.round(t.peakRssKb / 1024)} MiB`).padStart(10),
    note ? `   ${note}` : '',
  ].join('');
  const lines = [
    `capture  ${capturePath}: ${grouped(c.packets)} packets, ${(c.bytes / MB).toFixed(1)} MB, ${built}`,
    '',
    `  ${''.padEnd(20)}${'wall'.padStart(10)}${'packets/s'.padStart(13)}${'MB/s'.padStart(8)}${'peak RSS'.padStart(10)}`,
    row('coapwatch ndjson', r.ours, `best of ${r.runSeconds.length}: ${r.runSeconds.map((s) => s.toFixed(2)).join(' ')}`),
  ];
  const ruleCost = (1 - r.noRules.seconds / r.ours.seconds) * 100;
  lines.push(row('  --no-rules', r.noRules, `detection (${ruleCost.toFixed(0)} % of the time above: rules and the state they read)`));
  if (r.withDb !== null) {
    lines.push(row('coapwatch --db', r.withDb, `${((r.withDb.seconds / r.ours.seconds - 1) * 100).toFixed(0)} % slower than without`));
  }
  for (const [name, t] of [['tshark -n -r', r.tshark], ['tshark -n -r -T ek', r.tsharkJson]] as const) {
    if (typeof t === 'string') lines.push(`  ${name.padEnd(20)}${t}`);
    else lines.push(row(name, t, `coapwatch ndjson is ${(t.seconds / r.ours.seconds).toFixed(2)}x its packets/s`));
  }
  const rounds = detectionPerRound(r.runSeconds, r.noRulesRunSeconds);
  lines.push('', `detection per round (the runs of one round, back to back): ${percents(rounds)} (median ${median(rounds).toFixed(0)} %)`);
  lines.push('', typeof r.idle === 'string'
    ? `memory   idle endpoints: ${r.idle}`
    : `memory   ${grouped(r.idle.registered)} idle meters (registered and observed, default rules): ${r.idle.bytesPerEndpoint} bytes of heap each (heap ${r.idle.heapMiB} MiB)`);
  lines.push(`sanity   ${r.sanity}`);
  return lines.join('\n') + '\n';
}

/** One line of JSON with every figure, for pasting into a closing note. */
export function summaryJson(r: BenchResult): string {
  const round = (n: number, digits: number) => Number(n.toFixed(digits));
  const figures = (t: Throughput) => ({
    seconds: round(t.seconds, 3),
    packetsPerSecond: Math.round(packetsPerSecond(r, t)),
    mbPerSecond: round(megabytesPerSecond(r, t), 2),
  });
  const ours = { ...figures(r.ours), runSeconds: r.runSeconds.map((s) => round(s, 3)), peakRssMiB: r.ours.peakRssKb === null ? null : round(r.ours.peakRssKb / 1024, 1) };
  const ratio = (t: Throughput | string) => (typeof t === 'string' ? null : round(t.seconds / r.ours.seconds, 2));
  return JSON.stringify({
    packets: r.capture.packets,
    captureMB: round(r.capture.bytes / MB, 1),
    buildSeconds: r.capture.buildSeconds === null ? null : round(r.capture.buildSeconds, 2),
    coapwatch: ours,
    coapwatchNoRules: figures(r.noRules),
    ruleCostPercent: round((1 - r.noRules.seconds / r.ours.seconds) * 100, 1),
    ruleCostPerRoundPercent: detectionPerRound(r.runSeconds, r.noRulesRunSeconds).map((v) => round(v, 1)),
    coapwatchWithDb: r.withDb === null ? null : figures(r.withDb),
    tshark: typeof r.tshark === 'string' ? null : figures(r.tshark),
    tsharkJson: typeof r.tsharkJson === 'string' ? null : figures(r.tsharkJson),
    oursOverTshark: ratio(r.tshark),
    oursOverTsharkJson: ratio(r.tsharkJson),
    idleEndpoints: typeof r.idle === 'string' ? null : r.idle,
    sanity: r.sanity,
  });
}
