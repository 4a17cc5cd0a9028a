import { describe, expect, it } from 'vitest';
import { actionFor, footerHints, GLOBAL_KEYS, KEY_TABLES, keyContext, type KeyContext } from '../../../src/ui/keys.js';
import type { EventSummary, FlowMessage } from '../../../src/ui/source.js';
import { initialState, reduce, type Action, type DashboardState, type FlowFinder, type Screen } from '../../../src/ui/state.js';
import { helpLines } from '../../../src/ui/views/help.js';
import { lineText } from '../../../src/ui/lines.js';
import { flowRow, record } from './fake-source.js';

/* The dashboard's state machine without Ink: keys through the key tables, then reduce(). */

function screen(over: Partial<Screen> = {}): Screen {
  return {
    height: 10, listRows: 8, flowRows: 7, endpointTotal: 0, eventTotal: 0, flowTotal: 0, docLines: 0,
    endpointRows: [], eventRows: [], flowMessages: [], ...over,
  };
}

function event(id: number, endpoint: string | null): EventSummary {
  return { id, ts: 1, lastTs: null, count: 1, rule: 'r', severity: 'high', endpoint, src: null, dst: null, frame: id, message: 'm', details: {} };
}

/** The state after typing `keys` (key names; a one-character name is also its text). */
function press(s: DashboardState, sc: Screen, ...keys: string[]): DashboardState {
  for (const k of keys) {
    const action = actionFor(s, k, k.length === 1 ? k : k === 'space' ? ' ' : '');
    if (action) s = reduce(s, action, sc);
  }
  return s;
}

const names = (from: number, n: number) => Array.from({ length: n }, (_, i) => `meter-${from + i}`);

describe('dashboard state: lists', () => {
  const sc = screen({ endpointTotal: 100, endpointRows: names(0, 8) });
  const at = (s: DashboardState) => [s.endpoints.cursor, s.endpoints.top];

  it('moves the cursor, the window following it as little as possible, and clamps at both ends', () => {
    const s = initialState('endpoints');
    expect(at(press(s, sc, 'j', 'j', 'down'))).toEqual([3, 0]);
    expect(at(press(s, sc, 'k'))).toEqual([0, 0]);
    expect(at(press(s, sc, 'pgdn'))).toEqual([10, 3]);
    expect(at(press(s, sc, 'space', 'pgup'))).toEqual([0, 0]);
    expect(at(press(s, sc, 'G'))).toEqual([99, 92]);
    expect(at(press(s, sc, 'G', 'j'))).toEqual([99, 92]);
    expect(at(press(s, sc, 'G', 'g'))).toEqual([0, 0]);
  });

  it('Enter opens the endpoint under the cursor, as drawn; Esc goes back up', () => {
    const s = press(initialState('endpoints'), sc, 'j', 'j', 'enter');
    expect([s.view, s.selected, s.detailScroll]).toEqual(['endpoint', 'meter-2', 0]);
    expect(press(s, sc, 'esc').view).toBe('endpoints');
    expect(press(s, sc, 'esc', 'esc').view).toBe('overview');
    // The window shows rows 50..57: the cursor on 52 is the third row drawn.
    const deep = { ...initialState('endpoints'), endpoints: { ...initialState().endpoints, cursor: 52, top: 50 } };
    expect(press(deep, screen({ endpointTotal: 100, endpointRows: names(50, 8) }), 'enter').selected).toBe('meter-52');
  });

  it('s, r and the severity key start the list again from the top', () => {
    const s = press(initialState('endpoints'), sc, 'j', 'j', 's');
    expect([s.endpoints.sortIndex, s.endpoints.cursor]).toEqual([1, 0]);
    expect(press(s, sc, 'r').endpoints.descending).toBe(false);
    const ev = press(initialState('events'), screen({ eventTotal: 9 }), 'j', 's', 's');
    expect([ev.events.minSeverity, ev.events.cursor]).toEqual(['medium', 0]);
  });

  it('a key that changes nothing returns the same state (no redraw)', () => {
    const s = initialState('overview');
    expect(press(s, sc, 'j')).toBe(s);
    expect(press(s, sc, 'x')).toBe(s);
    expect(press(s, sc, 'esc')).toBe(s);
  });
});

