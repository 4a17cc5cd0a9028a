import { InvalidArgumentError, type Command } from 'commander';
// The dashboard (ink and React, ~0.45 s to load) is imported when the command runs, not with the CLI.
import { VIEWS, type ViewName } from '../../ui/view-names.js';

function parseRun(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`"${value}" is not a run number`);
  return n;
}

function parseEventId(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < 1) throw new InvalidArgumentError(`"${value}" is not an event id`);
  return n;
}

function parseView(value: string): ViewName {
  if (!(VIEWS as readonly string[]).includes(value)) throw new InvalidArgumentError(`"${value}" is not a view (${VIEWS.join(', ')})`);
  return value as ViewName;
}

/** `coapwatch ui --db PATH`: the terminal dashboard over a stored run. */
export function registerUiCommand(program: Command): void {
  program
    .command('ui')
    .description('Terminal dashboard over a database written by analyze --db or monitor: overview, endpoints, message flow, events, messages')
    .requiredOption('--db <path>', 'database written by analyze --db or monitor: a SQLite file or a postgres:// URL')
    .option('--run <n>', 'which run of the database to review (default: the latest)', parseRun)
    .option('--sensor <name>', 'review the runs of this sensor only (its latest, unless --run)')
    .option('--view <name>', `view to open with (${VIEWS.join(', ')})`, parseView)
    .option('--endpoint <name>', 'open on this endpoint (its detail, or the view --view names)')
    .option('--event <id>', 'open on this event\'s messages, its frame marked (the ids are in coapwatch events --db and the events view)', parseEventId)
    .option('--source <path>', "the run's capture file, when it is no longer where the run read it (the message detail's bytes and s read frames from it)")
    .option('--follow', 'the run is still being written (monitor --db, a running analyze --db): show what it commits, once a second')
    .addHelpText('after', `
Keys: arrows or j/k move, Enter opens, Esc goes back, Tab switches views, / filters, s saves the messages shown
to a pcap (Flow and Messages), ? shows every key, q quits.
When stdout is not a terminal, a plain overview, the endpoints seen last and the newest events are printed instead.`)
    .action(async (opts: { db: string; run?: number; view?: ViewName; follow?: boolean; endpoint?: string; event?: number; source?: string; sensor?: string }) => {
      const { runStoredDashboard } = await import('../../ui/index.js');
      await runStoredDashboard(opts.db, opts);
    });
}
