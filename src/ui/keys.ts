import type { Key } from 'ink';
import type { Action, DashboardState } from './state.js';
import type { ViewName } from './view-names.js';

/**
 * The dashboard's keys as data, one table per context (as sngrep and lazygit declare theirs):
 * each binding names its keys, the action it dispatches and what it does. The key handler looks
 * keys up here, and the footer and the help view are drawn from the same tables, so neither can
 * drift from what a key does.
 */

/** Where keys are read: a view, a detail over it, the help, or the filter being typed. */
export type KeyContext = ViewName | 'message' | 'event' | 'help' | 'filter';

export interface Binding {
  /** Key names as keyName() gives them: 'j', 'G', 'enter', 'esc', 'up', 'pgdn', 'shift-tab', 'ctrl-u'. */
  keys: readonly string[];
  /** How the help writes the keys. */
  label: string;
  action: Action;
  /** What the key does, for the help. */
  help: string;
  /** Short text for the footer ("Enter open"); none: the footer leaves the key out. */
  hint?: string;
  /** The binding applies only in this state (the footer leaves it out otherwise). */
  when?: (s: DashboardState) => boolean;
}

export type KeyTable = readonly Binding[];

/** The name of a key as Ink reports it. Printable characters are themselves (space is "space"). */
export function keyName(ch: string, key: Key): string {
  if (key.upArrow) return 'up';
  if (key.downArrow) return 'down';
  if (key.leftArrow) return 'left';
  if (key.rightArrow) return 'right';
  if (key.pageUp) return 'pgup';
  if (key.pageDown) return 'pgdn';
  if (key.home) return 'home';
  if (key.end) return 'end';
  if (key.return) return 'enter';
  if (key.escape) return 'esc';
  if (key.tab) return key.shift ? 'shift-tab' : 'tab';
  // Terminals send 0x7f (which Ink reports as delete) or 0x08 for Backspace.
  if (key.backspace || key.delete) return 'backspace';
  if (key.ctrl) return `ctrl-${ch}`;
  if (key.meta) return `meta-${ch}`;
  return ch === ' ' ? 'space' : ch;
}

/**
 * Moving a cursor or scrolling a document: the same keys everywhere, described per context.
 * `gIsFree` false: g does something else there (the flow's go to frame), Home still goes to the top.
 */
function movement(what: string, unit: string, gIsFree = true): Binding[] {
  return [
    { keys: ['up', 'k'], label: '↑ k', action: { type: 'move', by: -1 }, help: `${what} up` },
    { keys: ['down', 'j'], label: '↓ j', action: { type: 'move', by: 1 }, help: `${what} down`, hint: `↑↓ ${unit}` },
    { keys: ['pgup'], label: 'PgUp', action: { type: 'move', by: 'page-up' }, help: 'a page up' },
    { keys: ['pgdn', 'space'], label: 'PgDn Space', action: { type: 'move', by: 'page-down' }, help: 'a page down' },
    gIsFree
      ? { keys: ['g', 'home'], label: 'g Home', action: { type: 'move', by: 'first' }, help: 'to the top' }
      : { keys: ['home'], label: 'Home', action: { type: 'move', by: 'first' }, help: 'to the top' },
    { keys: ['G', 'end'], label: 'G End', action: { type: 'move', by: 'last' }, help: 'to the bottom' },
  ];
}

/** Keys of every view (not while the filter is typed or the help is open). */
export const GLOBAL_KEYS: KeyTable = [
  { keys: ['tab'], label: 'Tab', action: { type: 'next-view', by: 1 }, help: 'next view' },
  { keys: ['shift-tab'], label: 'Shift-Tab', action: { type: 'next-view', by: -1 }, help: 'previous view' },
  { keys: ['1'], label: '1', action: { type: 'view', view: 'overview' }, help: 'Overview' },
  { keys: ['2'], label: '2', action: { type: 'view', view: 'endpoints' }, help: 'Endpoints' },
  { keys: ['3'], label: '3', action: { type: 'view', view: 'endpoint' }, help: 'Endpoint: the one chosen, or the one under the cursor' },
  { keys: ['4'], label: '4', action: { type: 'view', view: 'flow' }, help: 'Flow: its messages' },
  { keys: ['5'], label: '5', action: { type: 'view', view: 'events' }, help: 'Events' },
  { keys: ['6'], label: '6', action: { type: 'view', view: 'messages' }, help: 'Messages: every message of the run' },
  { keys: ['x'], label: 'x', action: { type: 'dismiss-alert' }, help: 'dismiss the banner of a new high or critical event', when: (s) => s.alert.event !== null },
  { keys: ['?'], label: '?', action: { type: 'help' }, help: 'the keys of this view (any key closes it)' },
  { keys: ['q', 'ctrl-c'], label: 'q Ctrl-C', action: { type: 'quit' }, help: 'quit' },
];

