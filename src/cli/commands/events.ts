import type { Command } from 'commander';
import { listEvents, openForReading } from '../../store/index.js';
import { isoTime } from '../format/table.js';
import { addListingOptions, filtersOf, printListing, type ListingOptions } from './listing.js';

/** `coapwatch events --db PATH`: the security events stored in a database. */
export function registerEventsCommand(program: Command): void {
  addListingOptions(program.command('events').description('List the events stored in a database'))
    .option('--severity <severity>', 'only events of this severity')
    .action((opts: ListingOptions & { severity?: string }) => {
      const db = openForReading(opts.db);
      const rows = listEvents(db, opts.db, filtersOf(opts));
      db.close();
      printListing(opts.format, rows, ['TIME', 'SEVERITY', 'RULE', 'ENDPOINT', 'SRC', 'FRAME', 'MESSAGE'], (r) => [isoTime(r.ts), r.severity, r.rule, r.endpoint, r.src, r.frame, r.message]);
    });
}
