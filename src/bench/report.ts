import type { Capture } from './build-capture.js';
import type { DashboardResult } from './dashboard.js';

export type { DashboardResult } from './dashboard.js';

/** One timed run. */
export interface Throughput {
  /** Wall time. */
  seconds: number;
  /** User plus system CPU time, null when it could not be read. */
  cpuSeconds: number | null;
  peakRssKb: number | null;
}

/** One fleet size of the scale part: a run with NDJSON output and one that also writes a fresh SQLite file. */
export interface ScaleRun {
  /** Its name on the command line: 30k, 300k, 1m. */
  fleet: string;
  meters: number;
  capture: Capture;
  /** The run, or why there is none (a failed run says how it failed). */
  ndjson: Throughput | string;
  /** Null when --no-db skipped it. */
  db: Throughput | string | null;
  /** What the database holds afterwards, checked against the capture: "ok: ..." or what is wrong. */
  dbCheck: string | null;
}

/** One round of the single-thread comparison, its runs back to back. */
export interface SpeedRound {
  coapwatch: Throughput;
  noRules: Throughput;
  /** `tshark -n -r`; absent when tshark is skipped. */
  tshark?: Throughput;
  /** `tshark -n -r -T fields -e ...`. */
  tsharkFields?: Throughput;
}

export interface SpeedResult {
  capture: Capture;
  rounds: SpeedRound[];
  /** Why tshark did not run, or null when it did. */
  tsharkSkipped: string | null;
  /** One run with --db, or why there is none; null when --no-db skipped it. */
  withDb: Throughput | string | null;
  /** "ok: ..." or what went wrong with the message count check. */
  sanity: string;
}

export interface IdleMemory {
  endpoints: number;
  registered: number;
  bytesPerEndpoint: number;
  heapMiB: number;
}

export interface BenchResult {
  /** Null for a part that was not asked for. */
  scale: ScaleRun[] | null;
  speed: SpeedResult | null;
  idle: IdleMemory | string | null;
  dashboard: DashboardResult | string | null;
  /** The 1-minute load average when the bench started and when it ended. */
  load: { start: string; end: string };
}

/** What the figures are held against. */
export const TARGETS = {
  /** µs per packet at 300k meters over that at 30k. */
  scaleGrowth: 1.3,
  /** Peak RSS of the 1M-meter run, in bytes (1.5 GB). */
  peakRssBytes: 1.5e9,
  /** coapwatch (default rules, NDJSON) as many times as fast as `tshark -n -r`. */
  overTshark: 1.5,
  /** ... and as `tshark -n -r -T fields`. */
  overTsharkFields: 4,
  /** Milliseconds until `ui --db` on a million-endpoint database shows its first screen. */
  dashboardFirstScreenMs: 3000,
} as const;

export const microsPerPacket = (seconds: number, packets: number): number => (seconds * 1e6) / packets;

/** The middle value (the mean of the two middle ones for an even count); NaN for none. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  if (sorted.length === 0) return NaN;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/**
 * How many times as fast coapwatch was in each round: their time over ours, from runs of the same
 * round. On a machine whose speed drifts, runs of one round met nearly the same machine, so
 * per-round ratios are steadier than a ratio between the best runs of each kind.
 */
export function ratiosPerRound(ours: readonly number[], theirs: readonly number[]): number[] {
  const rounds = Math.min(ours.length, theirs.length);
  return Array.from({ length: rounds }, (_, i) => theirs[i] / ours[i]);
}

/** Detection's share of the time in each round: 1 - no-rules time / time with rules, in percent. */
export function detectionPerRound(withRules: readonly number[], noRules: readonly number[]): number[] {
  const rounds = Math.min(withRules.length, noRules.length);
  return Array.from({ length: rounds }, (_, i) => (1 - noRules[i] / withRules[i]) * 100);
}

