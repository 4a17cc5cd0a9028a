import { sanitizeForTerminal } from '../../util/terminal-text.js';

export type Cell = string | number | null;

export interface TableColumn<Row> {
  header: string;
  cell: (row: Row) => Cell;
  /** Longest cell shown, in characters; longer ones are cut with an ellipsis. Default DEFAULT_MAX_WIDTH. */
  maxWidth?: number;
  /** Which end of a long cell to keep: the start (names), or the end (file paths, whose end says most). */
  keep?: 'start' | 'end';
}

/**
 * Cells come off the network and an endpoint name can be 60 kB: without a cap one such name
 * pads every row of the table to its width.
 */
export const DEFAULT_MAX_WIDTH = 48;

/**
 * Column widths are measured on the first rows only, so the table can be written while it is
 * read (a database of a million endpoints is never held in memory). A later cell wider than
 * its column (still within maxWidth) pushes the rest of its own row to the right.
 */
export const WIDTH_SAMPLE_ROWS = 1000;

/**
 * Writes left-aligned columns for a terminal, row by row as `rows` yields them: the first
 * WIDTH_SAMPLE_ROWS are read to size the columns, every later row is written before the next
 * is read. Every cell is sanitized (cells come off the network), then cut to its column's maxWidth.
 */
export function writeTable<Row>(write: (text: string) => void, columns: Array<TableColumn<Row>>, rows: Iterable<Row>): void {
  const fit = (row: Row) => columns.map((c) => fitCell(c.cell(row), c.maxWidth ?? DEFAULT_MAX_WIDTH, c.keep ?? 'start'));
  const iterator = rows[Symbol.iterator]();
  try {
    const sample: string[][] = [];
    let next = iterator.next();
    for (; !next.done && sample.length < WIDTH_SAMPLE_ROWS; next = iterator.next()) sample.push(fit(next.value));

    const widths = columns.map((c) => textWidth(c.header));
    for (const cells of sample) cells.forEach((cell, i) => (widths[i] = Math.max(widths[i], textWidth(cell))));
    const line = (cells: string[]) =>
      cells.map((cell, i) => (i === cells.length - 1 ? cell : cell + ' '.repeat(Math.max(0, widths[i] - textWidth(cell))))).join('  ') + '\n';

    write(line(columns.map((c) => c.header)));
    for (const cells of sample) write(line(cells));
    sample.length = 0;
    for (; !next.done; next = iterator.next()) write(line(fit(next.value)));
  } finally {
    // As a for-of loop would: a source stopped early (by an error) releases what it holds.
    iterator.return?.();
  }
}

/** A cell as shown: '-' for null, terminal-safe, at most maxWidth characters (the cut marked by '…'). */
export function fitCell(value: Cell, maxWidth: number, keep: 'start' | 'end' = 'start'): string {
  if (value === null) return '-';
  const text = sanitizeForTerminal(String(value));
  if (text.length <= maxWidth) return text;
  // Characters, not UTF-16 units, so a cut never splits a surrogate pair. Only the kept end
  // (at most two units per character) is split into characters: the rest may be 60 kB.
  const chars = Array.from(keep === 'start' ? text.slice(0, 2 * maxWidth) : text.slice(-2 * maxWidth));
  if (chars.length <= maxWidth && text.length <= 2 * maxWidth) return text;
  return keep === 'start' ? chars.slice(0, maxWidth - 1).join('') + '…' : '…' + chars.slice(-(maxWidth - 1)).join('');
}

/** Width of a cell in characters (code points: a surrogate pair is one). */
function textWidth(text: string): number {
  return text.length - (text.match(/[\ud800-\udbff][\udc00-\udfff]/g)?.length ?? 0);
}

/**
 * Capture time as ISO 8601 UTC to the second, or null. A value that is no time (a database
 * written by something else) is shown as it is rather than failing the listing.
 */
export function isoTime(t: number | null): string | null {
  if (t === null) return null;
  const date = new Date(Math.floor(t) * 1000);
  return Number.isNaN(date.getTime()) ? String(t) : date.toISOString().replace('.000Z', 'Z');
}
