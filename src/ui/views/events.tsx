import { Box } from 'ink';
import type { ReactElement } from 'react';
import { DocView, LineView, seg, type Line } from '../lines.js';
import type { EventSummary, Page } from '../source.js';
import { cell, clean, clock, count, dateTime, fit, severityColor } from '../text.js';

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
    seg(cell(answerCell(e), 7) + ' ', { color: answerColor(e), dim: e.outcome == null || e.outcome.outcome === 'pending' }),
    seg(e.count > 1 ? `×${count(e.count)} ` : '', { color: 'yellow' }),
    seg(clean(e.message)),
  ];
}

/** The answer in a list row: its code, "no ans", "…" while awaited, "-" for an event not raised on a request. */
function answerCell(e: EventSummary): string {
  const o = e.outcome;
  if (o == null) return '-';
  if (o.outcome === 'pending') return '…';
  if (o.outcome === 'no-answer') return 'no ans';
  return clean(o.code ?? o.outcome);
}

/** A request that took effect stands out; one the device refused does not. */
function answerColor(e: EventSummary): string | undefined {
  switch (e.outcome?.outcome) {
    case 'success': return 'red';
    case 'refused': return 'green';
    case 'error': return 'yellow';
    default: return undefined;
  }
}

/** The answer in the detail: what it was, in which frame, to which request. */
function outcomeText(e: EventSummary): string {
  const o = e.outcome!;
  const request = o.request !== null && o.request !== e.frame ? ` to frame ${o.request}, a repeat folded into this event` : '';
  switch (o.outcome) {
    case 'pending': return 'awaiting the answer';
    case 'no-answer': return `no answer${request}${o.ts === null ? '' : ` (known at ${dateTime(o.ts)} UTC)`}`;
    default: return `${clean(o.outcome)}: ${clean(o.code ?? '?')} in frame ${o.frame ?? '?'}${request}${o.ts === null ? '' : ` at ${dateTime(o.ts)} UTC`}`;
  }
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
    seg(page.total ? `  ${count(Math.min(cursor + 1, page.total))}/${count(page.total)}` : '', { dim: true }),
    seg(`  severity ≥ ${minSeverity}`, { color: severityColor(minSeverity) }),
    seg(filter ? `  filter: ${clean(filter)}` : '', { color: 'yellow' }),
    seg('  newest first', { dim: true }),
  ];
  const w = widths(width);
  const header: Line = [seg(`${cell('TIME', 9)}${cell('SEVERITY', 9)}${cell('RULE', w.rule + 1)}${cell('ENDPOINT', w.ep + 1)}${cell('FRAME', 8)}${cell('ANSWER', 8)}MESSAGE`, { bold: true })];
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

/** Nesting the evidence is laid out to; deeper values are written on one line. */
const EVIDENCE_DEPTH = 6;
/** Lines of evidence drawn at most (a rule's details are small; a hostile database's need not be). */
const EVIDENCE_LINES = 500;

/**
 * The evidence laid out for reading: one `key: value` line per field, nested objects and lists
 * indented under their key, list items as "- ". Every key and value is sanitized.
 */
export function evidenceLines(value: unknown, indent: string, width: number): Line[] {
  const lines: Line[] = [];
  const put = (pad: string, key: string | null, text: string | null) => {
    if (lines.length >= EVIDENCE_LINES) return;
    const room = Math.max(0, width - pad.length);
    const line: Line = [seg(pad)];
    if (key !== null) line.push(seg(fit(key + ':', room), { bold: true }));
    if (text !== null) line.push(seg((key !== null ? ' ' : '') + text));
    lines.push(line);
  };
  const scalar = (v: unknown): string | null => {
    if (v === null || v === undefined) return '-';
    if (typeof v === 'string') return clean(v);
    if (typeof v === 'number' || typeof v === 'boolean') return String(v);
    if (Array.isArray(v) && v.length === 0) return '(none)';
    if (typeof v === 'object' && Object.keys(v).length === 0) return '(none)';
    return null;
  };
  const walk = (v: unknown, pad: string, depth: number) => {
    if (depth >= EVIDENCE_DEPTH) {
      put(pad, null, '… (nested deeper)');
      return;
    }
    const entries: Array<[string | null, unknown]> = Array.isArray(v) ? v.map((x) => [null, x]) : Object.entries(v as object).map(([k, x]) => [clean(k), x]);
    for (const [k, x] of entries) {
      if (lines.length >= EVIDENCE_LINES) return;
      const text = scalar(x);
      const key = k ?? '-';
      if (text !== null) put(pad, k, k === null ? `- ${text}` : text);
      else if (Array.isArray(x) && x.every((y) => scalar(y) !== null) && x.length <= 8) put(pad, key === '-' ? null : key, (key === '-' ? '- ' : '') + x.map((y) => scalar(y)).join(', '));
      else {
        put(pad, k === null ? null : key, k === null ? '-' : null);
        walk(x, pad + '  ', depth + 1);
      }
    }
  };
  const top = scalar(value);
  if (top !== null) put(indent, null, top);
  else walk(value, indent, 0);
  if (lines.length >= EVIDENCE_LINES) lines.push([seg(`${indent}… (more than ${EVIDENCE_LINES} lines)`, { dim: true })]);
  return lines;
}

/** The event's detail and evidence. `captureFile`: the file its frame numbers refer to (tshark -r), null for an interface. */
export function eventDetailLines(e: EventSummary, width: number, captureFile: string | null = null): Line[] {
  const lines: Line[] = [];
  lines.push([seg(e.severity.toUpperCase(), { bold: true, color: severityColor(e.severity) }), seg('  '), seg(clean(e.rule), { bold: true })]);
  lines.push([seg(clean(e.message))]);
  lines.push([]);
  const row = (k: string, v: string) => lines.push([seg('  ' + k.padEnd(12), { bold: true }), seg(v)]);
  row('id', `${e.id}  (coapwatch ui --event ${e.id} opens here)`);
  row('time', `${dateTime(e.ts)} UTC`);
  if (e.count > 1) row('repeated', `${count(e.count)} times, last at ${dateTime(e.lastTs)} UTC`);
  row('endpoint', clean(e.endpoint ?? '-'));
  row('source', clean(e.src ?? '-'));
  row('destination', clean(e.dst ?? '-'));
  if (e.frame === null) row('frame', '- (raised by the passage of time)');
  else {
    row('frame', `${e.frame}  (Enter: its messages)`);
    // The event's own run's capture where the source knows it (a database of several runs), else the shown one.
    const file = e.capture ?? captureFile;
    if (file != null) row('', clean(`tshark -r ${shellWord(file)} -Y frame.number==${e.frame}`));
  }
  if (e.outcome != null) row('outcome', outcomeText(e));
  lines.push([]);
  lines.push([seg('Evidence', { bold: true, color: 'cyan' })]);
  lines.push(...evidenceLines(e.details ?? {}, '  ', width));
  return lines;
}

/** A path as one shell word: quoted when it holds anything but plain characters. */
function shellWord(path: string): string {
  return /^[\w./+-]+$/.test(path) ? path : `'${path.replace(/'/g, "'\\''")}'`;
}

export function EventDetailView({ event, captureFile, width, height, scroll }: {
  event: EventSummary; captureFile: string | null; width: number; height: number; scroll: number;
}): ReactElement {
  return <DocView lines={eventDetailLines(event, width, captureFile)} width={width} height={height} scroll={scroll} />;
}
