import { Option, type Command } from 'commander';
import { basename } from 'node:path';
import { SEVERITIES, type Severity } from '../../rules/index.js';
import { listEvents, openRowReader, type ListedEvent, type StoredOutcome } from '../../store/index.js';
import { isoTime, type TableColumn } from '../format/table.js';
import { addListingOptions, filtersOf, printListing, withSensor, type ListingOptions } from './listing.js';

const COLUMNS: Array<TableColumn<ListedEvent>> = [
  // What messages --event, export --event and ui --event take.
  { header: 'ID', cell: (r) => r.id },
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
  { header: 'OUTCOME', cell: (r) => outcomeCell(r.outcome) },
  { header: 'MESSAGE', cell: (r) => r.message, maxWidth: 200 },
];

/** `coapwatch events --db PATH`: the security events stored in a database. */
export function registerEventsCommand(program: Command): void {
  addListingOptions(program.command('events').description('List the events stored in a database'))
    .addOption(new Option('--severity <severity>', 'only events of this severity or worse').choices(SEVERITIES))
    .option('--rule <id>', 'only events of this rule')
    .addHelpText('after', `
Severities, least to most severe: ${SEVERITIES.join(', ')}. --severity medium lists medium, high and critical events.
ID is the event's id in the database, as messages --event, export --event and ui --event take it.
SOURCE is the capture file or interface of the event's run (its full path in --format ndjson).
COUNT is how many matches the row stands for: the event and those its rule's suppression folded into it.
OUTCOME is how the request the event was raised on was answered: success, refused (4.xx, RST), error (5.xx)
or no-answer, with the answer's code and frame ("refused 4.01 #66"); pending while unknown; empty when the
event was not raised on a request.`)
    .action((opts: ListingOptions & { severity?: Severity; rule?: string }) => {
      const severities = opts.severity === undefined ? undefined : SEVERITIES.slice(SEVERITIES.indexOf(opts.severity));
      const db = openRowReader(opts.db);
      try {
        printListing(opts.format, listEvents(db, db.location, { ...filtersOf(opts), severities }), withSensor(COLUMNS, db));
      } finally {
        db.close();
      }
    });
}

/** "refused 4.01 #66", "no-answer", "pending"; null when the event awaits no answer. */
export function outcomeCell(o: StoredOutcome | null): string | null {
  if (o === null) return null;
  return [o.outcome, o.code, o.frame === null ? null : `#${o.frame}`].filter((x) => x !== null).join(' ');
}
