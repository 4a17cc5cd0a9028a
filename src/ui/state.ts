import { SEVERITIES, type Severity } from '../rules/index.js';
import { ENDPOINT_SORT_KEYS, type EndpointSortKey, type EventSummary, type FlowMessage, type FramePlace, type SaveOffer, type SaveSelection } from './source.js';
import { VIEWS, type ViewName } from './view-names.js';

/**
 * What the dashboard shows and where the user is in it, and the one function that changes it:
 * reduce(state, action, screen). The key tables (keys.ts) turn keys into actions; the component
 * (app.tsx) draws the state and hands every action here. Nothing here knows Ink or a source:
 * what the last frame showed (list lengths, the rows on screen) comes in as the Screen.
 */

/** A list's selected row (an index into the whole list) and its first visible row. */
export interface ListPosition {
  cursor: number;
  top: number;
}

/**
 * The text being typed at the bottom line: a list's filter, a search of the flow, the frame to
 * go to in the flow, or the file `s` saves to.
 */
export interface FilterInput {
  /** A list's filter, the flow's search, a frame to go to, or the file to save to. */
  target: 'endpoints' | 'events' | 'messages' | 'flow' | 'frame' | 'save';
  text: string;
  /** The filter when / was pressed, restored by Esc. */
  before: string;
  /** The text is the earlier filter, shown selected: typing replaces it, Backspace clears it. */
  selected: boolean;
  /** Saving: the messages to save. */
  selection?: SaveSelection;
}

export interface DashboardState {
  view: ViewName;
  help: boolean;
  /** q was pressed: the component exits. */
  quit: boolean;
  /** The endpoint the endpoint and flow views show; null: the one under the endpoints cursor. */
  selected: string | null;
  input: FilterInput | null;
  endpoints: ListPosition & { sortIndex: number; descending: boolean; filter: string };
  events: ListPosition & { minSeverity: string; filter: string };
  /** The Messages view: every message of the run, oldest first, filtered. */
  messages: ListPosition & { filter: string };
  detailScroll: number;
  flow: FlowPosition;
  /** The message detailed over the flow or the Messages view, and the event detailed over the events. */
  message: FlowMessage | null;
  messageScroll: number;
  event: EventSummary | null;
  eventScroll: number;
  /** The newest high or critical event not yet dismissed, drawn as a banner; `seen` is the id of the last one dismissed or already there. */
  alert: { event: EventSummary | null; seen: number };
  /** A file to write the selection to: the component writes it and answers with 'saved'. */
  save: { selection: SaveSelection; path: string } | null;
  /** One line about the last save (what was written, or why not), until the next key. */
  status: string | null;
}

/** The flow shown and where in it the user is. */
export interface FlowPosition {
  /** The cursor counts from the newest message (at the bottom), `bottom` is the newest one visible. */
  cursor: number;
  bottom: number;
  /** The endpoint's messages (the selected endpoint), or every message of the run (an event without endpoint). */
  scope: 'endpoint' | 'all';
  /** The frame of the event the flow was opened from: its row is marked. */
  mark: number | null;
  /** The last search (n and N look for it again); '' none. */
  search: string;
  /** One line about the last go-to or search ("frame 12 is not in this flow"); null none. */
  note: string | null;
  /** Where Esc goes: the endpoint, or the events it was opened from. */
  back: 'endpoint' | 'events';
}

/**
 * What the reducer may ask of the data, read only (the source answers): where a frame or the
 * next match of a search lies in a flow. `endpoint` null: every message of the run.
 */
export interface FlowFinder {
  frameOffset(endpoint: string | null, frame: number): FramePlace | null;
  searchFlow(endpoint: string | null, text: string, from: number, older: boolean): number | null;
  /** The file name `s` offers for a selection, or why it cannot be saved. */
  saveOffer?(sel: SaveSelection): SaveOffer;
}

