import { Box } from 'ink';
import type { ReactElement } from 'react';
import { DocView, LineView, seg, type Line } from '../lines.js';
import type { EventSummary, Page } from '../source.js';
import { cell, clean, clock, count, dateTime, severityColor } from '../text.js';

/** Rule and endpoint column widths: the message gets what is left. */
function widths(width: number): { rule: number; ep: number } {
  return { rule: Math.max(16, Math.min(30, Math.floor(width * 0.22))), ep: Math.max(12, Math.min(24, Math.floor(width * 0.14))) };
}

export function eventLine(e: EventSummary, width: number): Line {
  const { rule: ruleWidth, ep: epWidth } = widths(width);
  return [
    seg(clock(e.ts) + ' '),
    seg(cell(e.severity, 9), { color: severityColor(e.severity), bold: e.severity === 'critical' || e.severity === 'high' }),
    seg(cell(clean(e.rule), ruleWidth) + ' '),
    seg(cell(clean(e.endpoint ?? '-'), epWidth) + ' ', { color: 'cyan' }),
    seg(cell(e.frame === null ? '-' : `#${e.frame}`, 7) + ' ', { dim: true }),
    seg(e.count > 1 ? `×${count(e.count)} ` : '', { color: 'yellow' }),
    seg(clean(e.message)),
  ];
}

export interface EventsViewProps {
  page: Page<EventSummary>;
  cursor: number;
  minSeverity: string;
  filter: string;
  width: number;
  height: number;
}

/** Events, newest first, coloured by severity; one window of rows. */
export function EventsView({ page, cursor, minSeverity, filter, width, height }: EventsViewProps): ReactElement {
  const rows = Math.max(0, height - 2);
  const title: Line = [
    seg('Events ', { bold: true }), seg(count(page.total)),
    seg(page.total ? `  ${Math.min(cursor + 1, page.total)}/${count(page.total)}` : '', { dim: true }),
    seg(`  severity ≥ ${minSeverity}`, { color: severityColor(minSeverity) }),
    seg(filter ? `  filter: ${clean(filter)}` : '', { color: 'yellow' }),
    seg('  newest first', { dim: true }),
  ];
  const w = widths(width);
  const header: Line = [seg(`${cell('TIME', 9)}${cell('SEVERITY', 9)}${cell('RULE', w.rule + 1)}${cell('ENDPOINT', w.ep + 1)}${cell('FRAME', 8)}MESSAGE`, { bold: true })];
  return (
    <Box flexDirection="column" height={height}>
      <LineView line={title} width={width} />
      <LineView line={header} width={width} />
      {page.total === 0 ? <LineView line={[seg(filter || minSeverity !== 'info' ? 'no event matches the filter' : 'no events', { dim: true })]} width={width} /> : null}
      {page.rows.slice(0, rows).map((e, i) => (
        <LineView key={e.id} line={eventLine(e, width)} width={width} inverse={page.offset + i === cursor} />
      ))}
    </Box>
  );
}

/** Pretty JSON of the evidence, one line per key, every string sanitized. */
function jsonLines(value: unknown, indent: string, width: number): Line[] {
  const text = JSON.stringify(value, null, 2) ?? 'null';
  return text.split('\n').map((l) => [seg(indent + clean(l).slice(0, Math.max(0, width - indent.length)))]);
}

/** A path as a shell word: quoted when it has anything a shell would read. */
function shellWord(path: string): string {
  return /^[\w@%+=:,./-]+$/.test(path) ? path : `'${path.replace(/'/g, `'\\''`)}'`;
}

export function eventDetailLines(e: EventSummary, width: number): Line[] {
  const lines: Line[] = [];
  lines.push([seg(e.severity.toUpperCase(), { bold: true, color: severityColor(e.severity) }), seg('  '), seg(clean(e.rule), { bold: true })]);
  lines.push([seg(clean(e.message))]);
  lines.push([]);
  const row = (k: string, v: string) => lines.push([seg('  ' + k.padEnd(12), { bold: true }), seg(v)]);
  row('time', `${dateTime(e.ts)} UTC`);
  if (e.count > 1) row('repeated', `${count(e.count)} times, last at ${dateTime(e.lastTs)} UTC`);
  row('endpoint', clean(e.endpoint ?? '-'));
  row('source', clean(e.src ?? '-'));
  row('destination', clean(e.dst ?? '-'));
  row('frame', e.frame === null ? '- (raised by the passage of time)'
    : e.capture ? `${e.frame} (tshark -r ${clean(shellWord(e.capture))} -Y frame.number==${e.frame})` : `${e.frame} (the packet number in the run's capture)`);
  lines.push([]);
  lines.push([seg('Evidence', { bold: true, color: 'cyan' })]);
  lines.push(...jsonLines(e.details ?? {}, '  ', width));
  return lines;
}

export function EventDetailView({ event, width, height, scroll }: { event: EventSummary; width: number; height: number; scroll: number }): ReactElement {
  return <DocView lines={eventDetailLines(event, width)} width={width} height={height} scroll={scroll} />;
}
