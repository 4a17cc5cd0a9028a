import type { ReactElement } from 'react';
import { DocView, seg, type Line } from '../lines.js';

const KEYS: Array<[string, string]> = [
  ['↑ ↓  j k', 'move the selection / scroll'],
  ['PgUp PgDn  g G', 'a page up or down / first / last'],
  ['Enter', 'open: endpoint → detail → message flow → dissection; event → detail'],
  ['Esc', 'close the detail, or go back up'],
  ['Tab  Shift-Tab', 'next / previous view'],
  ['1 2 3 4 5', 'Overview, Endpoints, Endpoint, Flow, Events'],
  ['/', 'filter the list (Enter keeps it, Esc drops it)'],
  ['s  r', 'Endpoints: next sort column / reverse;  Events: lowest severity shown'],
  ['f  e', 'Endpoint: its message flow / its events'],
  ['o', 'Event detail: open the event\'s endpoint'],
  ['?', 'this help (any key closes it)'],
  ['q', 'quit'],
];

const FILTERS: Array<[string, string]> = [
  ['Endpoints', 'text matches name or address; state:registered keeps one state'],
  ['Events', 'text matches rule, endpoint or message; sev:high  rule:PART  ep:FULL-NAME'],
];

export function helpLines(): Line[] {
  const lines: Line[] = [[seg('Keys', { bold: true, color: 'cyan' })]];
  for (const [k, v] of KEYS) lines.push([seg('  ' + k.padEnd(18), { bold: true }), seg(v)]);
  lines.push([]);
  lines.push([seg('Filters', { bold: true, color: 'cyan' })]);
  for (const [k, v] of FILTERS) lines.push([seg('  ' + k.padEnd(18), { bold: true }), seg(v)]);
  lines.push([]);
  lines.push([seg('Every string that came off the network is drawn with its control characters replaced by �.', { dim: true })]);
  return lines;
}

export function HelpView({ width, height }: { width: number; height: number }): ReactElement {
  return <DocView lines={helpLines()} width={width} height={height} scroll={0} />;
}
