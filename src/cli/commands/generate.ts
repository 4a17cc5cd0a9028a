import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { Command, InvalidArgumentError, Option } from 'commander';
import { ATTACK_NAMES } from '../../generate/attacks/index.js';
import { generateCapture, type GenerateOptions } from '../../generate/generate.js';
import { ipv4ToString } from '../../generate/ipv4.js';
import { loopbackClash } from '../../generate/live/loopback.js';
import { runLive } from '../../generate/live/run.js';
import { integerIn } from '../options.js';
import { BuiltInDemand, CsvDemand, type DemandProfile } from '../../generate/demand.js';

function seconds(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`"${value}" is not a positive number of seconds`);
  return n;
}

/** Only IPv4 for now: the pcap writer frames IPv4. */
function serverAddress(value: string): { ip: number; port: number } {
  const match = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3}):(\d{1,5})$/.exec(value);
  const octets = match ? match.slice(1, 5).map(Number) : [];
  const port = match ? Number(match[5]) : 0;
  if (!match || octets.some((o) => o > 255) || port < 1 || port > 65535) throw new InvalidArgumentError(`"${value}" is not an IPv4 HOST:PORT (e.g. 10.0.0.1:5683)`);
  return { ip: ((octets[0] << 24) | (octets[1] << 16) | (octets[2] << 8) | octets[3]) >>> 0, port };
}

function attackList(value: string): string[] {
  const names = value.split(',').map((n) => n.trim()).filter((n) => n !== '');
  const unknown = names.filter((n) => !ATTACK_NAMES.includes(n));
  if (unknown.length > 0 || names.length === 0) throw new InvalidArgumentError(`unknown attack "${unknown[0] ?? value}"; known: ${ATTACK_NAMES.join(', ')}`);
  return names;
}

function speedFactor(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`"${value}" is not a positive speed factor`);
  return n;
}

function startTime(value: string): number {
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw new InvalidArgumentError(`"${value}" is not an ISO 8601 time`);
  return ms * 1000;
}

/** A notification carries power and energy of every household: 16 of them take ~1.1 kB of SenML JSON, under coap-packet's 1280-byte limit. */
const MAX_HOUSEHOLDS = 16;
const DEFAULT_START = '2024-03-01T06:30:00Z';
const DEFAULT_SERVER = '10.0.0.1:5683';
const DEFAULT_LIVE_SERVER = '127.0.0.1:5683';
const DEFAULT_LIVE_TRUTH = 'live.truth.ndjson';

interface GenerateFlags {
  pcap?: string;
  live: boolean;
  meters: number;
  households: number;
  duration: number;
  speed: number;
  seed: number;
  start: number;
  server?: { ip: number; port: number };
  attack: string[];
  profiles?: string;
  bootstrap: boolean;
  queueMode: boolean;
  truth?: string;
}

