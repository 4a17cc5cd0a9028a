import { lineText, type Line } from './lines.js';
import type { DashboardSource } from './source.js';
import { endpointHeader, endpointLine } from './views/endpoints.js';
import { eventLine } from './views/events.js';
import { overviewLines } from './views/overview.js';

const PLAIN_ENDPOINTS = 20;
const PLAIN_EVENTS = 10;

/**
 * The dashboard as plain text (no colours, no keys) for a stdout that is not a terminal: the
 * overview, the most recently seen endpoints and the newest events.
 */
export function plainReport(source: DashboardSource, width: number): string {
  const w = Math.max(80, Math.min(width, 160));
  const out: string[] = [];
  const put = (l: Line) => out.push(lineText(l).trimEnd());
  for (const l of overviewLines(source.overview(), w)) put(l);
  const endpoints = source.endpoints({ sort: 'lastSeen', descending: true, filter: '', offset: 0, limit: PLAIN_ENDPOINTS });
  out.push('', `Endpoints (${endpoints.total}${endpoints.total > endpoints.rows.length ? `, the ${endpoints.rows.length} seen last` : ''}; coapwatch endpoints --db lists them all)`);
  put(endpointHeader(w, 'lastSeen', true));
  const now = source.now();
  for (const e of endpoints.rows) put(endpointLine(e, w, now));
  const events = source.events({ minSeverity: 'info', filter: '', offset: 0, limit: PLAIN_EVENTS });
  out.push('', `Events (${events.total}${events.total > events.rows.length ? `, newest ${events.rows.length}` : ''}; coapwatch events --db lists them all)`);
  for (const e of events.rows) put(eventLine(e, w));
  return out.join('\n') + '\n';
}
