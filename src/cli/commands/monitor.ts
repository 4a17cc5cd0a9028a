import { readFileSync, unlinkSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { Command, InvalidArgumentError, Option } from 'commander';
import {
  CaptureError, linkTypeName, openLiveCapture, RotatingPcapWriter, type LiveStats, type PacketSink,
} from '../../capture/index.js';
import { parsePskFile, parsePskSpec, pskKeys, type PskEntry } from '../../dtls/index.js';
import { RuleLoadError } from '../../rules/index.js';
import { StoreError } from '../../store/index.js';
import type { LiveCounters } from '../../store/run-writer.js';
import { dtlsSummary } from '../format/dtls-record.js';
import { collectRulePaths, loadRuleSet } from '../rule-set.js';
import { AnalysisSession } from '../session.js';

export interface MonitorOptions {
  interface: string;
  filter?: string;
  snaplen: number;
  bufferSize: number;
  db: string;
  format: 'summary' | 'ndjson';
  coapPort: number[];
  heuristic: boolean;
  storeMessages?: boolean;
  /** Rule files or folders (--rules); false with --no-rules; undefined: the default ruleset. */
  rules?: string[] | false;
  psk?: PskEntry[];
  pskFile?: PskEntry[];
  write?: string;
  writeMaxSize: number;
  writeMaxFiles: number;
  statsInterval: number;
}

const COAP_PORTS = [5683, 5684];
/** Later IPv4 fragments and IPv6 fragments carry no UDP header: kept so that reassembly can see them. */
const FRAGMENTS = '(ip[6:2] & 0x1fff != 0) or (ip6 and ip6[6] == 44)';
/** stdout is written out this often, so that `--format ndjson` streams. */
const OUTPUT_FLUSH_MS = 500;

/** The BPF filter used without --filter: the CoAP and CoAP-over-DTLS ports (UDP and TCP), and IP fragments. */
export function defaultFilter(extraPorts: number[]): string {
  const ports = [...new Set([...COAP_PORTS, ...extraPorts])];
  return [...ports.flatMap((p) => [`udp port ${p}`, `tcp port ${p}`]), FRAGMENTS].join(' or ');
}

function integer(min: number, max: number, what: string) {
  return (value: string): number => {
    const n = Number(value.replace(/_/g, ''));
    if (!Number.isSafeInteger(n) || n < min || n > max) throw new InvalidArgumentError(`"${value}" is not ${what} from ${min} to ${max}`);
    return n;
  };
}

function seconds(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0.1) throw new InvalidArgumentError(`"${value}" is not a number of seconds (at least 0.1)`);
  return n;
}