/** What the last frame showed, as far as keys depend on it. */
export interface Screen {
  /** Lines of the view body: a page, for PgUp/PgDn. */
  height: number;
  /** Rows of the endpoints and events lists, and of the flow. */
  listRows: number;
  flowRows: number;
  endpointTotal: number;
  eventTotal: number;
  flowTotal: number;
  /** Messages of the Messages view (as filtered). */
  messageTotal?: number;
  /** Lines of the document shown (endpoint detail, dissection, event detail). */
  docLines: number;
  /** The rows drawn, the first visible one first (the flow: oldest first, as drawn). */
  endpointRows: readonly string[];
  eventRows: readonly EventSummary[];
  flowMessages: readonly FlowMessage[];
  /** The Messages view's rows drawn, the first visible one first. */
  messageRows?: readonly FlowMessage[];
  /** Where frames and searches lie in the flows; none: going to a frame or searching does nothing. */
  finder?: FlowFinder;
}

export type Movement = number | 'page-up' | 'page-down' | 'first' | 'last';

export type Action =
  | { type: 'quit' }
  | { type: 'help' }
  | { type: 'close-help' }
  | { type: 'view'; view: ViewName }
  | { type: 'next-view'; by: 1 | -1 }
  | { type: 'move'; by: Movement }
  /** Enter: open what is under the cursor. */
  | { type: 'open' }
  /** Esc: close the detail, or go back up. */
  | { type: 'back' }
  | { type: 'filter' }
  | { type: 'sort' }
  | { type: 'reverse' }
  | { type: 'severity' }
  | { type: 'flow' }
  | { type: 'endpoint-events' }
  | { type: 'event-endpoint' }
  /** The messages of the event under the cursor (or in the detail): its flow with its frame marked. */
  | { type: 'event-messages' }
  /** The detail and evidence of the event under the cursor. */
  | { type: 'event-detail' }
  /** The flow: type a frame number to go to. */
  | { type: 'goto-frame' }
  /** The flow: the next match of the search, older (up) or newer (down). */
  | { type: 'search-next'; older: boolean }
  /** A new high or critical event came (the component looks for one after each redraw). */
  | { type: 'alert'; event: EventSummary }
  | { type: 'dismiss-alert' }
  /** s: save the messages shown (the Messages view as filtered, or the flow) to a pcap: asks for the file name. */
  | { type: 'save' }
  /** The component wrote (or failed to write) the file: one line about it. */
  | { type: 'saved'; status: string }
  /** Text typed into the filter (the key table's "*": the text is the key's). */
  | { type: 'type'; text?: string }
  | { type: 'erase' }
  | { type: 'clear-filter' }
  | { type: 'keep-filter' }
  | { type: 'cancel-filter' }
  /** The typed filter is applied to its list (typing has paused, see app.tsx). */
  | { type: 'apply-filter' };

export function initialState(view: ViewName = 'overview', endpoint: string | null = null): DashboardState {
  return {
    view, help: false, quit: false, selected: endpoint, input: null,
    endpoints: { cursor: 0, top: 0, sortIndex: 0, descending: true, filter: '' },
    events: { cursor: 0, top: 0, minSeverity: 'info', filter: '' },
    messages: { cursor: 0, top: 0, filter: '' },
    detailScroll: 0, flow: FLOW_START, message: null, messageScroll: 0, event: null, eventScroll: 0,
    alert: { event: null, seen: 0 }, save: null, status: null,
  };
}

const FLOW_START: FlowPosition = { cursor: 0, bottom: 0, scope: 'endpoint', mark: null, search: '', note: null, back: 'endpoint' };

/** The endpoint whose flow the flow view shows: null for every message of the run. */
export function flowEndpoint(s: DashboardState, screen: Screen): string | null {
  return s.flow.scope === 'all' ? null : selectedEndpoint(s, screen);
}

export const sortKeyOf = (s: DashboardState): EndpointSortKey => ENDPOINT_SORT_KEYS[s.endpoints.sortIndex];

/** First visible row so that `cursor` is on screen, moving the window as little as possible. */
export function follow(top: number, cursor: number, rows: number): number {
  if (rows <= 0) return 0;
  if (cursor < top) return cursor;
  if (cursor >= top + rows) return cursor - rows + 1;
  return top;
}

