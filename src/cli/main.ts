import { Command, InvalidArgumentError, Option } from 'commander';
import { readFileSync } from 'node:fs';
import { StoreError } from '../store/index.js';
import { analyzeCommand, CaptureError, type AnalyzeOptions } from './analyze.js';
import { registerEndpointsCommand } from './commands/endpoints.js';
import { registerEventsCommand } from './commands/events.js';
import { registerGenerateCommand } from './commands/generate.js';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

function parsePorts(value: string, previous: number[]): number[] {
  const ports = value.split(',').map((p) => {
    const n = Number(p.trim());
    if (!Number.isInteger(n) || n < 1 || n > 65535) throw new InvalidArgumentError(`"${p}" is not a port number (1-65535)`);
    return n;
  });
  return previous.concat(ports);
}

const program = new Command();
program
  .name('coapwatch')
  .description('Passive CoAP / LwM2M traffic analyzer and security monitor')
  .version(pkg.version)
  .showHelpAfterError('(run with --help for usage)');

program
  .command('analyze')
  .description('Decode a pcap or pcapng capture: every CoAP message, matched and named as an LwM2M operation')
  .argument('<file>', 'capture file (pcap or pcapng)')
  .addOption(new Option('-f, --format <format>', 'output: a human summary, or one JSON object per message').choices(['summary', 'ndjson']).default('summary'))
  .option('--coap-port <ports>', 'extra UDP/TCP ports to decode as CoAP (repeatable, comma-separated); 5683 and 5684 always are', parsePorts, [])
  .option('--no-heuristic', 'do not look for CoAP on other UDP ports')
  .option('--no-progress', 'no progress bar (it is shown only when stderr is a terminal)')
  .option('--db <path>', 'write endpoints, observations and last values into this SQLite database (several runs may share one)')
  .option('--store-messages', 'with --db: store every message too')
  .addHelpText('after', `
Output (--format ndjson): one {"kind":"message",...} object per CoAP message, and a {"kind":"endpoint",...}
object whenever an endpoint changes state; see the README.
Exit status: 0 on success, 1 when the file cannot be read, the database cannot be written, or a flag is wrong.`)
  .action(async (file: string, opts: AnalyzeOptions) => {
    await analyzeCommand(file, opts);
  });

registerEndpointsCommand(program);
registerEventsCommand(program);
registerGenerateCommand(program);

program.parseAsync(process.argv).catch((err: unknown) => {
  if (err instanceof CaptureError || err instanceof StoreError) {
    process.stderr.write(`coapwatch: ${err.message}\n`);
  } else {
    process.stderr.write(`coapwatch: internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  }
  process.exit(1);
});
