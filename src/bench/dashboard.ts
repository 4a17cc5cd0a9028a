import { spawnSync } from 'node:child_process';
import { existsSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { buildBigDatabase, endpointName } from './big-database.js';

/*
 * The dashboard at a utility's size: `coapwatch ui --db` on a database of one run with 10^6
 * endpoints (src/bench/big-database.ts, built once and cached like the captures), driven in tmux
 * as an analyst would: how long until the first screen is drawn, until the Endpoints view lists
 * its rows, until the last page shows, and until a typed filter has narrowed the list. Each time
 * runs from the keystroke (or the start) until the screen shows what was asked for, polled every
 * few milliseconds, so it includes drawing.
 */

/** Bumped whenever the big database's rows or the schema it is written with change. */
const FORMAT_VERSION = 1;
const POLL_MS = 5;
const TIMEOUT_MS = 60_000;

export interface DashboardStep {
  /** What was asked of the dashboard. */
  step: string;
  /** Milliseconds until the screen showed it; null when it did not within a minute. */
  ms: number | null;
}

export interface DashboardResult {
  endpoints: number;
  database: string;
  /** Seconds it took to build the database; null when it was cached. */
  buildSeconds: number | null;
  steps: DashboardStep[];
}

/** The cached database of `endpoints` endpoints in `dir`, built (into a temporary name, then renamed) when missing. */
export function ensureDashboardDatabase(dir: string, endpoints: number, rebuild = false): { path: string; buildSeconds: number | null } {
  const path = join(dir, `dashboard-${endpoints}-v${FORMAT_VERSION}.db`);
  if (existsSync(path) && !rebuild) return { path, buildSeconds: null };
  const partial = `${path}.partial`;
  rmSync(partial, { force: true });
  const started = performance.now();
  buildBigDatabase(partial, { endpoints });
  renameSync(partial, path);
  return { path, buildSeconds: (performance.now() - started) / 1000 };
}

const tmux = (...args: string[]) => spawnSync('tmux', args, { encoding: 'utf8' });

/** Drives `coapwatch ui --db` in a tmux session of its own and times each step. Needs tmux. */
export async function dashboardTimings(cli: string, database: string, endpoints: number): Promise<DashboardStep[]> {
  const session = `coapwatch-bench-${process.pid}`;
  const screen = () => tmux('capture-pane', '-p', '-t', session).stdout ?? '';
  const until = async (started: number, shows: RegExp): Promise<number | null> => {
    while (performance.now() - started < TIMEOUT_MS) {
      if (shows.test(screen())) return performance.now() - started;
      await sleep(POLL_MS);
    }
    return null;
  };
  const steps: DashboardStep[] = [];
  const time = async (step: string, keys: string[], shows: RegExp) => {
    const started = performance.now();
    for (const k of keys) tmux('send-keys', '-t', session, ...(k.startsWith('-l ') ? ['-l', k.slice(3)] : [k]));
    const ms = await until(started, shows);
    steps.push({ step, ms });
    return ms !== null;
  };
  const total = endpoints.toLocaleString('en-US');
  // The Endpoints view's header: "Endpoints <count>  <row>/<count>".
  const atRow = (row: string) => new RegExp(`Endpoints ${total}\\s+${row}/${total}\\s`);
  // Ink draws every frame only outside CI (see test/support/terminal.ts); a bench is an analyst's terminal.
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== 'CI' && k !== 'CONTINUOUS_INTEGRATION' && !k.startsWith('CI_')));
  const started = performance.now();
  const made = spawnSync('tmux', ['new-session', '-d', '-s', session, '-x', '140', '-y', '40', process.execPath, cli, 'ui', '--db', database], { env, encoding: 'utf8' });
  if (made.status !== 0) throw new Error(`tmux new-session failed: ${(made.stderr ?? '').trim()}`);
  try {
    const first = await until(started, new RegExp(`Endpoints\\s+${total} registered`));
    steps.push({ step: 'first screen (the overview with its endpoint total), from start', ms: first });
    if (first === null) return steps;
    if (!await time('Endpoints view with its first rows', ['2'], atRow('1'))) return steps;
    if (!await time('next page', ['PageDown'], atRow('(?!1/)[\\d,]+'))) return steps;
    if (!await time('last page', ['End'], atRow(total))) return steps;
    if (!await time('first page again', ['Home'], atRow('1'))) return steps;
    // A filter that keeps a thousand names (meter-0999000 to meter-0999999 of the database).
    const prefix = endpointName(endpoints - 1).slice(0, -3);
    await time(`filter "${prefix}" typed`, ['/', `-l ${prefix}`], new RegExp(`Endpoints 1,000\\s+1/1,000\\s+filter: ${prefix}\\s`));
  } finally {
    tmux('kill-session', '-t', session);
  }
  return steps;
}
