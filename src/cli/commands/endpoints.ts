import type { Command } from 'commander';
import { listEndpoints, openRowReader, type EndpointRow } from '../../store/index.js';
import { isoTime, type TableColumn } from '../format/table.js';
import { addListingOptions, filtersOf, printListing, withSensor, type ListingOptions } from './listing.js';

const COLUMNS: Array<TableColumn<EndpointRow>> = [
  { header: 'RUN', cell: (r) => r.run },
  { header: 'ENDPOINT', cell: (r) => r.endpoint },
  { header: 'STATE', cell: (r) => r.state },
  { header: 'ADDRESS', cell: (r) => r.address },
  { header: 'LIFETIME', cell: (r) => r.lifetime },
  { header: 'BINDING', cell: (r) => r.binding },
  { header: 'LWM2M', cell: (r) => r.lwm2mVersion },
  { header: 'OBJECTS', cell: (r) => (Array.isArray(r.objects) ? r.objects.length : '?') },
  { header: 'EXPIRES', cell: (r) => isoTime(r.expiresAt) },
  { header: 'LAST SEEN', cell: (r) => isoTime(r.lastSeen) },
];

/** `coapwatch endpoints --db PATH`: the registration table of every run in a database. */
export function registerEndpointsCommand(program: Command): void {
  addListingOptions(program.command('endpoints').description('List the endpoints stored by analyze --db or monitor'))
    .option('--state <state>', 'only endpoints in this state (registering, registered, expired, deregistered, rejected)')
    .action((opts: ListingOptions & { state?: string }) => {
      const db = openRowReader(opts.db);
      try {
        printListing(opts.format, listEndpoints(db, db.location, filtersOf(opts)), withSensor(COLUMNS, db));
      } finally {
        db.close();
      }
    });
}