describe('dashboard state: views, details and the flow', () => {
  it('Tab and Shift-Tab cycle the views; 3 takes the endpoint under the cursor as chosen', () => {
    const sc = screen({ endpointTotal: 3, endpointRows: names(0, 3) });
    expect(press(initialState(), sc, 'tab', 'tab').view).toBe('endpoint');
    expect(press(initialState(), sc, 'shift-tab').view).toBe('messages');
    const s = press(initialState('endpoints'), sc, 'j', '3');
    expect([s.view, s.selected]).toEqual(['endpoint', 'meter-1']);
  });

  it('the flow counts from the newest message: up goes back in time, Enter dissects the one under the cursor', () => {
    const messages: FlowMessage[] = [1, 2, 3, 4].map((f) => flowRow(record(f)));
    const sc = screen({ flowTotal: 4, flowMessages: messages });
    const s = { ...initialState('flow'), selected: 'meter-1' };
    expect(press(s, sc, 'enter').message?.frame).toBe(4);
    expect(press(s, sc, 'k', 'k', 'enter').message?.frame).toBe(2);
    expect(press(s, sc, 'home', 'enter').message?.frame).toBe(1);
    const open = press(s, sc, 'enter');
    expect(keyContext(open)).toBe('message');
    // Keys of the flow do not reach it under the dissection; Esc closes the dissection only.
    expect(press(open, sc, 'k').flow.cursor).toBe(0);
    expect(press(open, sc, 'esc')).toMatchObject({ view: 'flow', message: null });
  });

  it('event detail: o opens its endpoint only when it has one (and the footer says so only then)', () => {
    const sc = screen({ eventTotal: 2, eventRows: [event(1, 'meter-7'), event(2, null)] });
    const withEndpoint = press(initialState('events'), sc, 'd');
    expect(footerHints(withEndpoint)).toBe('↑↓ scroll  Enter messages  o open endpoint  Esc back to events');
    expect(press(withEndpoint, sc, 'o')).toMatchObject({ view: 'endpoint', selected: 'meter-7', event: null });
    const without = press(initialState('events'), sc, 'j', 'd');
    expect(footerHints(without)).toBe('↑↓ scroll  Enter messages  Esc back to events');
    expect(press(without, sc, 'o')).toBe(without);
  });

  it('e in an endpoint lists its events; help closes on any key, q quits from it', () => {
    const s = { ...initialState('endpoint'), selected: 'meter-3' };
    expect(press(s, screen(), 'e')).toMatchObject({ view: 'events', events: { filter: 'ep:meter-3', cursor: 0 } });
    const help = press(s, screen(), '?');
    expect(help.help).toBe(true);
    expect(press(help, screen(), 'j')).toMatchObject({ help: false, view: 'endpoint', detailScroll: 0 });
    expect(press(help, screen(), 'q').quit).toBe(true);
  });
});

