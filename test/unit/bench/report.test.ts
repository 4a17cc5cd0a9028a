import { describe, expect, it } from 'vitest';
import { parseReport } from '../../../src/bench/measure.js';
import {
  detectionPerRound, median, ratiosPerRound, renderTable, runMicros, scaleGrowth, summaryJson,
  type BenchResult, type ScaleRun, type SpeedResult, type Throughput,
} from '../../../src/bench/report.js';

const run = (seconds: number, cpuSeconds: number | null, peakMiB: number | null = null): Throughput =>
  ({ seconds, cpuSeconds, peakRssKb: peakMiB === null ? null : peakMiB * 1024 });
const capture = (packets: number) => ({ path: `bench-data/scale-${packets}.pcap`, packets, bytes: packets * 93, buildSeconds: null });
const fleet = (name: string, meters: number, ndjson: Throughput | string, db: Throughput | string | null): ScaleRun =>
  ({ fleet: name, meters, capture: capture(meters * 10), ndjson, db, dbCheck: db === null ? null : 'ok: checked' });

// 30k: 300,000 packets in 6 s wall, 3 s CPU = 20 / 10 µs per packet. 300k: 3,000,000 packets in 75 s wall
// (25 µs, 1.25x), 36 s CPU (12 µs, 1.2x). 1M: 10,000,000 packets, peak 1,500 MiB (over 1.5e9 bytes).
const scale: ScaleRun[] = [
  fleet('30k', 30_000, run(6, 3, 300), run(9, 4.5, 350)),
  fleet('300k', 300_000, run(75, 36, 700), run(150, 60, 800)),
  fleet('1m', 1_000_000, run(300, 140, 1_500), 'FAILED: exit code from a signal after 99.0 s (peak RSS 4000 MiB)'),
];

// Three rounds. tshark -n -r took 1.2 to 2 times as long as coapwatch; -T fields 4 to 6 times.
const speed: SpeedResult = {
  capture: capture(1_000_000),
  rounds: [
    { coapwatch: run(10, 9), noRules: run(7, 6), tshark: run(12, 12), tsharkFields: run(40, 40) },
    { coapwatch: run(8, 8), noRules: run(6, 6), tshark: run(16, 14), tsharkFields: run(48, 44) },
    { coapwatch: run(12, 10), noRules: run(6, 5), tshark: run(18, 15), tsharkFields: run(72, 50) },
  ],
  tsharkSkipped: null,
  withDb: run(20, 18, 500),
  sanity: 'ok: counted',
};

const result: BenchResult = { scale, speed, idle: null, dashboard: null, load: { start: '7.50', end: '8.25' } };

describe('bench report: arithmetic', () => {
  it('median of odd and even counts, NaN for none', () => {
    expect(median([50, 25, 40])).toBe(40);
    expect(median([25, 40, 50, 10])).toBe(32.5);
    expect(median([])).toBeNaN();
  });

  it('ratios and detection shares pair the runs of each round, and leave out a round with a missing run', () => {
    expect(ratiosPerRound([10, 8, 12], [12, 16, 18])).toEqual([1.2, 2, 1.5]);
    expect(ratiosPerRound([10, 8], [12, 16, 18])).toEqual([1.2, 2]);
    expect(detectionPerRound([12, 10, 14], [9, 6, 7])).toEqual([25, 40, 50]);
  });

  it('µs per packet by wall or CPU time; none for a failed, skipped or CPU-less run', () => {
    expect(runMicros(run(6, 3), 300_000, 'wall')).toBeCloseTo(20);
    expect(runMicros(run(6, 3), 300_000, 'cpu')).toBeCloseTo(10);
    expect(runMicros(run(6, null), 300_000, 'cpu')).toBeNull();
    expect(runMicros('FAILED', 300_000, 'wall')).toBeNull();
    expect(runMicros(null, 300_000, 'wall')).toBeNull();
  });

  it('growth is µs per packet at 300k over 30k, per output and clock, and needs both fleets', () => {
    expect(scaleGrowth(scale, 'ndjson', 'wall')).toBeCloseTo(1.25);
    expect(scaleGrowth(scale, 'ndjson', 'cpu')).toBeCloseTo(1.2);
    expect(scaleGrowth(scale, 'db', 'cpu')).toBeCloseTo(20 / 15);
    expect(scaleGrowth(scale.slice(1), 'ndjson', 'wall')).toBeNull();
  });
});