/** The cursor within the list and the window that shows it, for a list of `total` rows. */
export function listWindow(p: ListPosition, total: number, rows: number): ListPosition {
  const cursor = Math.min(p.cursor, Math.max(0, total - 1));
  return { cursor, top: Math.min(follow(p.top, cursor, rows), Math.max(0, total - rows)) };
}

/** The flow's window: `bottom` is to the newest message what `top` is to a list's first row. */
export function flowWindow(f: { cursor: number; bottom: number }, total: number, rows: number): { cursor: number; bottom: number } {
  const w = listWindow({ cursor: f.cursor, top: f.bottom }, total, rows);
  return { cursor: w.cursor, bottom: w.top };
}

/** The endpoint the endpoint and flow views show: the one chosen, else the one under the endpoints cursor. */
export function selectedEndpoint(s: DashboardState, screen: Screen): string | null {
  if (s.selected !== null) return s.selected;
  const w = listWindow(s.endpoints, screen.endpointTotal, screen.listRows);
  return screen.endpointRows[w.cursor - w.top] ?? null;
}

/** A step of `by` on a list of `total` rows whose page is `page` rows. */
function stepped(cursor: number, by: Movement, total: number, page: number): number {
  const last = Math.max(0, total - 1);
  const next = by === 'first' ? 0 : by === 'last' ? last : cursor + (by === 'page-up' ? -page : by === 'page-down' ? page : by);
  return Math.max(0, Math.min(last, next));
}

function moveList(p: ListPosition, by: Movement, total: number, screen: Screen): ListPosition {
  const at = listWindow(p, total, screen.listRows);
  return listWindow({ cursor: stepped(at.cursor, by, total, screen.height), top: at.top }, total, screen.listRows);
}

/** A document's scroll: at most to where its last line is at the bottom. */
function scrolled(scroll: number, by: Movement, screen: Screen): number {
  const delta = by === 'first' ? -Infinity : by === 'last' ? Infinity : by === 'page-up' ? -screen.height : by === 'page-down' ? screen.height : by;
  return Math.max(0, Math.min(scroll + delta, Math.max(0, screen.docLines - screen.height)));
}

function switchView(s: DashboardState, view: ViewName, screen: Screen): DashboardState {
  const name = selectedEndpoint(s, screen);
  const selected = (view === 'endpoint' || view === 'flow') && s.selected === null && name !== null ? name : s.selected;
  return { ...s, view, selected, message: null, event: null };
}

function openEndpoint(s: DashboardState, name: string): DashboardState {
  return { ...s, selected: name, detailScroll: 0, flow: FLOW_START, message: null, view: 'endpoint' };
}

/** The flow with the cursor on `offset`, the window centred on it when it moved out of sight. */
function flowAt(f: FlowPosition, offset: number, rows: number): FlowPosition {
  const visible = offset >= f.bottom && offset < f.bottom + rows;
  return { ...f, cursor: offset, bottom: visible ? f.bottom : Math.max(0, offset - Math.floor(rows / 2)) };
}

/**
 * The messages of an event: the flow of its endpoint (every message's when it has none, or when
 * its frame is not among its endpoint's messages) with the cursor on its frame, which is marked.
 * An event raised by the passage of time has no frame: its endpoint's newest messages.
 */
export function openEventMessages(s: DashboardState, e: EventSummary, screen: Screen): DashboardState {
  const base = { ...s, event: null, message: null, view: 'flow' as const };
  const start: FlowPosition = { ...FLOW_START, back: 'events', mark: e.frame };
  if (e.frame === null) {
    if (e.endpoint === null) return { ...s, event: e, eventScroll: 0 };
    return { ...base, selected: e.endpoint, flow: { ...start, note: 'raised by the passage of time, not by a message: the endpoint\'s newest messages' } };
  }
  const finder = screen.finder;
  let scope: FlowPosition['scope'] = 'all';
  let place = null;
  if (finder && e.endpoint !== null) {
    place = finder.frameOffset(e.endpoint, e.frame);
    if (place?.exact) scope = 'endpoint';
  }
  if (scope === 'all') place = finder?.frameOffset(null, e.frame) ?? null;
  const note = place === null ? `frame ${e.frame}: no message of it is kept` : place.exact ? null : `frame ${e.frame} is not a kept message: the nearest one is selected`;
  const flow = flowAt({ ...start, scope, note }, place?.offset ?? 0, screen.flowRows);
  return { ...base, selected: scope === 'endpoint' ? e.endpoint : s.selected, flow };
}

