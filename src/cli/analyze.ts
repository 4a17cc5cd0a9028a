import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { constants as osConstants } from 'node:os';
import { CaptureError, linkTypeName, probeCapture, readCapture } from '../capture/index.js';
import { pskKeys, type PskEntry } from '../dtls/index.js';
import { dtlsSummary } from './format/dtls-record.js';
import { overflowWarning } from './format/summary.js';
import { createProgress } from './progress.js';
import { loadRuleSet } from './rule-set.js';
import { AnalysisSession } from './session.js';
// The dashboard (ink and React, ~0.45 s to load) is imported only when it is drawn.
import type { LiveSource } from '../ui/index.js';
import { isInteractive } from '../ui/terminal.js';
import { sanitizeForTerminal } from '../util/terminal-text.js';

export interface AnalyzeOptions {
  format: 'summary' | 'ndjson';
  coapPort: number[];
  heuristic: boolean;
  progress: boolean;
  /** SQLite database to write endpoint state (and with storeMessages, every message) into. */
  db?: string;
  storeMessages?: boolean;
  /** Rule files or folders (--rules); false with --no-rules; undefined: the default ruleset. */
  rules?: string[] | false;
  /** --servers: declared LwM2M servers (ADDR, ADDR:PORT, CIDR). */
  servers?: string[];
  /** --psk IDENTITY:HEXKEY (repeatable) and --psk-file: keys to decrypt DTLS PSK sessions with. */
  psk?: PskEntry[];
  pskFile?: PskEntry[];
  /** --ui: the live dashboard while the file is read, kept open until q. */
  ui?: boolean;
  /** --eve FILE: the run in EVE JSON, appended to FILE (`-`: stdout). */
  eve?: string;
  /** --sensor: `host` of the EVE records. */
  sensor: string;
}

