import type { Command } from 'commander';
import { listEvents, openForReading } from '../../store/index.js';
import { isoTime, renderTable } from '../format/table.js';
import { LineWriter } from '../output.js';
import { addListingOptions, filtersOf, type ListingOptions } from './listing.js';

/** `coapwatch events --db PATH`: the security events stored in a database. */
export function registerEventsCommand(program: Command): void {
  addListingOptions(program.command('events').description('List the events stored in a database'))
    .option('--severity <severity>', 'only events of this severity')
    .action((opts: ListingOptions & { severity?: string }) => {
      const db = openForReading(opts.db);
      const rows = listEvents(db, opts.db, filtersOf(opts));
      db.close();
      const out = new LineWriter();
      if (opts.format === 'ndjson') {
        for (const r of rows) out.write(JSON.stringify(r) + '\n');
      } else {
        out.write(renderTable(
          ['TIME', 'SEVERITY', 'RULE', 'ENDPOINT', 'SRC', 'FRAME', 'MESSAGE'],
          rows.map((r) => [isoTime(r.ts), r.severity, r.rule, r.endpoint, r.src, r.frame, r.message]),
        ));
      }
      out.flush();
    });
}