/** The footer's right part: the global keys worth a reminder. */
export const GLOBAL_HINT = 'Tab views  ? help  q quit';

export const KEY_TABLES: Record<KeyContext, KeyTable> = {
  overview: [
    { keys: ['enter'], label: 'Enter', action: { type: 'open' }, help: 'the endpoints', hint: 'Enter endpoints  Tab/1-6 views' },
  ],
  endpoints: [
    ...movement('move the selection', 'move'),
    { keys: ['enter'], label: 'Enter', action: { type: 'open' }, help: 'open the endpoint: its detail', hint: 'Enter open' },
    { keys: ['/'], label: '/', action: { type: 'filter' }, help: 'filter: text matches name or address; state:registered keeps one state', hint: '/ filter' },
    { keys: ['s'], label: 's', action: { type: 'sort' }, help: 'sort by the next column', hint: 's sort' },
    { keys: ['r'], label: 'r', action: { type: 'reverse' }, help: 'reverse the order', hint: 'r reverse' },
    { keys: ['esc'], label: 'Esc', action: { type: 'back' }, help: 'back to the overview' },
  ],
  endpoint: [
    ...movement('scroll', 'scroll'),
    { keys: ['enter', 'f'], label: 'Enter f', action: { type: 'flow' }, help: 'its message flow', hint: 'Enter/f message flow' },
    { keys: ['e'], label: 'e', action: { type: 'endpoint-events' }, help: 'its events', hint: 'e events' },
    { keys: ['esc'], label: 'Esc', action: { type: 'back' }, help: 'back to the endpoints', hint: 'Esc back' },
  ],
  flow: [
    ...movement('move the selection (newest at the bottom)', 'move', false),
    { keys: ['enter'], label: 'Enter', action: { type: 'open' }, help: 'the message\'s detail: dissection, bytes in hex, its request or response', hint: 'Enter detail' },
    { keys: ['g'], label: 'g', action: { type: 'goto-frame' }, help: 'go to a frame: type its number, Enter', hint: 'g frame' },
    { keys: ['/'], label: '/', action: { type: 'filter' }, help: 'search: address, type, code, method, operation, path or #FRAME', hint: '/ search' },
    { keys: ['n'], label: 'n', action: { type: 'search-next', older: true }, help: 'the next older match of the search', hint: 'n/N next', when: (s) => s.flow.search !== '' },
    { keys: ['N'], label: 'N', action: { type: 'search-next', older: false }, help: 'the next newer match of the search', when: (s) => s.flow.search !== '' },
    { keys: ['s'], label: 's', action: { type: 'save' }, help: 'save the flow\'s messages to a pcap (asks for the file name)', hint: 's save' },
    { keys: ['esc'], label: 'Esc', action: { type: 'back' }, help: 'back to the endpoint (or the events, when opened from one)', hint: 'Esc back' },
  ],
  events: [
    ...movement('move the selection', 'move'),
    { keys: ['enter'], label: 'Enter', action: { type: 'open' }, help: 'the event\'s messages: its flow with its frame marked', hint: 'Enter messages' },
    { keys: ['d'], label: 'd', action: { type: 'event-detail' }, help: 'the event\'s detail and evidence', hint: 'd detail' },
    { keys: ['/'], label: '/', action: { type: 'filter' }, help: 'filter: text matches rule, endpoint or message; sev:high  rule:PART  ep:FULL-NAME', hint: '/ filter' },
    { keys: ['s'], label: 's', action: { type: 'severity' }, help: 'the next lowest severity shown', hint: 's severity' },
    { keys: ['esc'], label: 'Esc', action: { type: 'back' }, help: 'back to the overview' },
  ],
  messages: [
    ...movement('move the selection (oldest at the top)', 'move'),
    { keys: ['enter'], label: 'Enter', action: { type: 'open' }, help: 'the message\'s detail: dissection, bytes in hex, its request or response', hint: 'Enter detail' },
    { keys: ['/'], label: '/', action: { type: 'filter' }, help: 'filter: ep:FULL-NAME addr:PART op:NAME code:2.04 frame:A-B; text: address, endpoint or path', hint: '/ filter' },
    { keys: ['s'], label: 's', action: { type: 'save' }, help: 'save the messages listed (all pages, as filtered) to a pcap (asks for the file name)', hint: 's save' },
    { keys: ['esc'], label: 'Esc', action: { type: 'back' }, help: 'back to the overview' },
  ],
  message: [
    ...movement('scroll', 'scroll'),
    { keys: ['esc'], label: 'Esc', action: { type: 'back' }, help: 'back to the list (the flow or the messages)', hint: 'Esc back' },
  ],
  event: [
    ...movement('scroll', 'scroll'),
    { keys: ['enter', 'm'], label: 'Enter m', action: { type: 'event-messages' }, help: 'the event\'s messages: its flow with its frame marked', hint: 'Enter messages' },
    { keys: ['o'], label: 'o', action: { type: 'event-endpoint' }, help: 'open the event\'s endpoint', hint: 'o open endpoint', when: (s) => s.event?.endpoint != null },
    { keys: ['esc'], label: 'Esc', action: { type: 'back' }, help: 'back to the events', hint: 'Esc back to events' },
  ],
  help: [
    { keys: ['q'], label: 'q', action: { type: 'quit' }, help: 'quit' },
    { keys: ['*'], label: 'any other key', action: { type: 'close-help' }, help: 'close the help', hint: 'any key: close help' },
  ],
  filter: [
    { keys: ['enter'], label: 'Enter', action: { type: 'keep-filter' }, help: 'keep the filter (saving: write the file)', hint: 'Enter keep' },
    { keys: ['esc'], label: 'Esc', action: { type: 'cancel-filter' }, help: 'drop the change: the filter as it was', hint: 'Esc cancel' },
    { keys: ['backspace'], label: 'Backspace', action: { type: 'erase' }, help: 'erase a character (all of the filter while it is selected)' },
    { keys: ['ctrl-u'], label: 'Ctrl-U', action: { type: 'clear-filter' }, help: 'clear the filter', hint: 'Ctrl-U clear' },
    { keys: ['*'], label: 'text', action: { type: 'type' }, help: 'type the filter (the filter shown when / was pressed is selected: typing replaces it)' },
  ],
};

