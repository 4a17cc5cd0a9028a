import { sanitizeForTerminal } from '../../util/terminal-text.js';

/** Left-aligned columns for a terminal; every cell is sanitized (cells come off the network). */
export function renderTable(headers: string[], rows: Array<Array<string | number | null>>): string {
  const cells = rows.map((r) => r.map((c) => (c === null ? '-' : sanitizeForTerminal(String(c)))));
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((r) => r[i].length)));
  const line = (r: string[]) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]))).join('  ') + '\n';
  return line(headers) + cells.map(line).join('');
}

/** Capture time as ISO 8601 UTC to the second, or null. */
export function isoTime(t: number | null): string | null {
  return t === null ? null : new Date(Math.floor(t) * 1000).toISOString().replace('.000Z', 'Z');
}
