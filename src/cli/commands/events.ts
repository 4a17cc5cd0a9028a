import { Option, type Command } from 'commander';
import { basename } from 'node:path';
import { SEVERITIES, type Severity } from '../../rules/index.js';
import { listEvents, openForReading, type ListedEvent } from '../../store/index.js';
import { isoTime, type TableColumn } from '../format/table.js';
import { addListingOptions, filtersOf, printListing, type ListingOptions } from './listing.js';

const COLUMNS: Array<TableColumn<ListedEvent>> = [
  { header: 'RUN', cell: (r) => r.run },
  // The file name (or iface:NAME) tells runs apart at a glance; the full path is in --format ndjson.
  { header: 'SOURCE', cell: (r) => (r.source === null ? null : basename(r.source)), maxWidth: 32, keep: 'end' },
  { header: 'TIME', cell: (r) => isoTime(r.ts) },
  { header: 'SEVERITY', cell: (r) => r.severity },
  { header: 'RULE', cell: (r) => r.rule },
  { header: 'ENDPOINT', cell: (r) => r.endpoint },
  { header: 'SRC', cell: (r) => r.src },
  { header: 'FRAME', cell: (r) => r.frame },
  { header: 'COUNT', cell: (r) => r.count },
  { header: 'MESSAGE', cell: (r) => r.message, maxWidth: 200 },
];

/** `coapwatch events --db PATH`: the security events stored in a database. */
export function registerEventsCommand(program: Command): void {
  addListingOptions(program.command('events').description('List the events stored in a database'))
    .addOption(new Option('--severity <severity>', 'only events of this severity or worse').choices(SEVERITIES))
    .option('--rule <id>', 'only events of this rule')
    .addHelpText('after', `
Severities, least to most severe: ${SEVERITIES.join(', ')}. --severity medium lists medium, high and critical events.
SOURCE is the capture file or interface of the event's run (its full path in --format ndjson).
COUNT is how many identical events (same rule and endpoint) the rule's suppression window folded into the row.`)
    .action((opts: ListingOptions & { severity?: Severity; rule?: string }) => {
      const severities = opts.severity === undefined ? undefined : SEVERITIES.slice(SEVERITIES.indexOf(opts.severity));
      const db = openForReading(opts.db);
      try {
        printListing(opts.format, listEvents(db, opts.db, { ...filtersOf(opts), severities }), COLUMNS);
      } finally {
        db.close();
      }
    });
}