/** The table that reads keys in `s`. */
export function keyContext(s: DashboardState): KeyContext {
  if (s.input) return 'filter';
  if (s.help) return 'help';
  if (s.message) return 'message';
  if (s.event) return 'event';
  return s.view;
}

/** Keys with a name rather than a character: never typed into the filter. */
const NAMED_KEYS = new Set(['up', 'down', 'left', 'right', 'pgup', 'pgdn', 'home', 'end', 'enter', 'esc', 'tab', 'shift-tab', 'backspace']);
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/**
 * The action of a key in `s`, or null when the key does nothing there. Global keys apply in the
 * views and their details; the filter and the help take every key ("*" in their tables).
 */
export function actionFor(s: DashboardState, name: string, ch: string): Action | null {
  const context = keyContext(s);
  const applies = (b: Binding) => b.when === undefined || b.when(s);
  const own = KEY_TABLES[context].find((b) => b.keys.includes(name) && applies(b));
  if (own) return own.action;
  if (context === 'filter') {
    const typed = !NAMED_KEYS.has(name) && !name.startsWith('ctrl-') && !name.startsWith('meta-') && ch !== '' && !CONTROL.test(ch);
    return typed ? { type: 'type', text: ch } : null;
  }
  if (context === 'help') return { type: 'close-help' };
  const global = GLOBAL_KEYS.find((b) => b.keys.includes(name) && applies(b));
  return global ? global.action : null;
}

/** The footer's key hints of the context, in table order. */
export function footerHints(s: DashboardState): string {
  return KEY_TABLES[keyContext(s)].filter((b) => b.hint !== undefined && (b.when === undefined || b.when(s))).map((b) => b.hint).join('  ');
}