type Clock = 'wall' | 'cpu';
const timeOf = (t: Throughput, clock: Clock): number | null => (clock === 'wall' ? t.seconds : t.cpuSeconds);

/** µs per packet of the run, by wall or CPU time; null when the run failed or its CPU time is unknown. */
export function runMicros(run: Throughput | string | null, packets: number, clock: Clock): number | null {
  if (run === null || typeof run === 'string') return null;
  const seconds = timeOf(run, clock);
  return seconds === null ? null : microsPerPacket(seconds, packets);
}

/** µs per packet at fleet `to` over that at fleet `from` (NDJSON or --db runs); null unless both ran. */
export function scaleGrowth(rows: readonly ScaleRun[], output: 'ndjson' | 'db', clock: Clock, from = '30k', to = '300k'): number | null {
  const row = (fleet: string) => rows.find((r) => r.fleet === fleet);
  const a = row(from);
  const b = row(to);
  if (a === undefined || b === undefined) return null;
  const small = runMicros(a[output], a.capture.packets, clock);
  const large = runMicros(b[output], b.capture.packets, clock);
  return small === null || large === null ? null : large / small;
}

const MB = 1e6;
const MiB = 1024 * 1024;
const grouped = (n: number) => Math.round(n).toLocaleString('en-US');
const fixed = (n: number | null, digits: number) => (n === null || Number.isNaN(n) ? '-' : n.toFixed(digits));
const mib = (kb: number | null) => (kb === null ? '-' : `${grouped(kb / 1024)} MiB`);
const verdict = (met: boolean) => (met ? 'met' : 'MISSED');
const list = (values: readonly number[], digits: number, suffix = '') => values.map((v) => `${v.toFixed(digits)}${suffix}`).join(' ');

function scaleLines(rows: readonly ScaleRun[]): string[] {
  const lines = [
    'scale: one run each, default rules; µs per packet by wall time and by CPU time (user + system, all threads)',
    `  ${'fleet'.padEnd(6)}${'packets'.padStart(12)}${'MB'.padStart(8)}  ${'output'.padEnd(7)}${'wall s'.padStart(9)}${'µs/pkt'.padStart(9)}${'CPU µs/pkt'.padStart(12)}${'peak RSS'.padStart(12)}`,
  ];
  for (const r of rows) {
    const head = (output: string) => `  ${r.fleet.padEnd(6)}${grouped(r.capture.packets).padStart(12)}${(r.capture.bytes / MB).toFixed(0).padStart(8)}  ${output.padEnd(7)}`;
    const row = (output: string, run: Throughput | string | null, note: string) => {
      if (run === null) return `${head(output)}skipped (--no-db)`;
      if (typeof run === 'string') return `${head(output)} ${run}`;
      return head(output) + [
        fixed(run.seconds, 1).padStart(9),
        fixed(runMicros(run, r.capture.packets, 'wall'), 2).padStart(9),
        fixed(runMicros(run, r.capture.packets, 'cpu'), 2).padStart(12),
        mib(run.peakRssKb).padStart(12),
      ].join('') + (note ? `   ${note}` : '');
    };
    lines.push(row('ndjson', r.ndjson, ''));
    lines.push(row('--db', r.db, r.dbCheck ?? ''));
  }
  const growth = (output: 'ndjson' | 'db') => {
    const wall = scaleGrowth(rows, output, 'wall');
    const cpu = scaleGrowth(rows, output, 'cpu');
    if (wall === null && cpu === null) return `  µs/packet 300k / 30k, ${output}: not measured (needs both fleets)`;
    const judged = cpu ?? wall!;
    return `  µs/packet 300k / 30k, ${output}: ${fixed(wall, 2)}x by wall time, ${fixed(cpu, 2)}x by CPU time   target <= ${TARGETS.scaleGrowth}x: ${verdict(judged <= TARGETS.scaleGrowth)} (by ${cpu === null ? 'wall' : 'CPU'} time)`;
  };
  lines.push('', growth('ndjson'), growth('db'));
  const million = rows.find((r) => r.fleet === '1m');
  const limit = `${grouped(TARGETS.peakRssBytes / MiB)} MiB`;
  if (million === undefined) lines.push(`  1M meters: not run (--scale)`);
  else {
    for (const [output, run] of [['ndjson', million.ndjson], ['--db', million.db]] as const) {
      if (run === null || (typeof run === 'string' && run.startsWith('skipped'))) continue;
      if (typeof run === 'string') lines.push(`  1M meters, ${output}: did not complete (${run})   target: completes with peak RSS <= 1.5 GB (${limit}): MISSED`);
      else {
        const peak = run.peakRssKb === null ? null : run.peakRssKb * 1024;
        lines.push(`  1M meters, ${output}: completed, peak RSS ${mib(run.peakRssKb)}   target <= 1.5 GB (${limit}): ${peak === null ? 'not measured' : verdict(peak <= TARGETS.peakRssBytes)}`);
      }
    }
  }
  return lines;
}