/** Goes to frame `frame` of the flow shown (the nearest message when it is not in it). */
function gotoFrame(s: DashboardState, frame: number, screen: Screen): DashboardState {
  const place = screen.finder?.frameOffset(flowEndpoint(s, screen), frame) ?? null;
  if (place === null) return { ...s, flow: { ...s.flow, note: `frame ${frame}: this flow has no messages` } };
  const note = place.exact ? null : `frame ${frame} is not in this flow: the nearest message is selected`;
  return { ...s, flow: { ...flowAt(s.flow, place.offset, screen.flowRows), note } };
}

/** The next match of `text` from the cursor, older (up) or newer (down). */
function searchFlow(s: DashboardState, text: string, older: boolean, screen: Screen): DashboardState {
  if (text.trim() === '') return { ...s, flow: { ...s.flow, search: '', note: null } };
  const from = flowWindow(s.flow, screen.flowTotal, screen.flowRows).cursor;
  const found = screen.finder?.searchFlow(flowEndpoint(s, screen), text, from, older) ?? null;
  if (found === null) return { ...s, flow: { ...s.flow, search: text, note: `no ${older ? 'older' : 'newer'} message matches "${text}"` } };
  return { ...s, flow: { ...flowAt(s.flow, found, screen.flowRows), search: text, note: null } };
}

/** The filter typed so far, applied to its list (the cursor back on the first row). */
function applied(s: DashboardState, input: FilterInput, text: string): DashboardState {
  switch (input.target) {
    case 'endpoints': return { ...s, endpoints: { ...s.endpoints, filter: text, cursor: 0, top: 0 } };
    case 'events': return { ...s, events: { ...s.events, filter: text, cursor: 0, top: 0 } };
    case 'messages': return { ...s, messages: { ...s.messages, filter: text, cursor: 0, top: 0 } };
    // A search and a frame number act on Enter only (keep-filter).
    default: return s;
  }
}

/** Enter on the bottom line: the filter kept, the search run, or the frame gone to. */
function kept(s: DashboardState, input: FilterInput, screen: Screen): DashboardState {
  const closed = { ...s, input: null };
  if (input.target === 'flow') return searchFlow(closed, input.text, true, screen);
  if (input.target === 'frame') return /^\d+$/.test(input.text) ? gotoFrame(closed, Number(input.text), screen) : closed;
  if (input.target === 'save') {
    const path = input.text.trim();
    return path === '' || input.selection === undefined ? closed : { ...closed, save: { selection: input.selection, path }, status: `saving to ${path} ...` };
  }
  return { ...applied(s, input, input.text), input: null };
}

/** The list filter applied to the list, or null for the flow's search and frame. */
function listFilter(s: DashboardState, input: FilterInput): string | null {
  return input.target === 'endpoints' || input.target === 'events' || input.target === 'messages' ? s[input.target].filter : null;
}

function editFilter(s: DashboardState, input: FilterInput, action: Action, screen: Screen): DashboardState {
  switch (action.type) {
    case 'type':
      if (!action.text) return s;
      // A frame number is digits: other keys are not typed into it.
      if (input.target === 'frame' && !/^\d+$/.test(action.text)) return s;
      return { ...s, input: { ...input, text: (input.selected ? '' : input.text) + action.text, selected: false } };
    case 'erase':
      return { ...s, input: { ...input, text: input.selected ? '' : input.text.slice(0, -1), selected: false } };
    case 'clear-filter':
      return { ...s, input: { ...input, text: '', selected: false } };
    case 'keep-filter':
      return kept(s, input, screen);
    case 'cancel-filter':
      return { ...applied(s, input, input.before), input: null };
    case 'apply-filter': {
      const current = listFilter(s, input);
      return current === null || current === input.text ? s : applied(s, input, input.text);
    }
    default:
      return s;
  }
}

