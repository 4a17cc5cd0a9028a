import { spawn } from 'node:child_process';
import { accessSync, closeSync, constants, openSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { performance } from 'node:perf_hooks';

export interface TimedRun {
  seconds: number;
  /** Null when the process was killed by a signal. */
  exitCode: number | null;
  /** Peak RSS in kilobytes, when the process reported it on fd 3 (see report-peak-rss.ts). */
  peakRssKb: number | null;
}

/** The preload that makes a node process report its peak RSS. */
export const PEAK_RSS_PRELOAD = new URL('./report-peak-rss.js', import.meta.url).href;

/** Runs a command with stdout to /dev/null and stderr shown, timed from spawn to exit. */
export function timedRun(command: string, args: string[]): Promise<TimedRun> {
  const devNull = openSync('/dev/null', 'w');
  const started = performance.now();
  const child = spawn(command, args, { stdio: ['ignore', devNull, 'inherit', 'pipe'] });
  closeSync(devNull);
  let report = '';
  child.stdio[3]?.on('data', (chunk: Buffer) => { report += chunk.toString('latin1'); });
  let seconds = 0;
  child.on('exit', () => { seconds = (performance.now() - started) / 1000; });
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (exitCode) => {
      const peak = Number.parseInt(report, 10);
      resolve({ seconds, exitCode, peakRssKb: Number.isFinite(peak) ? peak : null });
    });
  });
}

/** The path of an executable on PATH, or null when there is none. */
export function findOnPath(name: string): string | null {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir === '') continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // Not in this directory.
    }
  }
  return null;
}