function speedLines(s: SpeedResult): string[] {
  const c = s.capture;
  const lines = [
    `single thread vs tshark: ${c.path}, ${grouped(c.packets)} packets, ${(c.bytes / MB).toFixed(1)} MB, ${s.rounds.length} rounds run back to back`,
    `  ${'round'.padEnd(6)}${'coapwatch'.padStart(15)}${'--no-rules'.padStart(15)}${'tshark -n -r'.padStart(15)}${'-T fields'.padStart(15)}   (wall s / CPU s)`,
  ];
  const cell = (t: Throughput | undefined) => (t === undefined ? '-' : `${t.seconds.toFixed(1)}/${fixed(t.cpuSeconds, 1)}`).padStart(15);
  s.rounds.forEach((r, i) => lines.push(`  ${String(i + 1).padEnd(6)}${cell(r.coapwatch)}${cell(r.noRules)}${cell(r.tshark)}${cell(r.tsharkFields)}`));
  const pick = (clock: Clock, get: (r: SpeedRound) => Throughput | undefined) =>
    s.rounds.map((r) => { const t = get(r); return t === undefined ? null : timeOf(t, clock); });
  const paired = (clock: Clock, get: (r: SpeedRound) => Throughput | undefined) => {
    const ours = pick(clock, (r) => r.coapwatch);
    const theirs = pick(clock, get);
    const keep = ours.map((o, i) => o !== null && theirs[i] !== null);
    return ratiosPerRound(ours.filter((_, i) => keep[i]) as number[], theirs.filter((_, i) => keep[i]) as number[]);
  };
  const rate = (seconds: number) => `${grouped(c.packets / seconds)} packets/s, ${microsPerPacket(seconds, c.packets).toFixed(2)} µs/packet`;
  const medianOf = (clock: Clock, get: (r: SpeedRound) => Throughput | undefined) =>
    median(pick(clock, get).filter((v): v is number => v !== null));
  lines.push('');
  for (const [name, get] of [['coapwatch ndjson', (r: SpeedRound) => r.coapwatch], ['  --no-rules', (r: SpeedRound) => r.noRules], ['tshark -n -r', (r: SpeedRound) => r.tshark], ['tshark -T fields', (r: SpeedRound) => r.tsharkFields]] as const) {
    if (get(s.rounds[0] ?? ({} as SpeedRound)) === undefined) continue;
    const peaks = s.rounds.map(get).flatMap((t) => (t?.peakRssKb == null ? [] : [t.peakRssKb]));
    lines.push(`  ${name.padEnd(18)} median ${rate(medianOf('wall', get))} (wall); CPU ${fixed(microsPerPacket(medianOf('cpu', get), c.packets), 2)} µs/packet${peaks.length > 0 ? `; peak RSS ${mib(Math.max(...peaks))}` : ''}`);
  }
  if (s.tsharkSkipped !== null) lines.push(`  tshark: ${s.tsharkSkipped}`);
  else {
    for (const [name, get, target] of [['tshark -n -r', (r: SpeedRound) => r.tshark, TARGETS.overTshark], ['tshark -T fields', (r: SpeedRound) => r.tsharkFields, TARGETS.overTsharkFields]] as const) {
      const wall = paired('wall', get);
      const cpu = paired('cpu', get);
      lines.push(`  coapwatch / ${name}: per round ${list(wall, 2, 'x')} by wall time (median ${fixed(median(wall), 2)}x), ${list(cpu, 2, 'x')} by CPU time (median ${fixed(median(cpu), 2)}x)   target >= ${target}x: ${verdict(median(cpu.length > 0 ? cpu : wall) >= target)} (by ${cpu.length > 0 ? 'CPU' : 'wall'} time)`);
    }
  }
  // By CPU time when every run has it: on a loaded machine the wall time of two runs differs by how busy the machine was.
  const byCpu = s.rounds.every((r) => r.coapwatch.cpuSeconds !== null && r.noRules.cpuSeconds !== null);
  const clock: Clock = byCpu ? 'cpu' : 'wall';
  const detection = detectionPerRound(s.rounds.map((r) => timeOf(r.coapwatch, clock)!), s.rounds.map((r) => timeOf(r.noRules, clock)!));
  lines.push(`  detection's share of the time per round (${byCpu ? 'CPU' : 'wall'}): ${list(detection, 0, ' %')} (median ${fixed(median(detection), 0)} %)`);
  if (s.withDb !== null) {
    lines.push(typeof s.withDb === 'string'
      ? `  coapwatch --db: ${s.withDb}`
      : `  coapwatch --db (one run): ${rate(s.withDb.seconds)} (wall); CPU ${fixed(runMicros(s.withDb, c.packets, 'cpu'), 2)} µs/packet; peak RSS ${mib(s.withDb.peakRssKb)}`);
  }
  lines.push(`  sanity: ${s.sanity}`);
  return lines;
}

