import { Option, type Command } from 'commander';
import { SEVERITIES } from '../../rules/index.js';
import { listEvents, openForReading } from '../../store/index.js';
import { isoTime } from '../format/table.js';
import { addListingOptions, filtersOf, printListing, type ListingOptions } from './listing.js';

/** `coapwatch events --db PATH`: the security events stored in a database. */
export function registerEventsCommand(program: Command): void {
  addListingOptions(program.command('events').description('List the events stored in a database'))
    .addOption(new Option('--severity <severity>', 'only events of this severity').choices(SEVERITIES))
    .option('--rule <id>', 'only events of this rule')
    .addHelpText('after', `
COUNT is how many identical events (same rule and endpoint) the rule's suppression window folded into the row.`)
    .action((opts: ListingOptions & { severity?: string; rule?: string }) => {
      const db = openForReading(opts.db);
      const rows = listEvents(db, opts.db, filtersOf(opts));
      db.close();
      printListing(opts.format, rows, ['TIME', 'SEVERITY', 'RULE', 'ENDPOINT', 'SRC', 'FRAME', 'COUNT', 'MESSAGE'],
        (r) => [isoTime(r.ts), r.severity, r.rule, r.endpoint, r.src, r.frame, r.count, r.message]);
    });
}
