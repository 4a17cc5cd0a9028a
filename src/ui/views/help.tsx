import type { ReactElement } from 'react';
import { GLOBAL_KEYS, KEY_TABLES, type Binding, type KeyContext } from '../keys.js';
import { DocView, seg, type Line } from '../lines.js';
import type { DashboardState } from '../state.js';

const CONTEXT_TITLES: Record<KeyContext, string> = {
  overview: 'Overview', endpoints: 'Endpoints', endpoint: 'Endpoint', flow: 'Message flow', events: 'Events',
  messages: 'Messages', message: 'Message detail', event: 'Event detail', help: 'Help', filter: 'Filter',
};

const FILTERS: Array<[string, string]> = [
  ['Endpoints', 'text matches name or address; state:registered keeps one state'],
  ['Events', 'text matches rule, endpoint or message; sev:high  rule:PART  ep:FULL-NAME'],
  ['Flow', 'a search: address, type, code, method, operation, path or #FRAME; n/N next'],
  ['Messages', 'ep:FULL-NAME addr:PART op:write code:4.01 frame:A-B; text: address, endpoint, path'],
];

const LABEL = 12;

/**
 * Bindings as help lines, two to a line when both fit half the width. Drawn from the key
 * tables themselves: what the help says a key does is what the key table makes it do.
 */
function bindingLines(bindings: readonly Binding[], width: number): Line[] {
  const half = Math.floor((width - 2) / 2);
  const item = (b: Binding) => [seg(b.label.padEnd(LABEL), { bold: true }), seg(b.help)];
  const fits = (b: Binding) => LABEL + b.help.length + 2 <= half;
  const lines: Line[] = [];
  for (let i = 0; i < bindings.length; i++) {
    const b = bindings[i];
    const next = bindings[i + 1];
    if (next !== undefined && fits(b) && fits(next)) {
      lines.push([seg('  '), ...item(b), seg(' '.repeat(half - LABEL - b.help.length)), ...item(next)]);
      i++;
    } else lines.push([seg('  '), ...item(b)]);
  }
  return lines;
}

/** The keys of the context the help was opened from, the keys of every view, and the filter syntax. */
export function helpLines(context: KeyContext, state: DashboardState | null, width: number): Line[] {
  const own = KEY_TABLES[context].filter((b) => state === null || b.when === undefined || b.when(state));
  const lines: Line[] = [[seg(`Keys: ${CONTEXT_TITLES[context]}`, { bold: true, color: 'cyan' })]];
  lines.push(...bindingLines(own, width), []);
  lines.push([seg('Every view', { bold: true, color: 'cyan' })], ...bindingLines(GLOBAL_KEYS, width), []);
  lines.push([seg('Filters', { bold: true, color: 'cyan' }), seg('  / in Endpoints, Events, the Flow and Messages; Enter keeps, Esc cancels, Ctrl-U clears', { dim: true })]);
  for (const [k, v] of FILTERS) lines.push([seg('  ' + k.padEnd(LABEL), { bold: true }), seg(v)]);
  lines.push([]);
  lines.push([seg('Every string that came off the network is drawn with its control characters replaced by �.', { dim: true })]);
  return lines;
}

export function HelpView({ context, state, width, height }: { context: KeyContext; state: DashboardState | null; width: number; height: number }): ReactElement {
  return <DocView lines={helpLines(context, state, width)} width={width} height={height} scroll={0} />;
}