describe('dashboard state: the / filter', () => {
  const sc = screen({ endpointTotal: 50, endpointRows: names(0, 8) });
  const filter = (s: DashboardState) => [s.input?.text ?? null, s.endpoints.filter];

  it('typed text is kept by Enter (the list back at its top) and dropped by Esc', () => {
    let s = press(initialState('endpoints'), sc, 'j', 'j', '/', 'm', 'e', 't');
    expect(filter(s)).toEqual(['met', '']);
    s = press(s, sc, 'enter');
    expect([filter(s), s.endpoints.cursor, s.input]).toEqual([[null, 'met'], 0, null]);
    expect(filter(press(s, sc, '/', 'x', 'esc'))).toEqual([null, 'met']);
  });

  it('keys of the views are text while the filter is typed; arrows and Tab are not', () => {
    const s = press(initialState('endpoints'), sc, '/', 'q', 'j', '2', '?', 'space', 'up', 'tab', 'pgdn');
    expect(s.input?.text).toBe('qj2? ');
    expect([s.view, s.quit, s.help]).toEqual(['endpoints', false, false]);
  });

  it('reopened, it starts from the filter in force, selected: typing replaces it, Backspace clears it', () => {
    const kept = press(initialState('endpoints'), sc, '/', 'o', 'l', 'd', 'enter');
    const reopened = press(kept, sc, '/');
    expect(reopened.input).toMatchObject({ text: 'old', selected: true });
    expect(press(reopened, sc, 'n', 'e', 'w', 'enter').endpoints.filter).toBe('new');
    expect(press(reopened, sc, 'backspace').input?.text).toBe('');
    // Once typed into, Backspace erases one character.
    expect(press(reopened, sc, 'right', 'a', 'b', 'backspace').input?.text).toBe('a');
  });

  it('Ctrl-U clears the filter at any point; Esc then restores the one in force', () => {
    const kept = press(initialState('endpoints'), sc, '/', 'a', 'b', 'enter');
    const cleared = press(kept, sc, '/', 'ctrl-u');
    expect(cleared.input).toMatchObject({ text: '', selected: false });
    expect(press(cleared, sc, 'enter').endpoints.filter).toBe('');
    expect(press(cleared, sc, 'esc').endpoints.filter).toBe('ab');
    expect(press(kept, sc, '/', 'x', 'y', 'ctrl-u', 'z', 'enter').endpoints.filter).toBe('z');
  });

  it('apply-filter (typing paused) brings the typed text to the list without closing the input', () => {
    const typing = press(initialState('events'), screen({ eventTotal: 9 }), 'j', '/', 's', 'e', 'v');
    const applied = reduce(typing, { type: 'apply-filter' }, screen());
    expect([applied.events.filter, applied.events.cursor, applied.input?.text]).toEqual(['sev', 0, 'sev']);
    expect(reduce(applied, { type: 'apply-filter' }, screen())).toBe(applied);
  });
});

describe('key tables', () => {
  const contexts = Object.keys(KEY_TABLES) as KeyContext[];
  /** A state whose key context is `c`. */
  function stateIn(c: KeyContext): DashboardState {
    const s = initialState();
    switch (c) {
      case 'filter': return { ...s, view: 'endpoints', input: { target: 'endpoints', text: '', before: '', selected: false } };
      case 'help': return { ...s, help: true };
      case 'message': return { ...s, view: 'flow', message: flowRow(record(1)) };
      case 'event': return { ...s, view: 'events', event: event(1, 'meter-1') };
      case 'flow': return { ...s, view: 'flow', flow: { ...s.flow, search: 'update' } };
      default: return { ...s, view: c };
    }
  }

  it('every key of every table dispatches the action the table gives it (the tables are the behaviour)', () => {
    for (const c of contexts) {
      const s = stateIn(c);
      expect(keyContext(s)).toBe(c);
      for (const b of KEY_TABLES[c]) {
        for (const k of b.keys) {
          if (k === '*') continue;
          expect(actionFor(s, k, k.length === 1 ? k : ''), `${c} ${k}`).toEqual<Action>(b.action);
        }
      }
    }
  });

  it('no key is bound twice in a context, nor shadows a global key by accident', () => {
    for (const c of contexts) {
      const keys = KEY_TABLES[c].flatMap((b) => b.keys);
      expect(new Set(keys).size, c).toBe(keys.length);
    }
    const globals = GLOBAL_KEYS.flatMap((b) => b.keys);
    expect(new Set(globals).size).toBe(globals.length);
    for (const c of ['overview', 'endpoints', 'endpoint', 'flow', 'events', 'message', 'event'] as const) {
      expect(KEY_TABLES[c].flatMap((b) => b.keys).filter((k) => globals.includes(k)), c).toEqual([]);
    }
  });

  it('the help of a context lists each of its keys and every global key, with what it does', () => {
    for (const c of contexts) {
      const text = helpLines(c, null, 200).map(lineText).join('\n');
      for (const b of [...KEY_TABLES[c], ...GLOBAL_KEYS]) {
        expect(text, `${c}: ${b.label}`).toContain(b.label);
        expect(text, `${c}: ${b.help}`).toContain(b.help);
      }
    }
  });

  it('the footers are those of the tables', () => {
    expect(footerHints(stateIn('endpoints'))).toBe('↑↓ move  Enter open  / filter  s sort  r reverse');
    expect(footerHints(stateIn('endpoint'))).toBe('↑↓ scroll  Enter/f message flow  e events  Esc back');
    expect(footerHints(stateIn('filter'))).toBe('Enter keep  Esc cancel  Ctrl-U clear');
  });
});

