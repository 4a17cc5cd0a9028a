import { describe, expect, it } from 'vitest';
import { detectionPerRound, median, renderTable, summaryJson, type BenchResult } from '../../../src/bench/report.js';

const result: BenchResult = {
  capture: { path: 'bench-data/x.pcap', packets: 1_000_000, bytes: 140_600_000, buildSeconds: null },
  // Round 2 ran in a fast minute: the best runs of each kind (10 s, 7 s) come from different rounds.
  runSeconds: [12, 10, 14],
  noRulesRunSeconds: [9, 6, 7],
  ours: { seconds: 10, peakRssKb: 700 * 1024 },
  noRules: { seconds: 6, peakRssKb: 360 * 1024 },
  withDb: null,
  tshark: 'skipped (--no-tshark)',
  tsharkJson: 'skipped (--no-tshark)',
  idle: 'skipped',
  sanity: 'ok',
};

describe('bench report: detection per round', () => {
  it('pairs the runs of each round, not the best of each kind', () => {
    expect(detectionPerRound([12, 10, 14], [9, 6, 7])).toEqual([25, 40, 50]);
    // A missing run (the bench stopped early) leaves its round out.
    expect(detectionPerRound([12, 10], [9, 6, 7])).toEqual([25, 40]);
  });

  it('median of odd and even counts', () => {
    expect(median([50, 25, 40])).toBe(40);
    expect(median([25, 40, 50, 10])).toBe(32.5);
    expect(median([])).toBeNaN();
  });

  it('the table and the JSON line carry the per-round shares beside the best-run share', () => {
    const table = renderTable(result, result.capture.path);
    expect(table).toContain('detection (40 % of the time above');
    expect(table).toContain('detection per round (the runs of one round, back to back): 25 %, 40 %, 50 % (median 40 %)');
    const json = JSON.parse(summaryJson(result)) as Record<string, unknown>;
    expect(json.ruleCostPerRoundPercent).toEqual([25, 40, 50]);
  });
});
