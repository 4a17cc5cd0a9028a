import { unlinkSync, writeSync } from 'node:fs';
import { resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parentPort, workerData } from 'node:worker_threads';
import { CaptureError, LiveFrameReader, linkTypeName, PacketQueue, RotatingPcapWriter, type LiveStats, type PacketSink } from '../../capture/index.js';
import { pskKeys } from '../../dtls/index.js';
import { RuleLoadError } from '../../rules/index.js';
import { isPostgresUrl, openPruneTarget, pruneSummary, StoreError } from '../../store/index.js';
import type { LiveCounters } from '../../store/run-writer.js';
import { dtlsSummary } from '../format/dtls-record.js';
import type { EveStats } from '../../eve/index.js';
import { OutputFileError } from '../../util/append-file.js';
import type { TableOverflow } from '../../util/bounded-map.js';
import { loadRuleSet } from '../rule-set.js';
import { AnalysisSession } from '../session.js';
import type { FromWorker, MonitorWorkerData, ToWorker } from './monitor.js';
import { MetricsTally, SNAPSHOT_MS } from './monitor-metrics.js';

/*
 * The decoding thread of `monitor`: reads the frames the capture thread queues and does
 * everything `analyze` does with them (decoding, state, rules, database), plus --write.
 */

/** stdout is written out this often, so that `--format ndjson` streams. */
const OUTPUT_FLUSH_MS = 500;
/** --prune-older-than: how often the database is pruned (and once at start). */
const PRUNE_INTERVAL_S = 3600;

const port = parentPort!;
const { opts, linkType, queue: memory } = workerData as MonitorWorkerData;
const send = (m: FromWorker) => port.postMessage(m);

// A worker's process.stdout is relayed through the capture thread; write to the file descriptor
// directly, synchronously as the main thread does for files and pipes, and keep that thread free.
let stdoutClosed = false;

/** The whole of `chunk` to `fd`: a pipe may take part of it, or (non-blocking) none for a moment. */
function writeAll(fd: number, chunk: string | Uint8Array): void {
  const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
  let done = 0;
  while (done < bytes.length) {
    try {
      done += writeSync(fd, bytes, done, bytes.length - done);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EAGAIN') throw err;
    }
  }
}

process.stdout.write = ((chunk: string | Uint8Array) => {
  if (stdoutClosed) return true;
  try {
    writeAll(1, chunk);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPIPE') throw err;
    stdoutClosed = true;
    send({ type: 'epipe' });
  }
  return true;
}) as typeof process.stdout.write;
const log = (line: string) => writeAll(2, line);
/** With --metrics: what this thread counts for the main thread to serve. */
const tally = opts.metrics === undefined ? null : new MetricsTally();

function describe(err: unknown): string {
  const known = err instanceof CaptureError || err instanceof StoreError || err instanceof RuleLoadError || err instanceof OutputFileError;
  return known ? (err as Error).message : `internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`;
}

function unlinkQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // never created
  }
}

/** SIGUSR2: the rule files again, into the running engine (state and rule windows stay); a bad file changes nothing. */
function reloadRules(session: AnalysisSession): void {
  if (!session.engine) {
    log('coapwatch: SIGUSR2: detection is off (--no-rules or no rules), nothing to reload\n');
    return;
  }
  try {
    const rules = loadRuleSet(opts.rules);
    session.loadRules(rules);
    if (tally) tally.ruleReloads.ok++;
    log(`coapwatch: reloaded ${rules.length} rules\n`);
  } catch (err) {
    if (tally) tally.ruleReloads.failed++;
    log(`coapwatch: rules not reloaded, the ones in force stay: ${describe(err)}\n`);
  }
}