describe('from an event to its messages, and moving in a flow', () => {
  /** A flow of frames 1..40 for meter-7 (the odd ones) and for every message (all): the finder the source would be. */
  const all = Array.from({ length: 40 }, (_, i) => i + 1);
  const own = all.filter((f) => f % 2 === 1);
  const flowOf = (endpoint: string | null) => (endpoint === null ? all : endpoint === 'meter-7' ? own : []);
  const finder: FlowFinder = {
    frameOffset(endpoint, frame) {
      const frames = flowOf(endpoint);
      if (frames.length === 0) return null;
      const i = frames.findLastIndex((f) => f <= frame);
      return i < 0 ? { offset: frames.length - 1, exact: false } : { offset: frames.length - 1 - i, exact: frames[i] === frame };
    },
    searchFlow(endpoint, text, from, older) {
      const frames = flowOf(endpoint);
      for (let o = from + (older ? 1 : -1); o >= 0 && o < frames.length; o += older ? 1 : -1) if (String(frames[frames.length - 1 - o]).endsWith(text)) return o;
      return null;
    },
  };
  const eventAt = (frame: number | null, endpoint: string | null): EventSummary => ({ ...event(1, endpoint), frame });
  const sc = (over: Partial<Screen> = {}) => screen({ finder, flowRows: 7, eventTotal: 2, ...over });

  it('Enter on an event opens its endpoint\'s flow with the cursor on its frame, which is marked; Esc goes back to the events', () => {
    const s = press(initialState('events'), sc({ eventRows: [eventAt(21, 'meter-7')] }), 'enter');
    expect(s).toMatchObject({ view: 'flow', selected: 'meter-7', event: null });
    // Frame 21 is the 11th of meter-7's 20 messages: 9 newer ones; the window is centred on it.
    expect(s.flow).toMatchObject({ scope: 'endpoint', mark: 21, cursor: 9, bottom: 6, note: null, back: 'events' });
    expect(press(s, sc({ flowTotal: 20 }), 'esc').view).toBe('events');
  });

  it('an event of no endpoint (malformed-coap), or whose frame is not its endpoint\'s, opens every message around its frame', () => {
    const none = press(initialState('events'), sc({ eventRows: [eventAt(30, null)] }), 'enter');
    expect(none.flow).toMatchObject({ scope: 'all', mark: 30, cursor: 10 });
    const notOwn = press(initialState('events'), sc({ eventRows: [eventAt(30, 'meter-7')] }), 'enter');
    expect(notOwn.flow).toMatchObject({ scope: 'all', mark: 30, cursor: 10 });
    // From the event's detail: Enter (or m) opens the same.
    const detail = press(initialState('events'), sc({ eventRows: [eventAt(30, null)] }), 'd');
    expect(detail.event?.frame).toBe(30);
    expect(press(detail, sc(), 'enter').flow).toMatchObject({ scope: 'all', mark: 30, cursor: 10 });
    // Raised by the passage of time: no frame, the endpoint's newest messages; without an endpoint either, its detail.
    expect(press(initialState('events'), sc({ eventRows: [eventAt(null, 'meter-7')] }), 'enter')).toMatchObject({ view: 'flow', flow: { cursor: 0, mark: null } });
    expect(press(initialState('events'), sc({ eventRows: [eventAt(null, null)] }), 'enter')).toMatchObject({ view: 'events', event: { frame: null } });
  });

  it('o from the event\'s detail opens its endpoint, and f then its flow on the event\'s frame, marked', () => {
    const detail = press(initialState('events'), sc({ eventRows: [eventAt(21, 'meter-7')] }), 'd');
    const endpoint = press(detail, sc(), 'o');
    expect(endpoint).toMatchObject({ view: 'endpoint', selected: 'meter-7' });
    expect(press(endpoint, sc(), 'f')).toMatchObject({ view: 'flow', flow: { scope: 'endpoint', mark: 21, cursor: 9, back: 'endpoint' } });
    // A frame that is not the endpoint's: its flow from the newest message, nothing marked.
    const other = press(press(initialState('events'), sc({ eventRows: [eventAt(30, 'meter-7')] }), 'd'), sc(), 'o', 'f');
    expect(other.flow).toMatchObject({ mark: null, cursor: 0 });
  });

  it('g takes a frame number (digits only) and Enter goes to it, or to the nearest message before it with a note', () => {
    const s = { ...initialState('flow'), selected: 'meter-7' };
    const typing = press(s, sc(), 'g', '1', 'x', '5');
    expect(typing.input).toMatchObject({ target: 'frame', text: '15' });
    expect(press(typing, sc(), 'enter').flow).toMatchObject({ cursor: 12, note: null });
    expect(press(s, sc(), 'g', '1', '6', 'enter').flow).toMatchObject({ cursor: 12, note: 'frame 16 is not in this flow: the nearest message is selected' });
    expect(press(s, sc(), 'g', '9', 'esc')).toMatchObject({ input: null, flow: { cursor: 0 } });
  });

  it('/ searches the flow from the cursor towards older messages; n and N find the next older and newer match', () => {
    const s = { ...initialState('flow'), selected: null, flow: { ...initialState().flow, scope: 'all' as const } };
    const found = press(s, sc({ flowTotal: 40 }), '/', '5', 'enter');
    expect(found.flow).toMatchObject({ search: '5', cursor: 5, note: null }); // frame 35
    expect(press(found, sc({ flowTotal: 40 }), 'n').flow.cursor).toBe(15); // frame 25
    expect(press(found, sc({ flowTotal: 40 }), 'n', 'n', 'N').flow.cursor).toBe(15);
    const none = press(found, sc({ flowTotal: 40 }), 'N');
    expect(none.flow).toMatchObject({ cursor: 5, note: 'no newer message matches "5"' });
    // Reopened, the search in force is shown selected; n does nothing without one.
    expect(press(found, sc(), '/').input).toMatchObject({ target: 'flow', text: '5', selected: true });
    expect(press(s, sc(), 'n')).toBe(s);
  });

  it('a new high event raises a banner until x; events older than the last dismissed one do not', () => {
    const s = initialState();
    const raised = reduce(s, { type: 'alert', event: event(3, 'meter-1') }, screen());
    expect(raised.alert.event?.id).toBe(3);
    expect(footerHints(raised)).toBe('Enter endpoints  Tab/1-6 views');
    const dismissed = press(raised, screen(), 'x');
    expect(dismissed.alert).toEqual({ event: null, seen: 3 });
    expect(reduce(dismissed, { type: 'alert', event: event(2, 'meter-1') }, screen())).toBe(dismissed);
    expect(reduce(dismissed, { type: 'alert', event: event(4, null) }, screen()).alert.event?.id).toBe(4);
    expect(press(s, screen(), 'x')).toBe(s);
  });
});