/** The human report. */
export function renderTable(r: BenchResult): string {
  const lines: string[] = [`load average (1 min) at start ${r.load.start}, at end ${r.load.end}`, ''];
  if (r.scale !== null) lines.push(...scaleLines(r.scale), '');
  if (r.speed !== null) lines.push(...speedLines(r.speed), '');
  if (r.idle !== null) {
    lines.push(typeof r.idle === 'string'
      ? `memory: idle endpoints: ${r.idle}`
      : `memory: ${grouped(r.idle.registered)} idle meters (registered and observed, default rules): ${r.idle.bytesPerEndpoint} bytes of heap each (heap ${r.idle.heapMiB} MiB)`);
  }
  if (r.dashboard !== null) lines.push(...dashboardLines(r.dashboard));
  return lines.join('\n') + '\n';
}

function dashboardLines(d: DashboardResult | string): string[] {
  if (typeof d === 'string') return [`dashboard: ${d}`];
  const lines = [`dashboard: coapwatch ui --db on ${grouped(d.endpoints)} endpoints (${d.database}), in tmux; milliseconds until the screen showed it`];
  d.steps.forEach((s, i) => {
    const target = i === 0 ? `   target <= ${TARGETS.dashboardFirstScreenMs / 1000} s: ${s.ms === null ? 'MISSED' : verdict(s.ms <= TARGETS.dashboardFirstScreenMs)}` : '';
    lines.push(`  ${s.step.padEnd(62)}${(s.ms === null ? 'not within a minute' : `${Math.round(s.ms)} ms`).padStart(20)}${target}`);
  });
  return lines;
}

