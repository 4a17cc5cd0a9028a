import { InvalidArgumentError, Option, type Command } from 'commander';
import type { ListFilters, RowReader } from '../../store/index.js';
import { writeTable, type TableColumn } from '../format/table.js';
import { LineWriter } from '../output.js';

export interface ListingOptions {
  db: string;
  format: 'table' | 'ndjson';
  endpoint?: string;
  since?: number;
  sensor?: string;
}

/** `--since`: seconds since the epoch, or an ISO 8601 date/time ("2026-11-23T10:00:00Z"). */
export function parseSince(value: string): number {
  const t = /^\d+(\.\d+)?$/.test(value) ? Number(value) : Date.parse(value) / 1000;
  if (!Number.isFinite(t)) throw new InvalidArgumentError(`"${value}" is not a time (epoch seconds or ISO 8601)`);
  return t;
}

/** The options every database listing shares. */
export function addListingOptions(cmd: Command): Command {
  return cmd
    .requiredOption('--db <path>', 'database written by analyze --db or monitor: a SQLite file or a postgres:// URL')
    .addOption(new Option('-f, --format <format>', 'a table, or one JSON object per row').choices(['table', 'ndjson']).default('table'))
    .option('--endpoint <name>', 'only this endpoint')
    .option('--since <time>', 'only rows at or after this capture time (epoch seconds or ISO 8601)', parseSince)
    .option('--sensor <name>', 'only rows written by this sensor (the --sensor of analyze or monitor)');
}

export function filtersOf(opts: ListingOptions & { state?: string; rule?: string }): ListFilters {
  return { endpoint: opts.endpoint, state: opts.state, rule: opts.rule, since: opts.since, sensor: opts.sensor };
}

/**
 * Prints rows as they are read, one JSON object per line or a table of the given columns;
 * `rows` is read once, front to back, and never held whole (see writeTable).
 */
export function printListing<Row>(format: ListingOptions['format'], rows: Iterable<Row>, columns: Array<TableColumn<Row>>): void {
  const out = new LineWriter();
  if (format === 'ndjson') {
    for (const r of rows) out.write(JSON.stringify(r) + '\n');
  } else {
    writeTable((text) => out.write(text), columns, rows);
  }
  out.flush();
}

/**
 * The table's columns, with SENSOR before the last when the store is shared by many sensors
 * (PostgreSQL); a SQLite file's listing keeps its columns (its sensor is in --format ndjson).
 */
export function withSensor<Row extends { sensor: string | null }>(columns: Array<TableColumn<Row>>, store: RowReader): Array<TableColumn<Row>> {
  if (!store.shared) return columns;
  return [...columns.slice(0, -1), { header: 'SENSOR', cell: (r) => r.sensor }, ...columns.slice(-1)];
}
