import type { Command } from 'commander';
import { listEndpoints, openForReading } from '../../store/index.js';
import { isoTime } from '../format/table.js';
import { addListingOptions, filtersOf, printListing, type ListingOptions } from './listing.js';

/** `coapwatch endpoints --db PATH`: the registration table of every run in a database. */
export function registerEndpointsCommand(program: Command): void {
  addListingOptions(program.command('endpoints').description('List the endpoints stored by analyze --db or monitor'))
    .option('--state <state>', 'only endpoints in this state (registering, registered, expired, deregistered, rejected)')
    .action((opts: ListingOptions & { state?: string }) => {
      const db = openForReading(opts.db);
      const rows = listEndpoints(db, opts.db, filtersOf(opts));
      db.close();
      printListing(opts.format, rows, ['RUN', 'ENDPOINT', 'STATE', 'ADDRESS', 'LIFETIME', 'BINDING', 'LWM2M', 'OBJECTS', 'EXPIRES', 'LAST SEEN'], (r) => [r.run, r.endpoint, r.state, r.address, r.lifetime, r.binding, r.lwm2mVersion, r.objects.length,
            isoTime(r.expiresAt), isoTime(r.lastSeen)]);
    });
}