describe('bench report: table', () => {
  const table = renderTable(result);

  it('prints the load average and a row per fleet and output with µs per packet and peak RSS', () => {
    expect(table).toContain('load average (1 min) at start 7.50, at end 8.25');
    const row = table.split('\n').find((l) => l.includes('30k') && l.includes('ndjson'));
    // wall 6.0 s, 20.00 µs per packet by wall time, 10.00 by CPU time, peak RSS.
    expect(row?.split(/ +/).filter(Boolean)).toEqual(['30k', '300,000', '28', 'ndjson', '6.0', '20.00', '10.00', '300', 'MiB']);
    expect(table).toContain('ok: checked');
    expect(table).toContain('FAILED: exit code from a signal');
  });

  it('holds growth, memory and tshark ratios against their targets, judged by CPU time', () => {
    expect(table).toContain('µs/packet 300k / 30k, ndjson: 1.25x by wall time, 1.20x by CPU time   target <= 1.3x: met (by CPU time)');
    expect(table).toContain('µs/packet 300k / 30k, db: 1.67x by wall time, 1.33x by CPU time   target <= 1.3x: MISSED');
    expect(table).toContain('1M meters, ndjson: completed, peak RSS 1,500 MiB   target <= 1.5 GB (1,431 MiB): MISSED');
    expect(table).toContain('1M meters, --db: did not complete');
    // Per round by CPU: 12/9, 14/8, 15/10 -> median 1.50; by wall 1.2, 2, 1.5 -> median 1.50.
    expect(table).toContain('coapwatch / tshark -n -r: per round 1.20x 2.00x 1.50x by wall time (median 1.50x), 1.33x 1.75x 1.50x by CPU time (median 1.50x)   target >= 1.5x: met');
    // By CPU: 40/9 = 4.44, 44/8 = 5.5, 50/10 = 5 -> median 5.00.
    expect(table).toContain('coapwatch / tshark -T fields: per round 4.00x 6.00x 6.00x by wall time (median 6.00x), 4.44x 5.50x 5.00x by CPU time (median 5.00x)   target >= 4x: met');
    // By CPU: 1 - 6/9, 1 - 6/8, 1 - 5/10.
    expect(table).toContain("detection's share of the time per round (CPU): 33 % 25 % 50 % (median 33 %)");
  });

  it('says when tshark or a part was skipped', () => {
    const without = renderTable({ ...result, scale: null, speed: { ...speed, rounds: speed.rounds.map(({ coapwatch, noRules }) => ({ coapwatch, noRules })), tsharkSkipped: 'skipped (--no-tshark)' } });
    expect(without).not.toContain('scale:');
    expect(without).toContain('tshark: skipped (--no-tshark)');
    expect(without).not.toContain('coapwatch / tshark');
  });

  it('the dashboard: each step in milliseconds, the first screen held against 3 s, a step that never showed said so', () => {
    const steps = [
      { step: 'first screen (the overview with its endpoint total), from start', ms: 3_100.4 },
      { step: 'Endpoints view with its first rows', ms: 212.6 },
      { step: 'last page', ms: null },
    ];
    const table = renderTable({ ...result, scale: null, speed: null, dashboard: { endpoints: 1_000_000, database: 'bench-data/d.db', buildSeconds: null, steps } });
    expect(table).toContain('dashboard: coapwatch ui --db on 1,000,000 endpoints (bench-data/d.db)');
    expect(table).toMatch(/first screen \(the overview with its endpoint total\), from start\s+3100 ms   target <= 3 s: MISSED/);
    expect(table).toMatch(/Endpoints view with its first rows\s+213 ms\n/);
    expect(table).toMatch(/last page\s+not within a minute/);
    const fast = renderTable({ ...result, dashboard: { endpoints: 1_000_000, database: 'd.db', buildSeconds: 50, steps: [{ ...steps[0], ms: 1_999 }] } });
    expect(fast).toContain('1999 ms   target <= 3 s: met');
    expect(renderTable({ ...result, dashboard: 'skipped: tmux is not on PATH' })).toContain('dashboard: skipped: tmux is not on PATH');
    expect(JSON.parse(summaryJson({ ...result, dashboard: { endpoints: 10, database: 'd.db', buildSeconds: null, steps } })).dashboard.steps[1]).toEqual({ step: 'Endpoints view with its first rows', ms: 213 });
  });

  it('the JSON line carries every figure', () => {
    const json = JSON.parse(summaryJson(result)) as {
      scale: { fleets: Array<{ fleet: string; ndjson: { cpuMicrosPerPacket: number } }>; growth300kOver30k: Record<string, number> };
      speed: { overTshark: { wall: number[]; cpu: number[] }; overTsharkFields: { cpu: number[] }; detectionPerRoundPercent: { wall: number[]; cpu: number[] } };
    };
    expect(json.scale.fleets.map((f) => f.fleet)).toEqual(['30k', '300k', '1m']);
    expect(json.scale.fleets[0].ndjson.cpuMicrosPerPacket).toBe(10);
    expect(json.scale.growth300kOver30k).toEqual({ ndjsonWall: 1.25, ndjsonCpu: 1.2, dbWall: 1.667, dbCpu: 1.333 });
    expect(json.speed.overTshark.wall).toEqual([1.2, 2, 1.5]);
    expect(json.speed.overTsharkFields.cpu).toEqual([4.444, 5.5, 5]);
    expect(json.speed.detectionPerRoundPercent).toEqual({ wall: [30, 25, 50], cpu: [33.3, 25, 50] });
  });
});

describe('bench measure: what a run reports on fd 3', () => {
  it('reads the peak RSS line and the children line of sh times', () => {
    expect(parseReport('peak-rss-kb 123456\n0m0.001000s 0m0.002000s\n1m6.620000s 0m0.320000s\n')).toEqual({ peakRssKb: 123456, cpuSeconds: 66.94 });
    // tshark reports no RSS; a killed shell reports no times.
    expect(parseReport('0m0.000000s 0m0.000000s\n0m2.500000s 0m0.500000s\n')).toEqual({ peakRssKb: null, cpuSeconds: 3 });
    expect(parseReport('')).toEqual({ peakRssKb: null, cpuSeconds: null });
  });
});