async function main(): Promise<void> {
  const queue = new PacketQueue(memory);
  let writer: RotatingPcapWriter | null = null;
  let session: AnalysisSession;
  let messages = 0;
  let events = 0;
  try {
    const rules = loadRuleSet(opts.rules);
    // Keys arrive as Uint8Arrays (structured clone); the DTLS stage wants Buffers.
    const keys = pskKeys([...(opts.pskFile ?? []), ...(opts.psk ?? [])].map((e) => ({ identity: e.identity, key: Buffer.from(e.key) })));
    if (opts.write !== undefined) {
      writer = new RotatingPcapWriter({
        path: opts.write, linkType, snaplen: opts.snaplen, maxBytes: opts.writeMaxSize * 1e6, maxFiles: opts.writeMaxFiles,
      });
    }
    session = new AnalysisSession({
      format: opts.format, coapPort: opts.coapPort, heuristic: opts.heuristic, db: opts.db, sensor: opts.sensor, storeMessages: opts.storeMessages,
      source: `iface:${opts.interface}`, live: true, recordFile: opts.write === undefined ? undefined : resolve(opts.write), rules, servers: opts.servers, psk: keys.size > 0 ? keys : undefined,
      onMessage: tally ? (m) => (messages++, tally.message(m)) : () => void messages++,
      onEvent: tally ? (e) => (events++, tally.event(e)) : () => void events++,
      eve: opts.eve === undefined ? undefined : { path: opts.eve, sensor: opts.sensor, iface: opts.interface },
    });
  } catch (err) {
    if (writer) {
      writer.close();
      for (const f of writer.files) unlinkQuietly(f);
    }
    send({ type: 'error', message: describe(err) });
    return;
  }

  const analyse = session.push;
  const push: PacketSink = tally ? (p) => (tally.frame(p.ts), analyse(p)) : analyse;
  const reader = new LiveFrameReader(queue, linkType, push, writer ?? undefined);
  const counters = (s: LiveStats): LiveCounters => ({
    interface: opts.interface, packetsReceived: s.received, droppedKernel: s.droppedKernel, droppedInterface: s.droppedInterface,
    droppedPipeline: s.droppedPipeline,
  });
  const line = (s: LiveStats) =>
    `coapwatch: ${s.received} received, ${s.droppedKernel ?? '?'} dropped (kernel), ${s.droppedInterface ?? '?'} dropped (interface), ` +
    `${s.droppedPipeline} dropped (coapwatch), ${messages} messages, ${events} events${evictedNote(session.overflows())}\n`;

  const started = performance.now();
  const eveStats = (s: LiveStats): EveStats => ({
    uptime: (performance.now() - started) / 1000, received: s.received, droppedKernel: s.droppedKernel, droppedInterface: s.droppedInterface,
    droppedPipeline: s.droppedPipeline, messages, alerts: events,
  });
  // Retention: a connection of its own, used once the run's batches are written (no transaction of
  // the run's is open then, and none starts while this thread prunes, so the two never wait for each other).
  const pruning = opts.pruneOlderThan === undefined ? null : openPruneTarget(opts.db);
  // A PostgreSQL store is shared by many sensors, each with its own retention: this one prunes its own runs.
  const pruneSensor = isPostgresUrl(opts.db) ? opts.sensor : null;
  let lastPrune = -Infinity;
  const prune = () => {
    if (!pruning || performance.now() / 1000 - lastPrune < PRUNE_INTERVAL_S) return;
    lastPrune = performance.now() / 1000;
    session.store!.sync();
    const result = pruning.prune(Date.now() / 1000 - opts.pruneOlderThan!, session.store!.runId, pruneSensor);
    log(`coapwatch: prune: ${pruneSummary(result)}\n`);
  };
  let final: LiveStats | null = null;
  let failure: unknown = null;
  port.on('message', (m: ToWorker) => {
    if (m.type === 'stop') {
      final = m.stats;
      return;
    }
    if (m.type === 'reload') {
      reloadRules(session);
      return;
    }
    if (m.type === 'reopen') {
      try {
        const problems = session.reopenOutputs();
        for (const problem of problems) log(`coapwatch: SIGHUP: ${problem}\n`);
        if (problems.length === 0) log(opts.eve !== undefined && opts.eve !== '-' ? `coapwatch: SIGHUP: reopened ${opts.eve}\n` : 'coapwatch: SIGHUP: no output file to reopen\n');
      } catch (err) {
        failure ??= err;
      }
      return;
    }
    try {
      // Frames are stamped when read: with none waiting, now is after every one of them.
      if (queue.length === 0) session.tick((performance.timeOrigin + performance.now()) / 1000);
      session.store?.liveCounters(counters(m.stats));
      session.eve?.stats(Date.now() / 1000, eveStats(m.stats));
      // The pcap first: the run's commit records each file's size, which then includes every frame it indexed.
      writer?.flush();
      session.flush();
      prune();
      if (!opts.ui) log(line(m.stats)); // the dashboard shows them
    } catch (err) {
      failure ??= err;
    }
  });
  const flushOutput = opts.format === 'ndjson' ? setInterval(() => session.writer.flush(), OUTPUT_FLUSH_MS) : null;
  const snapshots = tally === null ? null : setInterval(() => send({
    type: 'metrics', snapshot: tally.snapshot(session.tracker, queue.length, (performance.timeOrigin + performance.now()) / 1000, session.overflows()),
  }), SNAPSHOT_MS);
  send({ type: 'ready', runId: session.store!.runId });

  try {
    await reader.run(() => final !== null || failure !== null);
  } catch (err) {
    failure ??= err;
  }
  if (snapshots) clearInterval(snapshots);
  if (failure !== null) {
    // Capture is stopped by the main thread on this message; what was committed stays.
    if (flushOutput) clearInterval(flushOutput);
    send({ type: 'error', message: describe(failure) });
    return;
  }
  if (flushOutput) clearInterval(flushOutput);
  const end: LiveStats = final!;
  try {
    reader.drainAll(); // what was captured before the stop is still decoded
    session.store?.liveCounters(counters(end));
    session.eve?.stats(Date.now() / 1000, eveStats(end));
    writer?.close();
    session.finish(reader.delivered);
    pruning?.close();
  } catch (err) {
    send({ type: 'error', message: describe(err) });
    return;
  }
  log(line(end));
  for (const warning of session.pipeline.warnings()) log(`coapwatch: warning: ${warning}\n`);
  if (opts.format !== 'ndjson') {
    const d = session.pipeline.decoder.stats;
    const c = session.pipeline.coap.stats;
    session.writer.write(session.summary.render(`${opts.interface} (live, ${linkTypeName(linkType)}, ${reader.delivered} packets)`, reader.delivered, [
      ['undecodable frames', d.malformed],
      ['non-IP/UDP/TCP', d.ignored],
      ['DTLS records', c.dtlsRecords + session.pipeline.dtls.stats.records],
      ['DTLS sessions', dtlsSummary(session.pipeline.dtls.stats)],
      ['other UDP/TCP', c.notCoap],
    ], session.overflows()));
    session.writer.flush();
  }
  send({ type: 'done' });
}

main().then(
  () => port.close(),
  (err: unknown) => {
    send({ type: 'error', message: describe(err) });
    port.close();
  },
);

/** The counters line's note of entries dropped from full tables (the summary lists them by table). */
function evictedNote(overflows: readonly TableOverflow[]): string {
  if (overflows.length === 0) return '';
  const evicted = overflows.reduce((n, o) => n + o.evicted, 0);
  return `, ${evicted} table entries evicted (${overflows.length} ${overflows.length === 1 ? 'table' : 'tables'} full)`;
}