/** One line of JSON with every figure, for pasting into a closing note. */
export function summaryJson(r: BenchResult): string {
  const round = (n: number | null, digits: number) => (n === null || Number.isNaN(n) ? null : Number(n.toFixed(digits)));
  const run = (t: Throughput | string | null, packets: number) => {
    if (t === null || typeof t === 'string') return t;
    return {
      seconds: round(t.seconds, 3), cpuSeconds: round(t.cpuSeconds, 3),
      microsPerPacket: round(runMicros(t, packets, 'wall'), 3), cpuMicrosPerPacket: round(runMicros(t, packets, 'cpu'), 3),
      peakRssMiB: t.peakRssKb === null ? null : round(t.peakRssKb / 1024, 1),
    };
  };
  const scale = r.scale === null ? null : {
    fleets: r.scale.map((s) => ({ fleet: s.fleet, meters: s.meters, packets: s.capture.packets, captureMB: round(s.capture.bytes / MB, 1), ndjson: run(s.ndjson, s.capture.packets), db: run(s.db, s.capture.packets), dbCheck: s.dbCheck })),
    growth300kOver30k: {
      ndjsonWall: round(scaleGrowth(r.scale, 'ndjson', 'wall'), 3), ndjsonCpu: round(scaleGrowth(r.scale, 'ndjson', 'cpu'), 3),
      dbWall: round(scaleGrowth(r.scale, 'db', 'wall'), 3), dbCpu: round(scaleGrowth(r.scale, 'db', 'cpu'), 3),
    },
  };
  let speed = null;
  if (r.speed !== null) {
    const s = r.speed;
    const times = (get: (x: SpeedRound) => Throughput | undefined, clock: Clock) => s.rounds.map((x) => { const t = get(x); return t === undefined ? null : round(timeOf(t, clock), 3); });
    const ratios = (get: (x: SpeedRound) => Throughput | undefined, clock: Clock) => {
      const ours = times((x) => x.coapwatch, clock);
      const theirs = times(get, clock);
      return ours.map((o, i) => (o === null || theirs[i] === null ? null : round(theirs[i]! / o, 3)));
    };
    speed = {
      packets: s.capture.packets, captureMB: round(s.capture.bytes / MB, 1),
      seconds: { coapwatch: times((x) => x.coapwatch, 'wall'), noRules: times((x) => x.noRules, 'wall'), tshark: times((x) => x.tshark, 'wall'), tsharkFields: times((x) => x.tsharkFields, 'wall') },
      cpuSeconds: { coapwatch: times((x) => x.coapwatch, 'cpu'), noRules: times((x) => x.noRules, 'cpu'), tshark: times((x) => x.tshark, 'cpu'), tsharkFields: times((x) => x.tsharkFields, 'cpu') },
      overTshark: { wall: ratios((x) => x.tshark, 'wall'), cpu: ratios((x) => x.tshark, 'cpu') },
      overTsharkFields: { wall: ratios((x) => x.tsharkFields, 'wall'), cpu: ratios((x) => x.tsharkFields, 'cpu') },
      detectionPerRoundPercent: {
        wall: detectionPerRound(s.rounds.map((x) => x.coapwatch.seconds), s.rounds.map((x) => x.noRules.seconds)).map((v) => round(v, 1)),
        cpu: s.rounds.every((x) => x.coapwatch.cpuSeconds !== null && x.noRules.cpuSeconds !== null)
          ? detectionPerRound(s.rounds.map((x) => x.coapwatch.cpuSeconds!), s.rounds.map((x) => x.noRules.cpuSeconds!)).map((v) => round(v, 1))
          : null,
      },
      withDb: run(s.withDb, s.capture.packets),
      tsharkSkipped: s.tsharkSkipped,
      sanity: s.sanity,
    };
  }
  const dashboard = r.dashboard === null || typeof r.dashboard === 'string' ? r.dashboard
    : { endpoints: r.dashboard.endpoints, steps: r.dashboard.steps.map((s) => ({ step: s.step, ms: round(s.ms, 0) })) };
  return JSON.stringify({ load: r.load, targets: TARGETS, scale, speed, idleEndpoints: r.idle, dashboard });
}
