import { lineText, type Line } from './lines.js';
import { messagesAround, type DashboardSource, type EventSummary } from './source.js';
import { endpointHeader, endpointLine } from './views/endpoints.js';
import { eventDetailLines, eventLine } from './views/events.js';
import { flowAddresses, flowTitle, ladderHeader, ladderLine, participants } from './views/flow.js';
import { overviewLines } from './views/overview.js';

const PLAIN_ENDPOINTS = 20;
const PLAIN_EVENTS = 10;
/** Messages printed around an event's frame. */
const PLAIN_AROUND = 21;

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

/**
 * An event as plain text (ui --event without a terminal): its detail and evidence, then the
 * messages around its frame in its endpoint's flow (every message's when it has none), the
 * frame's own marked ▶.
 */
export function plainEvent(source: DashboardSource, e: EventSummary, width: number): string {
  const w = Math.max(80, Math.min(width, 160));
  const out: string[] = [];
  const put = (l: Line) => out.push(lineText(l).trimEnd());
  for (const l of eventDetailLines(e, w, source.overview().captureFile)) put(l);
  if (e.frame === null) return out.join('\n') + '\n';
  let endpoint = e.endpoint;
  let around = endpoint === null ? null : messagesAround(source, e.frame, endpoint, PLAIN_AROUND);
  if (around === null || around.at === null) {
    endpoint = null;
    around = messagesAround(source, e.frame, null, PLAIN_AROUND);
  }
  out.push('');
  if (around === null) {
    const page = source.flow(null, 0, 0);
    out.push(page.unavailable ?? `frame ${e.frame}: no message of it is kept`);
    return out.join('\n') + '\n';
  }
  const { page } = around;
  put(flowTitle(endpoint, page));
  const parts = participants(flowAddresses(page.rows, endpoint === null ? null : source.endpoint(endpoint)?.address ?? null, [], e.frame));
  const names = new Map<string, string>(endpoint === null ? [] : [[parts[0], endpoint]]);
  for (const l of ladderHeader(parts, w, names)) put(l);
  for (const m of page.rows) put(ladderLine(m, parts, w, m.frame === e.frame));
  return out.join('\n') + '\n';
}