describe('the Messages view and s (save)', () => {
  const rows = [1, 2, 3, 4].map((f) => flowRow(record(f)));
  const offers: Array<{ kind: string }> = [];
  const finder: FlowFinder = {
    frameOffset: () => null,
    searchFlow: () => null,
    saveOffer: (sel) => {
      offers.push(sel);
      return sel.kind === 'messages' && sel.filter === 'ep:nobody' ? { error: 'no messages to save' } : { name: 'coapwatch-1-1-4.pcap' };
    },
  };
  const sc = screen({ messageTotal: 4, messageRows: rows, finder, flowTotal: 4, flowMessages: rows });

  it('6 opens it; the cursor moves over its rows; Enter opens the detail of the row under it, Esc closes it', () => {
    const s = press(initialState(), sc, '6', 'j', 'j', 'enter');
    expect(s.view).toBe('messages');
    expect(s.message?.frame).toBe(3);
    expect(keyContext(s)).toBe('message');
    expect(press(s, sc, 'esc')).toMatchObject({ view: 'messages', message: null });
    expect(press(s, sc, 'esc', 'esc').view).toBe('overview');
  });

  it('/ filters it: applied as typed, kept with Enter, the cursor back on the first row', () => {
    const s = press(initialState('messages'), sc, 'j', '/', 'o', 'p', ':', 'r', 'e', 'a', 'd', 'enter');
    expect(s.messages).toEqual({ cursor: 0, top: 0, filter: 'op:read' });
    expect(press(s, sc, '/').input).toMatchObject({ target: 'messages', text: 'op:read', selected: true });
  });

  it('s asks for a file name, offering the source\'s (selected: typing replaces it); Enter asks the component to write it, which answers with one line', () => {
    offers.length = 0;
    const asked = press({ ...initialState('messages'), messages: { cursor: 0, top: 0, filter: 'op:read' } }, sc, 's');
    expect(offers).toEqual([{ kind: 'messages', filter: 'op:read' }]);
    expect(asked.input).toMatchObject({ target: 'save', text: 'coapwatch-1-1-4.pcap', selected: true });
    const kept = press(asked, sc, 'enter');
    expect(kept.input).toBeNull();
    expect(kept.save).toEqual({ selection: { kind: 'messages', filter: 'op:read' }, path: 'coapwatch-1-1-4.pcap' });
    // Another name typed over the offered one.
    expect(press(asked, sc, 'x', '.', 'p', 'enter').save?.path).toBe('x.p');
    // Esc: nothing saved.
    expect(press(asked, sc, 'esc')).toMatchObject({ input: null, save: null });
    const done = reduce(kept, { type: 'saved', status: 'wrote 2 frames (#1-#4) to /tmp/x.pcap' }, sc);
    expect(done).toMatchObject({ save: null, status: 'wrote 2 frames (#1-#4) to /tmp/x.pcap' });
    // The line stays until the next key.
    expect(press(done, sc, 'j').status).toBeNull();
  });

  it('s in the flow saves the flow (the endpoint\'s, or every message); a selection with nothing to save says why without asking', () => {
    offers.length = 0;
    const s = { ...initialState('flow', 'meter-1') };
    expect(press(s, sc, 's').input?.selection).toEqual({ kind: 'flow', endpoint: 'meter-1' });
    expect(press({ ...s, flow: { ...s.flow, scope: 'all' } }, sc, 's').input?.selection).toEqual({ kind: 'flow', endpoint: null });
    const refused = press({ ...initialState('messages'), messages: { cursor: 0, top: 0, filter: 'ep:nobody' } }, sc, 's');
    expect(refused).toMatchObject({ input: null, status: 'not saved: no messages to save' });
    // s elsewhere keeps its own meaning (the endpoints' sort).
    expect(press(initialState('endpoints'), sc, 's').endpoints.sortIndex).toBe(1);
  });
});