/**
 * The state after `action`, given what the last frame showed. Pure: the same three arguments
 * give the same state, and an action that changes nothing returns `s` itself.
 */
export function reduce(s: DashboardState, action: Action, screen: Screen): DashboardState {
  if (action.type === 'saved') return { ...s, save: null, status: action.status };
  // The status line stays until the next key.
  if (s.status !== null && s.save === null && action.type !== 'alert' && action.type !== 'apply-filter') s = { ...s, status: null };
  if (s.input) return editFilter(s, s.input, action, screen);
  switch (action.type) {
    case 'quit':
      return { ...s, quit: true };
    case 'help':
      return { ...s, help: true };
    case 'close-help':
      return { ...s, help: false };
    case 'view':
      return switchView(s, action.view, screen);
    case 'next-view': {
      const i = VIEWS.indexOf(s.view);
      return switchView(s, VIEWS[(i + action.by + VIEWS.length) % VIEWS.length], screen);
    }
    case 'move':
      return move(s, action.by, screen);
    case 'open':
      return open(s, screen);
    case 'back':
      if (s.message) return { ...s, message: null };
      if (s.event) return { ...s, event: null };
      switch (s.view) {
        case 'endpoints': return { ...s, view: 'overview' };
        case 'endpoint': return { ...s, view: 'endpoints' };
        case 'flow': return { ...s, view: s.flow.back === 'events' ? 'events' : 'endpoint', flow: { ...s.flow, note: null } };
        case 'events': return { ...s, view: 'overview' };
        case 'messages': return { ...s, view: 'overview' };
        default: return s;
      }
    case 'filter': {
      if (s.view === 'flow') return { ...s, input: { target: 'flow', text: s.flow.search, before: s.flow.search, selected: s.flow.search !== '' } };
      if (s.view !== 'endpoints' && s.view !== 'events' && s.view !== 'messages') return s;
      const filter = s[s.view].filter;
      return { ...s, input: { target: s.view, text: filter, before: filter, selected: filter !== '' } };
    }
    case 'save': {
      if (s.view !== 'flow' && s.view !== 'messages') return s;
      const selection: SaveSelection = s.view === 'flow' ? { kind: 'flow', endpoint: flowEndpoint(s, screen) } : { kind: 'messages', filter: s.messages.filter };
      const offer = screen.finder?.saveOffer?.(selection) ?? { error: 'nothing to save' };
      if ('error' in offer) return { ...s, status: `not saved: ${offer.error}` };
      return { ...s, input: { target: 'save', text: offer.name, before: '', selected: true, selection } };
    }
    case 'goto-frame':
      return s.view === 'flow' ? { ...s, input: { target: 'frame', text: '', before: '', selected: false } } : s;
    case 'search-next':
      return s.view === 'flow' && s.flow.search !== '' ? searchFlow(s, s.flow.search, action.older, screen) : s;
    case 'event-messages': {
      const e = s.event ?? eventUnderCursor(s, screen);
      return e === null ? s : openEventMessages(s, e, screen);
    }
    case 'event-detail': {
      const e = eventUnderCursor(s, screen);
      return e === null ? s : { ...s, event: e, eventScroll: 0 };
    }
    case 'alert':
      return action.event.id > s.alert.seen && action.event.id !== s.alert.event?.id ? { ...s, alert: { ...s.alert, event: action.event } } : s;
    case 'dismiss-alert':
      return s.alert.event === null ? s : { ...s, alert: { event: null, seen: Math.max(s.alert.seen, s.alert.event.id) } };
    case 'sort':
      return { ...s, endpoints: { ...s.endpoints, sortIndex: (s.endpoints.sortIndex + 1) % ENDPOINT_SORT_KEYS.length, cursor: 0, top: 0 } };
    case 'reverse':
      return { ...s, endpoints: { ...s.endpoints, descending: !s.endpoints.descending, cursor: 0, top: 0 } };
    case 'severity': {
      const next = SEVERITIES[(SEVERITIES.indexOf(s.events.minSeverity as Severity) + 1) % SEVERITIES.length];
      return { ...s, events: { ...s.events, minSeverity: next, cursor: 0, top: 0 } };
    }
    case 'flow': {
      const name = selectedEndpoint(s, screen);
      // The endpoint's own flow: one opened from an event (every message, or a marked frame) is left.
      const own = s.flow.scope === 'endpoint' && s.flow.back === 'endpoint' && name === s.selected;
      return name === null ? s : { ...s, selected: name, view: 'flow', flow: own ? s.flow : FLOW_START };
    }
    case 'endpoint-events': {
      const name = selectedEndpoint(s, screen);
      return name === null ? s : { ...s, events: { ...s.events, filter: `ep:${name}`, cursor: 0, top: 0 }, view: 'events' };
    }
    case 'event-endpoint': {
      const e = s.event;
      if (!e?.endpoint) return s;
      const opened = openEndpoint({ ...s, event: null }, e.endpoint);
      // Its flow (f) opens on the event's frame, marked, when the frame is one of the endpoint's messages.
      const place = e.frame === null ? null : screen.finder?.frameOffset(e.endpoint, e.frame) ?? null;
      return place?.exact ? { ...opened, flow: flowAt({ ...FLOW_START, mark: e.frame }, place.offset, screen.flowRows) } : opened;
    }
    default:
      return s;
  }
}

