import { Command, Option } from 'commander';
import { readFileSync } from 'node:fs';
import { RuleLoadError } from '../rules/index.js';
import { StoreError } from '../store/index.js';
import { OutputFileError } from '../util/append-file.js';
import { analyzeCommand, CaptureError, type AnalyzeOptions } from './analyze.js';
import { registerEndpointsCommand } from './commands/endpoints.js';
import { registerEventsCommand } from './commands/events.js';
import { registerExportCommand } from './commands/export.js';
import { registerMessagesCommand } from './commands/messages.js';
import { EvidenceError } from '../evidence/index.js';
import { registerGenerateCommand } from './commands/generate.js';
import { registerUiCommand } from './commands/ui.js';
import { registerRulesCommand } from './commands/rules.js';
import { collectRulePaths } from './rule-set.js';
import { registerMonitorCommand } from './commands/monitor.js';
import { registerPruneCommand } from './commands/prune.js';
import { addEveOptions, addPskOptions, integerIn, parsePorts, parseServers, SERVERS_HELP } from './options.js';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

const program = new Command();
program
  .name('coapwatch')
  .description('Passive CoAP / LwM2M traffic analyzer and security monitor')
  .version(pkg.version)
  .showHelpAfterError('(run with --help for usage)');

const analyze = program
  .command('analyze')
  .description('Decode a pcap or pcapng capture: every CoAP message, matched and named as an LwM2M operation')
  .argument('<file>', 'capture file (pcap or pcapng)')
  .addOption(new Option('-f, --format <format>', 'output: a human summary, or one JSON object per message').choices(['summary', 'ndjson']).default('summary'))
  .option('--coap-port <ports>', 'extra UDP/TCP ports to decode as CoAP (repeatable, comma-separated); 5683 and 5684 always are', parsePorts, [])
  .option('--no-heuristic', 'do not look for CoAP, or DTLS handshakes, on other UDP ports')
  .option('--no-progress', 'no progress bar (it is shown only when stderr is a terminal)')
  .option('--db <path>', 'write endpoints, observations, last values, events and an index of every message (see coapwatch messages) into this database: a SQLite file (several runs may share one) or a postgres:// URL (many sensors may share one; see docs/postgres.md)')
  .option('--store-messages', "with --db: store every message's whole NDJSON record too (about 10x the capture's size; the dashboard's message flow reads it)")
  .option('--ui', 'show the terminal dashboard while the file is read, and keep it open until q (see coapwatch ui)')
  .option('--rules <path>', 'detection rules: a YAML file or a folder of them (repeatable; default: the bundled ruleset)', collectRulePaths)
  .option('--no-rules', 'no detection: decode and track state only')
  .option('--servers <addresses>', SERVERS_HELP, parseServers)
addEveOptions(addPskOptions(analyze))
  .addHelpText('after', `
Output (--format ndjson): one {"kind":"message",...} object per CoAP message, a {"kind":"dtls",...} object
whenever a DTLS session changes (hello, suite, established, alert, failure), a {"kind":"endpoint",...}
object whenever an endpoint changes state, and a {"kind":"event",...} object when a rule fires; see the README.
Exit status: 0 on success, 1 when the file cannot be read, the database or the --eve file cannot be written, a rule file
is wrong, or a flag is wrong.`)
  .action(async (file: string, opts: AnalyzeOptions) => {
    await analyzeCommand(file, opts);
  });

registerEndpointsCommand(program);
registerEventsCommand(program);
registerMessagesCommand(program);
registerExportCommand(program);
registerGenerateCommand(program);
registerUiCommand(program);
registerRulesCommand(program);
registerMonitorCommand(program);
registerPruneCommand(program);

program.parseAsync(process.argv).catch((err: unknown) => {
  if (err instanceof CaptureError || err instanceof StoreError || err instanceof RuleLoadError || err instanceof OutputFileError || err instanceof EvidenceError) {
    process.stderr.write(`coapwatch: ${err.message}\n`);
  } else {
    process.stderr.write(`coapwatch: internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  }
  process.exit(1);
});