function parsePsk(value: string, previous: PskEntry[] | undefined): PskEntry[] {
  try {
    return (previous ?? []).concat(parsePskSpec(value));
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
}

function parsePskFileOption(path: string): PskEntry[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new InvalidArgumentError(`cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  try {
    return parsePskFile(text);
  } catch (err) {
    throw new InvalidArgumentError(`${path}: ${(err as Error).message}`);
  }
}

function parsePorts(value: string, previous: number[]): number[] {
  return previous.concat(value.split(',').map((p) => integer(1, 65535, 'a port number')(p.trim())));
}

/** `coapwatch monitor -i IFACE`: the live form of `analyze`. */
export function registerMonitorCommand(program: Command): void {
  program
    .command('monitor')
    .description('Capture live on an interface (libpcap) and analyse as `analyze` does: decoding, state and database, until SIGINT or SIGTERM')
    .requiredOption('-i, --interface <name>', 'interface to capture on, or "any"')
    .option('--filter <bpf>', 'BPF capture filter in pcap-filter syntax; "" captures everything (default: UDP and TCP on 5683, 5684 and every --coap-port, plus IP fragments)')
    .option('--snaplen <bytes>', 'bytes kept of each frame', integer(64, 262_144, 'a length'), 65_535)
    .option('--buffer-size <MiB>', "libpcap's capture buffer in the kernel; a larger one rides out longer bursts", integer(1, 4096, 'a size in MiB'), 64)
    .option('--db <path>', 'SQLite database to write the run into (endpoints, observations, last values, events, counters)', './coapwatch.db')
    .addOption(new Option('-f, --format <format>', 'stdout: a summary at exit, or one JSON object per message and state change as they come').choices(['summary', 'ndjson']).default('summary'))
    .option('--coap-port <ports>', 'extra UDP/TCP ports to decode as CoAP (repeatable, comma-separated); 5683 and 5684 always are', parsePorts, [])
    .option('--no-heuristic', 'do not look for CoAP on other UDP ports (matters only with a --filter that lets other ports through)')
    .option('--store-messages', 'store every message in the database too')
    .option('--rules <path>', 'detection rules: a YAML file or a folder of them (repeatable; default: the bundled ruleset)', collectRulePaths)
    .option('--no-rules', 'no detection: decode and track state only')
    .option('--psk <identity:hexkey>', 'decrypt DTLS 1.2 PSK sessions of this PSK identity, as analyze does (repeatable)', parsePsk)
    .option('--psk-file <file>', 'read --psk keys from a file: one IDENTITY:HEXKEY a line, # comments', parsePskFileOption)
    .option('--write <file.pcap>', 'also keep every captured frame in pcap files: FILE, then FILE.1, FILE.2, ... (before the extension) as each reaches --write-max-size')
    .option('--write-max-size <MB>', 'size at which --write starts its next file', integer(1, 1_000_000, 'a size in MB'), 100)
    .option('--write-max-files <n>', 'with --write: keep only the newest N files (0: keep all)', integer(0, 1_000_000, 'a count'), 0)
    .option('--stats-interval <seconds>', 'how often the counters are logged and the database is committed', seconds, 5)
    .showHelpAfterError(false)
    .addHelpText('after', `
Every --stats-interval and at exit, one line on stderr:
  coapwatch: 12034 received, 0 dropped (kernel), 0 dropped (interface), 0 dropped (coapwatch), 11890 messages, 3 events
received: frames libpcap delivered; dropped (kernel): no room in the capture buffer ("?" when it cannot be read);
dropped (interface): the interface's own rx_dropped; dropped (coapwatch): decoding fell behind and its bounded
queue was full. The same counters are written into the run's row of the runs table.
Capture needs root or the CAP_NET_RAW capability, libpcap, and the optional module "cap" (installed with coapwatch
where libpcap-dev is present). Timestamps are the time coapwatch read each frame. Capture is promiscuous.
Exit status: 0 after SIGINT or SIGTERM (database committed, final counters printed); 1 when the interface does not exist,
capture is not permitted, the filter does not compile, libpcap or "cap" is missing, a rule file is wrong, or the
database cannot be written.`)
    .action(async (opts: MonitorOptions) => {
      await monitorCommand(opts);
    });
}

export async function monitorCommand(opts: MonitorOptions): Promise<void> {
  const filter = opts.filter ?? defaultFilter(opts.coapPort);
  // Rules and keys are checked before anything is opened.
  const rules = loadRuleSet(opts.rules);
  const keys = pskKeys([...(opts.pskFile ?? []), ...(opts.psk ?? [])]);
  let sink: PacketSink = () => {};
  let failure: ((err: unknown) => void) | null = null;
  // Capture opens first: its errors (interface, permission, filter, libpcap) leave nothing on disk.
  const capture = openLiveCapture({
    device: opts.interface, filter, snaplen: opts.snaplen, bufferSize: opts.bufferSize << 20,
    onError: (err) => failure?.(err),
  }, (p) => sink(p));

  let writer: RotatingPcapWriter | null = null;
  let session: AnalysisSession;
  let messages = 0;
  let events = 0;
  try {
    if (opts.write !== undefined) {
      writer = new RotatingPcapWriter({
        path: opts.write, linkType: capture.linkType, snaplen: opts.snaplen, maxBytes: opts.writeMaxSize * 1e6, maxFiles: opts.writeMaxFiles,
      });
    }
    session = new AnalysisSession({
      format: opts.format, coapPort: opts.coapPort, heuristic: opts.heuristic, db: opts.db, storeMessages: opts.storeMessages,
      source: `iface:${opts.interface}`, rules, psk: keys.size > 0 ? keys : undefined,
      onMessage: () => void messages++, onEvent: () => void events++,
    });
  } catch (err) {
    capture.stop();
    if (writer) {
      writer.close();
      for (const f of writer.files) unlinkQuietly(f);
    }
    throw err;
  }
  const push = session.push;
  const w = writer;
  sink = w ? (p) => (w.write(p.ts, p.data, p.origLength), push(p)) : push;

  const counters = (s: LiveStats): LiveCounters => ({
    interface: opts.interface, packetsReceived: s.received, droppedKernel: s.droppedKernel, droppedInterface: s.droppedInterface,
    droppedPipeline: s.droppedPipeline,
  });
  const line = (s: LiveStats) =>
    `coapwatch: ${s.received} received, ${s.droppedKernel ?? '?'} dropped (kernel), ${s.droppedInterface ?? '?'} dropped (interface), ` +
    `${s.droppedPipeline} dropped (coapwatch), ${messages} messages, ${events} events\n`;

  process.stderr.write(`coapwatch: capturing on ${opts.interface} (${linkTypeName(capture.linkType)}), filter "${filter}", database ${opts.db}\n`);

  return new Promise<void>((resolve) => {
    let done = false;
    const timers: NodeJS.Timeout[] = [];
    const end = (err: unknown) => {
      if (done) return;
      done = true;
      for (const t of timers) clearInterval(t);
      process.off('SIGINT', stop).off('SIGTERM', stop);
      let final: LiveStats | null = null;
      try {
        final = capture.stop();
        session.store?.liveCounters(counters(final));
        session.finish(final.delivered);
        writer?.close();
      } catch (finishErr) {
        err ??= finishErr;
      }
      if (final) process.stderr.write(line(final));
      if (err !== null) {
        const known = err instanceof CaptureError || err instanceof StoreError || err instanceof RuleLoadError;
        process.stderr.write(known ? `coapwatch: ${(err as Error).message}\n` : `coapwatch: internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
        process.exitCode = 1;
      } else if (opts.format !== 'ndjson' && final) {
        const d = session.pipeline.decoder.stats;
        const c = session.pipeline.coap.stats;
        session.writer.write(session.summary.render(`${opts.interface} (live, ${linkTypeName(capture.linkType)}, ${final.delivered} packets)`, final.delivered, [
          ['undecodable frames', d.malformed],
          ['non-IP/UDP/TCP', d.ignored],
          ['DTLS records', c.dtlsRecords + session.pipeline.dtls.stats.records],
          ['DTLS sessions', dtlsSummary(session.pipeline.dtls.stats)],
          ['other UDP/TCP', c.notCoap],
        ]));
        session.writer.flush();
      }
      resolve();
    };
    const stop = () => end(null);
    failure = (err) => end(err);
    process.once('SIGINT', stop).once('SIGTERM', stop);
    timers.push(setInterval(() => {
      try {
        const s = capture.stats();
        // Frames are stamped when read: with none waiting, now is after every one of them.
        if (s.queued === 0) session.tick((performance.timeOrigin + performance.now()) / 1000);
        session.store?.liveCounters(counters(s));
        session.flush();
        writer?.flush();
        process.stderr.write(line(s));
      } catch (err) {
        end(err);
      }
    }, opts.statsInterval * 1000));
    if (opts.format === 'ndjson') timers.push(setInterval(() => session.writer.flush(), OUTPUT_FLUSH_MS));
  });
}

function unlinkQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // never created
  }
}