/** `coapwatch generate`: a smart-meter fleet's LwM2M traffic, written straight to a pcap or played live on loopback. */
export function registerGenerateCommand(program: Command): void {
  program
    .command('generate')
    .description('The LwM2M traffic of a simulated smart-meter fleet (one server, N meters, households per meter): written to a pcap, or live on loopback')
    .option('--pcap <file>', 'capture to write (Ethernet/IPv4/UDP, classic pcap), as fast as it can be built')
    .option('--live', 'play the same traffic in real time on loopback, for --duration / --speed seconds: every server, meter and attacker a UDP socket of its own', false)
    .option('--meters <n>', 'meter clients', integerIn(1, 60_000), 20)
    .option('--households <n>', `households per meter: instances of its power object, at most ${MAX_HOUSEHOLDS} so that a notification of all of them fits one CoAP message (no block-wise transfer is generated)`, integerIn(1, MAX_HOUSEHOLDS), 10)
    .option('--duration <seconds>', 'simulated time', seconds, 3600)
    .option('--speed <x>', 'simulated seconds per second of capture (or, with --live, of wall clock): 60 puts an hour of fleet time in a minute', speedFactor, 1)
    .option('--seed <n>', 'random seed: the same flags and seed give the same bytes', integerIn(0, 0xffffffff), 1)
    .addOption(new Option('--start <time>', 'simulated start, ISO 8601').argParser(startTime).default(startTime(DEFAULT_START), DEFAULT_START))
    .option('--server <host:port>', `LwM2M server address, IPv4 (default: ${DEFAULT_SERVER}; with --live a 127.x.x.x address to listen on, default ${DEFAULT_LIVE_SERVER})`, serverAddress)
    .addOption(new Option('--attack <list>', `comma-separated attacks to inject, each message listed in FILE.truth.ndjson: ${ATTACK_NAMES.join(', ')}`)
      .argParser(attackList).default([], 'none'))
    .option('--truth <file>', `with --live and --attack: where the ground truth goes (default ${DEFAULT_LIVE_TRUTH}; with --pcap it is FILE.truth.ndjson)`)
    .option('--profiles <file.csv>', 'household demand from real 10-minute data instead of the built-in daily profile (layout below)')
    .option('--bootstrap', 'meters first bootstrap from 10.0.0.2:5683 (request, delete, write /0/0 and /1/0, finish)', false)
    .option('--queue-mode', 'meters register in queue mode, sleep, and wake every 150 s (half their lifetime) with an update and a notification', false)
    .showHelpAfterError(false)
    .addHelpText('after', `
--profiles CSV: an optional header row, then one row per 10-minute point, the first at --start.
Column 1 is a label (a timestamp, say) and is not read; each further column is one household,
in watts. Household h of the fleet (meter m, instance i: h = m * households + i) uses column
2 + (h mod household columns); rows repeat when the run outlasts them. Lines starting with # are
skipped. Values are interpolated linearly to one per second.

In the pcap, meters are 10.1.0.1, 10.1.0.2, ... port 56830; meter i is endpoint meter-<i, 5 digits>.
A third each are LwM2M 1.0 with TLV (object 3305), 1.1 with SenML JSON (object 10243) and 1.1 with
SenML CBOR (object 3305, also Send to /dp). Prints one JSON line: packets, bytes and requests per
LwM2M operation.
--live plays the very traffic --pcap writes (bootstrap, queue mode, Send and every attack alike), in real time
on loopback: each address a.b.c.d of the pcap becomes 127.b.c.d (meters 127.1.x.x, outside hosts 127.0.113.x,
the bootstrap server 127.0.0.2 on --server's port) with a port the kernel picks; the server listens on --server,
and CoAPS (the DTLS attacks and plaintext-downgrade) on the port above it. Silences (silent-meter,
mute-notifications) are seen only when their timeouts pass in wall-clock time. --live also prints how many
datagrams the sockets received, and lateMs, the most a datagram left after its time; --truth lists each
labelled datagram with its number in the order sent and the time it left.
Exit status: 0 on success, 1 when a flag is wrong or a file cannot be read or written.`)
    .action(async (flags: GenerateFlags) => {
      if ((flags.pcap === undefined) === !flags.live) return fail(new Error('generate: give one of --pcap FILE or --live'));
      if (!flags.live && flags.truth !== undefined) return fail(new Error('generate: --truth is for --live (--pcap FILE writes FILE.truth.ndjson)'));
      const server = flags.server ?? serverAddress(flags.live ? DEFAULT_LIVE_SERVER : DEFAULT_SERVER);
      if (flags.live && server.ip >>> 24 !== 127) return fail(new Error('generate: --live stays on loopback: --server must be a 127.x.x.x address'));
      const clash = flags.live ? loopbackClash(server.ip) : null;
      if (clash !== null) return fail(new Error(`generate: --server ${ipv4ToString(server.ip)} is among ${clash} addresses on loopback; use another, e.g. 127.0.0.1`));
      let demand: DemandProfile;
      try {
        demand = flags.profiles === undefined
          ? new BuiltInDemand(flags.seed)
          : new CsvDemand(readFileSync(flags.profiles, 'latin1'), Math.floor(flags.start / 1e6), flags.profiles);
      } catch (err) {
        return fail(err);
      }
      if (flags.live) return live(flags, server, demand);
      capture(flags, server, demand);
    });
}

async function live(flags: GenerateFlags, server: { ip: number; port: number }, demand: DemandProfile): Promise<void> {
  // SIGINT ends the run early: what was sent is still summed up and its truth written.
  let interrupted = false;
  const interrupt = () => void (interrupted = true);
  process.once('SIGINT', interrupt).once('SIGTERM', interrupt);
  try {
    const summary = await runLive({
      server, meters: flags.meters, households: flags.households, durationS: flags.duration, speed: flags.speed, seed: flags.seed,
      startUs: flags.start, demand, attacks: flags.attack, bootstrap: flags.bootstrap, queueMode: flags.queueMode,
      truth: flags.truth ?? DEFAULT_LIVE_TRUTH, stopped: () => interrupted,
    });
    process.stdout.write(JSON.stringify(summary) + '\n');
  } catch (err) {
    fail(err);
  } finally {
    process.off('SIGINT', interrupt).off('SIGTERM', interrupt);
  }
}

function capture(flags: GenerateFlags, server: { ip: number; port: number }, demand: DemandProfile): void {
  const options: GenerateOptions = {
    pcap: flags.pcap!, meters: flags.meters, households: flags.households, durationS: flags.duration, speed: flags.speed, seed: flags.seed,
    startUs: flags.start, server, attacks: flags.attack, bootstrap: flags.bootstrap, queueMode: flags.queueMode, demand,
  };
  const started = performance.now();
  try {
    const result = generateCapture(options);
    const elapsed = (performance.now() - started) / 1000;
    process.stdout.write(JSON.stringify({ ...result, seconds: Number(elapsed.toFixed(3)) }) + '\n');
  } catch (err) {
    fail(err);
  }
}

function fail(err: unknown): void {
  process.stderr.write(`coapwatch: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
}
