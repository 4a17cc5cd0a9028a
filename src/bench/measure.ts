import { spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { performance } from 'node:perf_hooks';

export interface TimedRun {
  /** Wall time from spawn to exit. */
  seconds: number;
  /**
   * User plus system CPU time of the command (and the children it waited for), or null when it
   * could not be read. On a machine shared with other work the wall time says mostly how busy the
   * machine was; the CPU time says what the command itself cost.
   */
  cpuSeconds: number | null;
  /** Null when the process was killed by a signal. */
  exitCode: number | null;
  /** Peak RSS in kilobytes, when the process reported it on fd 3 (see report-peak-rss.ts). */
  peakRssKb: number | null;
}

/** The preload that makes a node process report its peak RSS. */
export const PEAK_RSS_PRELOAD = new URL('./report-peak-rss.js', import.meta.url).href;

/*
 * The command runs under `sh`, whose `times` built-in prints, after the command ends, the CPU
 * time of the children it waited for: the one portable way to get a child's CPU time, which node
 * only has for itself. Its stdout goes to /dev/null; fd 3 is a pipe the preload and `times` write to.
 */
const WRAPPER = '"$0" "$@" > /dev/null; status=$?; times >&3; exit $status';

/** Runs a command with stdout to /dev/null and stderr shown, timed from spawn to exit. */
export function timedRun(command: string, args: string[]): Promise<TimedRun> {
  const started = performance.now();
  const child = spawn('/bin/sh', ['-c', WRAPPER, command, ...args], { stdio: ['ignore', 'ignore', 'inherit', 'pipe'] });
  let report = '';
  child.stdio[3]?.on('data', (chunk: Buffer) => { report += chunk.toString('latin1'); });
  let seconds = 0;
  child.on('exit', () => { seconds = (performance.now() - started) / 1000; });
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (exitCode) => {
      const { peakRssKb, cpuSeconds } = parseReport(report);
      resolve({ seconds, cpuSeconds, exitCode, peakRssKb });
    });
  });
}

/**
 * Reads what fd 3 carried: `peak-rss-kb N` from the preload, then the two lines of `times`
 * (the shell's own user and system time, then its children's, as `0m6.620000s 0m0.320000s`).
 */
export function parseReport(report: string): { peakRssKb: number | null; cpuSeconds: number | null } {
  const rss = /peak-rss-kb (\d+)/.exec(report);
  const times = [...report.matchAll(/^(\d+)m([\d.]+)s (\d+)m([\d.]+)s$/gm)];
  const children = times.length === 2 ? times[1] : null;
  const cpuSeconds = children === null ? null
    : Number(children[1]) * 60 + Number(children[2]) + Number(children[3]) * 60 + Number(children[4]);
  return { peakRssKb: rss === null ? null : Number(rss[1]), cpuSeconds };
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