function move(s: DashboardState, by: Movement, screen: Screen): DashboardState {
  if (s.message) return { ...s, messageScroll: scrolled(s.messageScroll, by, screen) };
  if (s.event) return { ...s, eventScroll: scrolled(s.eventScroll, by, screen) };
  switch (s.view) {
    case 'endpoints':
      return { ...s, endpoints: { ...s.endpoints, ...moveList(s.endpoints, by, screen.endpointTotal, screen) } };
    case 'events':
      return { ...s, events: { ...s.events, ...moveList(s.events, by, screen.eventTotal, screen) } };
    case 'messages':
      return { ...s, messages: { ...s.messages, ...moveList(s.messages, by, screen.messageTotal ?? 0, screen) } };
    case 'endpoint':
      return { ...s, detailScroll: scrolled(s.detailScroll, by, screen) };
    case 'flow': {
      // The cursor counts from the newest message, at the bottom: up goes back in time.
      const back: Movement = by === 'first' ? 'last' : by === 'last' ? 'first' : by === 'page-up' ? 'page-down' : by === 'page-down' ? 'page-up' : -by;
      const at = flowWindow(s.flow, screen.flowTotal, screen.flowRows);
      const cursor = stepped(at.cursor, back, screen.flowTotal, screen.height);
      return { ...s, flow: { ...s.flow, ...flowWindow({ cursor, bottom: at.bottom }, screen.flowTotal, screen.flowRows), note: null } };
    }
    default:
      return s;
  }
}

function open(s: DashboardState, screen: Screen): DashboardState {
  switch (s.view) {
    case 'overview':
      return switchView(s, 'endpoints', screen);
    case 'endpoints': {
      const w = listWindow(s.endpoints, screen.endpointTotal, screen.listRows);
      const name = screen.endpointRows[w.cursor - w.top];
      return name === undefined ? s : openEndpoint(s, name);
    }
    case 'flow': {
      const w = flowWindow(s.flow, screen.flowTotal, screen.flowRows);
      const rows = screen.flowMessages;
      const m = rows[rows.length - 1 - (w.cursor - w.bottom)];
      return m === undefined ? s : { ...s, message: m, messageScroll: 0 };
    }
    case 'events': {
      const e = eventUnderCursor(s, screen);
      return e === null ? s : openEventMessages(s, e, screen);
    }
    case 'messages': {
      const w = listWindow(s.messages, screen.messageTotal ?? 0, screen.listRows);
      const m = screen.messageRows?.[w.cursor - w.top];
      return m === undefined ? s : { ...s, message: m, messageScroll: 0 };
    }
    default:
      return s;
  }
}

function eventUnderCursor(s: DashboardState, screen: Screen): EventSummary | null {
  if (s.view !== 'events') return null;
  const w = listWindow(s.events, screen.eventTotal, screen.listRows);
  return screen.eventRows[w.cursor - w.top] ?? null;
}
