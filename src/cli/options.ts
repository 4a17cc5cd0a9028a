import { Command, InvalidArgumentError } from 'commander';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { parsePskFile, parsePskSpec, type PskEntry } from '../dtls/index.js';
import { parseServerSpec } from '../rules/index.js';

/** Option parsers that `analyze` and `monitor` share. */

/** An integer option within [min, max] ("1_000" allowed); the error names what it is ("a size in MiB"). */
export function integerIn(min: number, max: number, what = 'an integer') {
  return (value: string): number => {
    const n = Number(value.replace(/_/g, ''));
    if (!Number.isSafeInteger(n) || n < min || n > max) throw new InvalidArgumentError(`"${value}" is not ${what} from ${min} to ${max}`);
    return n;
  };
}

/** --coap-port PORTS: repeatable, comma-separated. */
export function parsePorts(value: string, previous: number[]): number[] {
  const ports = value.split(',').map((p) => {
    const n = Number(p.trim());
    if (!Number.isInteger(n) || n < 1 || n > 65535) throw new InvalidArgumentError(`"${p}" is not a port number (1-65535)`);
    return n;
  });
  return previous.concat(ports);
}

/** --servers ADDR[:PORT]|CIDR,...: repeatable, comma-separated; each entry checked here, kept as text (it crosses to the monitor's worker thread). */
export function parseServers(value: string, previous: string[] | undefined): string[] {
  const entries = value.split(',').map((spec) => {
    try {
      parseServerSpec(spec);
    } catch (err) {
      throw new InvalidArgumentError((err as Error).message);
    }
    return spec.trim();
  });
  return (previous ?? []).concat(entries);
}

/** The help text of --servers, the same for analyze and monitor. */
export const SERVERS_HELP =
  'the LwM2M servers of this network: ADDR (any port), ADDR:PORT, [IPv6]:PORT or ADDR/PREFIX, comma-separated (repeatable); ' +
  'device-management requests from them are not from strangers, besides those from the socket each client registered with';

/** A --psk value that did not parse: reported by checkPsk, because commander's InvalidArgumentError would echo the key. */
interface PskProblem {
  problem: string;
}

/** --psk IDENTITY:HEXKEY, repeatable. */
function parsePsk(value: string, previous: Array<PskEntry | PskProblem> | undefined): Array<PskEntry | PskProblem> {
  try {
    return (previous ?? []).concat(parsePskSpec(value));
  } catch (err) {
    return (previous ?? []).concat({ problem: (err as Error).message });
  }
}

/** Fails the command on a bad --psk with a message that names the problem and the identity, never the key. */
function checkPsk(_: Command, command: Command): void {
  const psk = (command.opts() as { psk?: Array<PskEntry | PskProblem> }).psk ?? [];
  for (const p of psk) {
    if ('problem' in p) command.error(`error: option '--psk <identity:hexkey>' is invalid: ${p.problem}`, { exitCode: 1, code: 'commander.invalidArgument' });
  }
}

/** --psk-file FILE: one IDENTITY:HEXKEY a line, # comments. */
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

/** --psk and --psk-file, with the check that keeps keys out of error messages. */
export function addPskOptions(cmd: Command): Command {
  return cmd
    .option('--psk <identity:hexkey>', 'decrypt DTLS 1.2 PSK sessions of this PSK identity (AES-128-CCM-8, -CCM, -GCM, -CBC-SHA256 suites) and analyse the CoAP inside; the identity is everything before the last ":" (repeatable)', parsePsk)
    .option('--psk-file <file>', 'read --psk keys from a file: one IDENTITY:HEXKEY a line, # comments', parsePskFileOption)
    .hook('preAction', checkPsk);
}

/** --eve and --sensor, shared by analyze and monitor. */
export function addEveOptions(cmd: Command): Command {
  return cmd
    .option('--eve <file>', 'also write the run in Suricata\'s EVE JSON format (alert, coap, dtls, stats records), appended to FILE ("-": stdout); see docs/eve.md')
    .option('--sensor <name>', 'the sensor\'s name in EVE records ("host") and in the database (runs.sensor; every row of a PostgreSQL store)', hostname())
    .hook('preAction', checkEve);
}

/** `--eve -` takes stdout: NDJSON records cannot share it. */
function checkEve(_: Command, command: Command): void {
  const o = command.opts() as { eve?: string; format?: string; sensor?: string; ui?: boolean };
  if (o.eve === '-' && o.format === 'ndjson') command.error('error: --eve - and --format ndjson both write to stdout: give --eve a file', { exitCode: 1 });
  if (o.eve === '-' && o.ui) command.error('error: --eve - and --ui both write to stdout: give --eve a file', { exitCode: 1 });
  if (o.sensor !== undefined && o.sensor.trim() === '') command.error('error: --sensor needs a name', { exitCode: 1 });
}
