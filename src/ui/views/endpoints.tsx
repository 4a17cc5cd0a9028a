import { Box } from 'ink';
import type { ReactElement } from 'react';
import { LineView, seg, type Line } from '../lines.js';
import type { EndpointSortKey, EndpointSummary, Page } from '../source.js';
import { cell, clean, clock, count, lifetimeLeft, stateColor } from '../text.js';

interface Column {
  title: string;
  key: EndpointSortKey | null;
  width: number;
  right?: boolean;
  /** Dropped first when the terminal is narrow (lower goes first). */
  priority: number;
  text: (e: EndpointSummary, now: number) => string;
}

const COLUMNS: Column[] = [
  { title: 'ENDPOINT', key: 'name', width: 20, priority: 9, text: (e) => clean(e.name) },
  { title: 'ADDRESS', key: 'address', width: 21, priority: 7, text: (e) => clean(e.address) },
  { title: 'STATE', key: 'state', width: 12, priority: 8, text: (e) => e.state },
  { title: 'LIFE LEFT', key: 'lifetime', width: 9, right: true, priority: 6, text: (e, now) => lifetimeLeft(e.state, e.expiresAt, now) },
  { title: 'VER', key: null, width: 4, priority: 3, text: (e) => clean(e.lwm2mVersion) },
  { title: 'BIND', key: null, width: 4, priority: 2, text: (e) => clean(e.binding) },
  { title: 'OBJS', key: 'objects', width: 4, right: true, priority: 4, text: (e) => String(e.objects) },
  { title: 'LAST SEEN', key: 'lastSeen', width: 10, priority: 5, text: (e) => clock(e.lastSeen) },
  { title: 'EVENTS', key: 'events', width: 6, right: true, priority: 6, text: (e) => (e.events ? count(e.events) : '') },
];

/** The columns that fit `width`, in table order; ENDPOINT takes the spare width. */
function columnsFor(width: number): Column[] {
  // Narrow terminals: shorter name and address columns (cut with …) before dropping columns.
  const chosen = width >= 100 ? [...COLUMNS] : COLUMNS.map((c) => (c.key === 'name' ? { ...c, width: 16 } : c.key === 'address' ? { ...c, width: 17 } : c));
  const need = () => chosen.reduce((n, c) => n + c.width + 1, 0);
  while (need() > width && chosen.length > 1) {
    const drop = chosen.reduce((lo, c) => (c.priority < lo.priority ? c : lo));
    chosen.splice(chosen.indexOf(drop), 1);
  }
  const spare = Math.max(0, width - need());
  return chosen.map((c) => (c.key === 'name' ? { ...c, width: c.width + Math.min(spare, 20) } : c));
}

export function endpointHeader(width: number, sort: EndpointSortKey, descending: boolean): Line {
  return columnsFor(width).map((c) => {
    const mark = c.key === sort ? (descending ? '▼' : '▲') : '';
    return seg(cell(c.title + mark, c.width, c.right) + ' ', { bold: true, color: c.key === sort ? 'cyan' : undefined });
  });
}

export function endpointLine(e: EndpointSummary, width: number, now: number): Line {
  return columnsFor(width).map((c) => {
    const t = cell(c.text(e, now), c.width, c.right) + ' ';
    if (c.title === 'STATE') return seg(t, { color: stateColor(e.state) });
    if (c.title === 'EVENTS' && e.events > 0) return seg(t, { color: 'red' });
    return seg(t);
  });
}

export interface EndpointsViewProps {
  page: Page<EndpointSummary>;
  /** Absolute index of the selected row. */
  cursor: number;
  sort: EndpointSortKey;
  descending: boolean;
  filter: string;
  now: number;
  width: number;
  height: number;
}

/** Title line, header and one window of rows (the page holds exactly the visible rows). */
export function EndpointsView({ page, cursor, sort, descending, filter, now, width, height }: EndpointsViewProps): ReactElement {
  const rows = Math.max(0, height - 2);
  const title: Line = [
    seg('Endpoints ', { bold: true }),
    seg(`${count(page.total)}`),
    seg(page.total ? `  ${count(Math.min(cursor + 1, page.total))}/${count(page.total)}` : '', { dim: true }),
    seg(filter ? `  filter: ${clean(filter)}` : '', { color: 'yellow' }),
    seg(`  sorted by ${sort}${descending ? ' (desc)' : ''}`, { dim: true }),
  ];
  const body = page.rows.slice(0, rows);
  return (
    <Box flexDirection="column" height={height}>
      <LineView line={title} width={width} />
      <LineView line={endpointHeader(width, sort, descending)} width={width} />
      {page.total === 0 ? <LineView line={[seg(filter ? 'no endpoint matches the filter' : 'no endpoints yet', { dim: true })]} width={width} /> : null}
      {body.map((e, i) => (
        <LineView key={page.offset + i} line={endpointLine(e, width, now)} width={width} inverse={page.offset + i === cursor} />
      ))}
    </Box>
  );
}