export async function analyzeCommand(file: string, opts: AnalyzeOptions): Promise<void> {
  // SIGINT/SIGTERM stop reading (the readers give the event loop a turn every few tens of
  // milliseconds, so this takes effect at once at any packet rate); what was read is then
  // committed and written, and the run is marked interrupted. A second signal exits at once.
  const stop = new AbortController();
  const onSignal = (signal: NodeJS.Signals) => {
    if (stop.signal.aborted) process.exit(exitStatusOf(signal));
    stop.abort(signal);
  };
  process.on('SIGINT', onSignal).on('SIGTERM', onSignal);
  // A file that is missing or not a capture is reported before a database run is created for it.
  await probeCapture(file);
  const pskEntries = [...(opts.pskFile ?? []), ...(opts.psk ?? [])];
  const keys = pskKeys(pskEntries);
  const size = fileSize(file);
  let live: LiveSource | null = null;
  let dashboardModule: typeof import('../ui/index.js') | null = null;
  if (opts.ui) {
    if (opts.format === 'ndjson') {
      process.stderr.write('coapwatch: --ui draws on the terminal and cannot be combined with --format ndjson\n');
      process.exitCode = 1;
      return;
    }
    if (isInteractive()) {
      dashboardModule = await import('../ui/index.js');
      live = new dashboardModule.LiveSource({ source: file, captureFile: file });
    }
    else process.stderr.write('coapwatch: stdout is not a terminal: printing the plain summary instead of the dashboard\n');
  }
  const session = new AnalysisSession({
    ...opts, source: file, recordFile: resolve(file), rules: loadRuleSet(opts.rules), psk: keys.size > 0 ? keys : undefined,
    eve: opts.eve === undefined ? undefined : { path: opts.eve, sensor: opts.sensor, iface: null },
    ...(live ? { state: true, onMessage: live.onMessage, onEvent: live.addEvent, onEventSeverity: live.eventSeverityChanged } : {}),
  });
  const { pipeline, store, writer } = session;
  // SIGHUP, with an EVE file: opened again by name (logrotate), as monitor does. Without one,
  // a hangup ends analyze as it ends any program.
  const onHangup = () => {
    for (const problem of session.reopenOutputs()) process.stderr.write(`coapwatch: SIGHUP: ${problem}\n`);
  };
  if (session.eve) process.on('SIGHUP', onHangup);
  // The dashboard: drawn while the file is read (polled, at most 10 times a second), open until q.
  let reading = true;
  const dashboard = live && dashboardModule ? (live.attach(session), dashboardModule.startLiveDashboard(live, { title: `analyze ${file}` })) : null;
  dashboard?.done.then(() => {
    if (!reading) return;
    // q before the end of the file: keep what was decoded and stop.
    store?.flush();
    process.exit(0);
  }, () => undefined);

  const progress = opts.progress && !dashboard ? createProgress(size) : null;
  let info;
  try {
    info = await readCapture(file, session.push, { signal: stop.signal, onProgress: progress ? (done) => progress.update(done) : undefined });
  } catch (err) {
    store?.flush(); // what was decoded before the failure is kept
    session.eve?.flush();
    if (dashboard) {
      // Leave the dashboard's screen first, or the error would be drawn where nobody sees it.
      reading = false;
      dashboard.stop();
      await dashboard.done.catch(() => undefined);
    }
    throw err;
  } finally {
    progress?.stop();
  }
  const interruptedBy = info.interrupted ? (stop.signal.reason as NodeJS.Signals) : null;
  if (interruptedBy) await session.interrupt(info.packets, interruptedBy);
  else session.finish(info.packets);
  reading = false;
  if (live && dashboard) {
    if (interruptedBy) dashboard.stop();
    else live.finish();
    await dashboard.done.catch(() => undefined);
  }
  process.off('SIGINT', onSignal).off('SIGTERM', onSignal).off('SIGHUP', onHangup);
  for (const warning of [...info.warnings, ...pipeline.warnings()]) process.stderr.write(`coapwatch: warning: ${sanitizeForTerminal(warning)}\n`);
  if (interruptedBy) {
    process.stderr.write(`coapwatch: ${interruptedBy}: stopped after ${info.packets} packets${store ? '; the database run is marked interrupted' : ''}\n`);
  }
  const overflows = session.overflows();
  if (opts.format === 'ndjson') for (const o of overflows) process.stderr.write(overflowWarning(o));
  else {
    const d = pipeline.decoder.stats;
    const c = pipeline.coap.stats;
    const linkTypes = info.linkTypes.map(linkTypeName).join('+');
    const read = interruptedBy ? `${info.packets} packets read before ${interruptedBy}` : `${info.packets} packets`;
    writer.write(session.summary.render(`${file} (${info.format}, ${linkTypes}, ${read})`, info.packets, [
      ['undecodable frames', d.malformed],
      ['non-IP/UDP/TCP', d.ignored],
      ['DTLS records', c.dtlsRecords + pipeline.dtls.stats.records],
      ['DTLS sessions', dtlsSummary(pipeline.dtls.stats)],
      ['other UDP/TCP', c.notCoap],
      // Shown only when something was given up, like the warnings that explain them.
      ...nonZero([['fragments dropped', d.fragmentsDropped], ['bodies over limit', pipeline.coap.bodiesOverLimit]]),
    ], overflows));
    writer.flush();
  }
  if (interruptedBy) process.exit(exitStatusOf(interruptedBy));
}

/** 128 + the signal's number, as shells report a process ended by it (130 for SIGINT, 143 for SIGTERM). */
function exitStatusOf(signal: NodeJS.Signals): number {
  return 128 + (osConstants.signals[signal] ?? 0);
}

function nonZero(rows: Array<[string, number]>): Array<[string, number]> {
  return rows.filter(([, n]) => n > 0);
}

/** The file's size for the progress bar; 0 if it cannot be read (readCapture reports why, with the right words). */
function fileSize(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}

export { CaptureError };
