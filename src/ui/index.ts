import { basename } from 'node:path';
import { isInteractive } from './terminal.js';
import type { ViewName } from './view-names.js';
import { show, type Running } from './render.js';
import { LiveSource } from './live-source.js';
import { plainEvent, plainReport } from './plain.js';
import { displayLocation, isPostgresUrl, StoreError } from '../store/index.js';
import { sanitizeForTerminal } from '../util/terminal-text.js';
import type { DashboardSource } from './source.js';
import { StoreSource } from './store-source.js';

export { Dashboard, POLL_MS, type DashboardProps } from './app.js';
export { isInteractive } from './terminal.js';
export { VIEWS, type ViewName } from './view-names.js';
export { LiveSource, type LiveSessionLike, type LiveSourceOptions, type LiveStats } from './live-source.js';
export { plainEvent, plainReport } from './plain.js';
export type { Running } from './render.js';
export type { DashboardSource } from './source.js';
export { StoreSource } from './store-source.js';

export const NOT_A_TERMINAL = 'stdout is not a terminal: printing a plain overview';

/** Where `ui` opens: a view, an endpoint (its detail, or the view given), an event's messages. */
export interface StoredDashboardOptions {
  run?: number;
  view?: ViewName;
  follow?: boolean;
  endpoint?: string;
  event?: number;
  /** Where the run's capture is now, when it moved (the detail's bytes and s read frames from it). */
  source?: string;
  /** The runs of this sensor only (its latest, unless run is given). */
  sensor?: string;
}

/**
 * `coapwatch ui --db PATH`: reviews a database written by analyze --db. When stdout or stdin is
 * not a terminal, prints a plain overview instead (an event's detail and messages with --event)
 * and says so on stderr. An endpoint or event the run does not have is refused (StoreError).
 */
export async function runStoredDashboard(dbPath: string, opts: StoredDashboardOptions = {}): Promise<void> {
  const source = StoreSource.open(dbPath, opts.run, { follow: opts.follow, source: opts.source, sensor: opts.sensor });
  try {
    if (opts.endpoint !== undefined && source.endpoint(opts.endpoint) === null) {
      throw new StoreError(`run ${source.runId} of ${displayLocation(dbPath)} has no endpoint ${sanitizeForTerminal(opts.endpoint)} (coapwatch endpoints --db lists them)`);
    }
    const event = opts.event === undefined ? null : source.event(opts.event);
    if (opts.event !== undefined && event === null) {
      throw new StoreError(`run ${source.runId} of ${displayLocation(dbPath)} has no event ${opts.event} (coapwatch events --db lists them)`);
    }
    if (!isInteractive()) {
      process.stderr.write(`coapwatch: ${process.stdout.isTTY ? NOT_A_TERMINAL.replace('stdout', 'stdin') : NOT_A_TERMINAL}\n`);
      const width = process.stdout.columns || 100;
      process.stdout.write(event !== null ? plainEvent(source, event, width) : plainReport(source, width));
      return;
    }
    await show(source, `${isPostgresUrl(dbPath) ? displayLocation(dbPath) : basename(dbPath)} run ${source.runId}`, opts.follow === true, opts.view, { endpoint: opts.endpoint, event: opts.event }).done;
  } finally {
    source.close();
  }
}

/**
 * The dashboard over a database another thread is writing (monitor --ui: the analysis runs in
 * monitor's decoding thread and commits every --stats-interval; this follows its run).
 */
export function followStoredDashboard(dbPath: string, run: number, title: string): Running {
  const source = StoreSource.open(dbPath, run, { follow: true });
  const running = show(source, title, true);
  void running.done.finally(() => source.close());
  return running;
}

/**
 * The dashboard over a running analysis (analyze --ui). It polls `source` at most
 * 10 times a second; call source.finish() when no more packets will come. `done` resolves when
 * the user quits with q; stop() closes it from the program's side.
 *
 *   const live = new LiveSource({ source: iface });
 *   const session = new AnalysisSession({ ..., state: true, onMessage: live.onMessage, onEvent: live.addEvent });
 *   live.attach(session, () => ({ packets, drops: [['kernel', n], ['interface', n], ['coapwatch', n]] }));
 *   const ui = startLiveDashboard(live, { title: `monitor ${iface}` });
 *   ui.done.then(() => stopCapture());       // the user pressed q
 *   // after session.tick(ts): live.changed(); at the end: live.finish() (or ui.stop())
 */
export function startLiveDashboard(source: LiveSource, opts: { title: string }): Running {
  return show(source, opts.title, true);
}
