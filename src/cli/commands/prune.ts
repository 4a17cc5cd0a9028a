import { InvalidArgumentError, type Command } from 'commander';
import { statSync } from 'node:fs';
import { isPostgresUrl, openPruneTarget, parseAge, pruneSummary, vacuum } from '../../store/index.js';

/** --older-than and --prune-older-than: "30d", "12h", "90m", "3600s", "2w". */
export function age(value: string): number {
  const seconds = parseAge(value);
  if (seconds === null) throw new InvalidArgumentError(`"${value}" is not an age: a number and a unit, s, m, h, d or w ("30d")`);
  return seconds;
}

/** `coapwatch prune --db FILE --older-than 30d`: retention for a database a sensor keeps writing. */
export function registerPruneCommand(program: Command): void {
  program
    .command('prune')
    .description('Remove what a database holds from before a given age: old runs with everything stored under them, and old events, messages and samples of live runs')
    .requiredOption('--db <path>', 'the database (it must exist): a SQLite file or a postgres:// URL')
    .requiredOption('--older-than <age>', 'what is older than this goes: a number and a unit, s, m, h, d or w ("30d")', age)
    .option('--sensor <name>', 'only the runs of this sensor (a store many sensors write to)')
    .option('--vacuum', 'then rewrite the SQLite file without the freed pages, so that it shrinks (needs the database to itself for a moment)')
    .addHelpText('after', `
A run goes whole (endpoints, observations, values, events, messages, DTLS sessions, ...) when it ended
before the cutoff (a run that never finished: when it last wrote). Of a live run (monitor) that is kept,
the events, stored messages and value samples from before the cutoff go; its current state stays.
Everything is removed in one transaction: a reader sees the database before or after, never half-way.
With --sensor, only that sensor's runs are looked at. A PostgreSQL store is pruned the same way,
in one transaction; --vacuum is for SQLite files (PostgreSQL's autovacuum reuses the space).
monitor --prune-older-than does the same every hour while it captures.
Prints one line: what was removed. Exit status: 0; 1 when the database cannot be opened or written.`)
    .action((opts: { db: string; olderThan: number; sensor?: string; vacuum?: boolean }) => {
      if (opts.vacuum && isPostgresUrl(opts.db)) {
        process.stderr.write('coapwatch: --vacuum shrinks a SQLite file; PostgreSQL reclaims the space itself (autovacuum): prune without it\n');
        process.exitCode = 1;
        return;
      }
      const target = openPruneTarget(opts.db);
      try {
        const result = target.prune(Date.now() / 1000 - opts.olderThan, null, opts.sensor ?? null);
        let line = pruneSummary(result);
        if (opts.vacuum && target.sqlite) {
          const before = statSync(opts.db).size;
          vacuum(target.sqlite, opts.db);
          line += `; vacuumed: ${mib(before)} → ${mib(statSync(opts.db).size)}`;
        }
        process.stdout.write(`${line}\n`);
      } finally {
        target.close();
      }
    });
}

function mib(bytes: number): string {
  return `${(bytes / 1048576).toFixed(1)} MiB`;
}
