import { Box, useApp, useInput, useStdin, useStdout, type Key } from 'ink';
import { useCallback, useEffect, useRef, useState, type ReactElement } from 'react';
import { actionFor, footerHints, GLOBAL_HINT, keyContext, keyName } from './keys.js';
import { LineView, seg, type Line } from './lines.js';
import type { DashboardSource, EndpointSummary, EventSummary, Page } from './source.js';
import {
  flowEndpoint, flowWindow, initialState, listWindow, openEventMessages, reduce, selectedEndpoint, sortKeyOf, type Action,
  type DashboardState, type FilterInput, type Screen,
} from './state.js';
import { clean, fit, severityColor } from './text.js';
import { VIEWS, type ViewName } from './view-names.js';
import { EndpointDetailView, endpointDetailLines, type EndpointDetailData } from './views/endpoint-detail.js';
import { EndpointsView } from './views/endpoints.js';
import { EventDetailView, eventDetailLines, EventsView } from './views/events.js';
import { flowAddresses, FlowView, MessageView, messageLines } from './views/flow.js';
import { HelpView } from './views/help.js';
import { MessagesView } from './views/messages.js';
import { OverviewView, overviewLines } from './views/overview.js';

const TITLES: Record<ViewName, string> = { overview: 'Overview', endpoints: 'Endpoints', endpoint: 'Endpoint', flow: 'Flow', events: 'Events', messages: 'Messages' };

/** Live data is looked at this often at most: redraws are capped at 10 per second. */
export const POLL_MS = 100;
/** Spacing of keys that arrived together in one chunk. */
const KEY_QUEUE_MS = 5;
/** Waits of KEY_QUEUE_MS for the render of a queued key before the next is handed on anyway. */
const KEY_RENDER_TRIES = 60;
/** Events of the endpoint shown in its detail. */
const DETAIL_EVENTS = 20;
/**
 * A filter being typed is applied once typing pauses this long (and at once on Enter): on 10^6
 * rows a substring filter is a scan, and one per key would make typing wait on the database.
 */
export const FILTER_SETTLE_MS = 150;

const NO_KEY: Key = {
  upArrow: false, downArrow: false, leftArrow: false, rightArrow: false, pageDown: false, pageUp: false, home: false, end: false,
  return: false, escape: false, ctrl: false, shift: false, tab: false, backspace: false, delete: false, meta: false,
  super: false, hyper: false, capsLock: false, numLock: false,
};

export interface DashboardProps {
  source: DashboardSource;
  /** Shown in the tab bar ("fleet.db", "analyze capture.pcap"). */
  title: string;
  /** Poll the source for changes (live mode). */
  live?: boolean;
  /** Fixed size (tests); otherwise the terminal's, following resizes. */
  width?: number;
  height?: number;
  initialView?: ViewName;
  initialEndpoint?: string;
  /** Open on this event's messages (ui --event ID). */
  initialEvent?: number;
}

/** Lines above the flow's rows: its title and the two lines of the ladder's header. */
const FLOW_HEAD = 3;

/** What the bottom line says while text is typed into it. */
const INPUT_LABELS: Record<FilterInput['target'], string> = { endpoints: 'filter', events: 'filter', messages: 'filter', flow: 'search', frame: 'go to frame', save: 'save to pcap' };

/** The newest high or critical event, the one a banner names. */
function newestAlert(source: DashboardSource): EventSummary | null {
  return source.events({ minSeverity: 'high', filter: '', offset: 0, limit: 1 }).rows[0] ?? null;
}

function useTerminalSize(fixedWidth?: number, fixedHeight?: number): [number, number] {
  const { stdout } = useStdout();
  const [size, setSize] = useState<[number, number]>([stdout.columns || 80, stdout.rows || 24]);
  useEffect(() => {
    const onResize = () => setSize([stdout.columns || 80, stdout.rows || 24]);
    stdout.on('resize', onResize);
    return () => {
      stdout.off('resize', onResize);
    };
  }, [stdout]);
  return [Math.max(40, fixedWidth ?? size[0]), Math.max(10, fixedHeight ?? size[1])];
}

/**
 * Keys that came in one chunk (typed faster than a redraw, pasted, or sent together as "jj\r"):
 * one key each, so every key goes through the key tables. Chunks with an escape sequence are
 * Ink's to parse (arrows, PgUp) and come as they are.
 */
export function splitChunk(chunk: string): Array<[string, Key]> | null {
  if (chunk.length <= 1 || chunk.includes('\x1b')) return null;
  const keys: Array<[string, Key]> = [];
  for (const c of chunk) {
    const code = c.codePointAt(0)!;
    if (c === '\r' || c === '\n') keys.push(['', { ...NO_KEY, return: true }]);
    else if (c === '\t') keys.push(['', { ...NO_KEY, tab: true }]);
    else if (code === 0x7f || code === 0x08) keys.push(['', { ...NO_KEY, backspace: true }]);
    else if (code >= 1 && code <= 26) keys.push([String.fromCharCode(code + 96), { ...NO_KEY, ctrl: true }]);
    else if (code < 0x20 || (code >= 0x80 && code < 0xa0)) continue;
    else keys.push([c, { ...NO_KEY, shift: /[A-Z]/.test(c) }]);
  }
  return keys;
}

/**
 * The dashboard: a tab bar, one view, a footer of keys. Every view asks the source for what it
 * draws and no more (one page of a list); in live mode a timer looks at the source's version at
 * most every POLL_MS and redraws only when it moved, so packet processing never waits on drawing.
 * Keys become actions through the key tables (keys.ts) and change the state only through
 * reduce() (state.ts), given what this frame showed.
 */
export function Dashboard(props: DashboardProps): ReactElement {
  const { source, title, live = false } = props;
  const { exit } = useApp();
  const { isRawModeSupported } = useStdin();
  const [width, height] = useTerminalSize(props.width, props.height);

  const [version, setVersion] = useState(() => source.version());
  const [state, setState] = useState<DashboardState>(() => {
    const s = initialState(props.initialView ?? (props.initialEndpoint !== undefined ? 'endpoint' : undefined), props.initialEndpoint ?? null);
    // Events there already when the dashboard opens are not news: a banner names only later ones.
    const start = { ...s, alert: { event: null, seen: newestAlert(source)?.id ?? 0 } };
    const event = props.initialEvent === undefined ? null : source.event(props.initialEvent);
    if (event === null) return start;
    const rows = Math.max(1, height - 3 - FLOW_HEAD);
    return openEventMessages(start, event, {
      height: height - 3, listRows: rows, flowRows: rows, endpointTotal: 0, eventTotal: 0, flowTotal: 0, docLines: 0,
      endpointRows: [], eventRows: [], flowMessages: [], finder: source,
    });
  });
  // Ink redraws the whole frame when it is as tall as the terminal: keep one line free. A banner takes a line.
  const banner = state.alert.event;
  const bodyHeight = height - 3 - (banner !== null ? 1 : 0);
  // The state the next key sees: keys handled before the next render see every earlier one.
  const stateRef = useRef(state);
  const screenRef = useRef<Screen | null>(null);

  const dispatch = (action: Action) => {
    const screen = screenRef.current;
    if (screen === null) return;
    const next = reduce(stateRef.current, action, screen);
    if (next === stateRef.current) return;
    stateRef.current = next;
    setState(next);
  };

  /** The flow's columns as last drawn, so that they keep their order while it scrolls. */
  const columnOrder = useRef<{ key: string; addresses: string[] } | null>(null);
  const pendingKeys = useRef<Array<[string, Key]>>([]);
  const onKeyRef = useRef<(ch: string, key: Key) => void>(() => {});
  // Keys typed faster than a redraw are queued and handed on one at a time, each once the
  // previous one has been rendered (the handler replaced), or after a while when it changed
  // nothing: every key sees the screen the previous one left.
  const nextPendingKey = (previous: unknown, tries = 0) => {
    setTimeout(() => {
      if (onKeyRef.current === previous && tries < KEY_RENDER_TRIES) {
        nextPendingKey(previous, tries + 1);
        return;
      }
      const next = pendingKeys.current.shift();
      if (next === undefined) return;
      const handler = onKeyRef.current;
      handler(next[0], next[1]);
      if (pendingKeys.current.length > 0) nextPendingKey(handler);
    }, KEY_QUEUE_MS);
  };
  const receiveKey = (ch: string, key: Key) => {
    const queue = pendingKeys.current;
    const idle = queue.length === 0;
    const split = key.escape ? null : splitChunk(ch);
    if (split !== null) queue.push(...split);
    else if (idle) {
      onKeyRef.current(ch, key);
      return;
    } else queue.push([ch, key]);
    if (idle && queue.length > 0) nextPendingKey(null);
  };

  useEffect(() => {
    if (!live) return;
    const timer = setInterval(() => {
      const v = source.version();
      setVersion((old) => (old === v ? old : v));
    }, POLL_MS);
    return () => clearInterval(timer);
  }, [live, source]);

  useEffect(() => {
    if (state.quit) exit();
  }, [state.quit, exit]);

  // A new high or critical event is named in a banner until dismissed (x).
  useEffect(() => {
    const e = newestAlert(source);
    if (e !== null && e.id > stateRef.current.alert.seen) dispatch({ type: 'alert', event: e });
  }, [version, source]);

  // The filter being typed reaches its list once typing pauses: no key for FILTER_SETTLE_MS and
  // none waiting in the queue (keys that came in one chunk are still being typed). A search of
  // the flow and a frame number act on Enter only.
  const target = state.input?.target;
  const listTarget = target === 'endpoints' || target === 'events' || target === 'messages' ? target : undefined;
  const typed = listTarget !== undefined ? state.input?.text : undefined;
  const appliedFilter = listTarget !== undefined ? state[listTarget].filter : undefined;
  useEffect(() => {
    if (typed === undefined || typed === appliedFilter) return;
    let timer: ReturnType<typeof setTimeout>;
    const settle = () => {
      timer = setTimeout(() => (pendingKeys.current.length > 0 ? settle() : dispatch({ type: 'apply-filter' })), FILTER_SETTLE_MS);
    };
    settle();
    return () => clearTimeout(timer);
  });

  // s asked for a file: it is written here (the reducer stays pure) and a status line says what came of it.
  useEffect(() => {
    const save = state.save;
    if (save === null) return;
    let status: string;
    try {
      status = source.save(save.selection, save.path);
    } catch (err) {
      status = `not saved: ${(err as Error).message.split('\n')[0]}`;
    }
    dispatch({ type: 'saved', status });
  }, [state.save, source]);

  const onKey = (ch: string, key: Key) => {
    const action = actionFor(stateRef.current, keyName(ch, key), ch);
    if (action) dispatch(action);
  };

  // The handler Ink holds never changes (Ink re-subscribes in an effect, which may run late);
  // it calls the one from the latest render, which sees the current state.
  onKeyRef.current = onKey;
  const receiveRef = useRef(receiveKey);
  receiveRef.current = receiveKey;
  const stableOnKey = useCallback((ch: string, key: Key) => receiveRef.current(ch, key), []);
  useInput(stableOnKey, { isActive: isRawModeSupported === true });

  // ---- what this frame shows: the body of the current view, and the Screen keys act on ----
  void version; // every query below runs again when the live data moved
  const listRows = Math.max(1, bodyHeight - 2);
  const flowRows = Math.max(1, bodyHeight - FLOW_HEAD - (state.flow.note !== null ? 1 : 0));
  const screen: Screen = {
    height: bodyHeight, listRows, flowRows, eventTotal: 0, flowTotal: 0, docLines: 0, eventRows: [], flowMessages: [], finder: source,
    // The endpoints as last drawn: "the one under the cursor" is the one the user saw there.
    endpointTotal: screenRef.current?.endpointTotal ?? 0, endpointRows: screenRef.current?.endpointRows ?? [],
  };
  const sort = sortKeyOf(state);
  const endpointsQuery = { sort, descending: state.endpoints.descending, filter: state.endpoints.filter };
  let endpointsPage: Page<EndpointSummary> | null = null;
  if (state.view === 'endpoints' && !state.help && !state.message && !state.event) {
    const total = source.endpoints({ ...endpointsQuery, offset: 0, limit: 0 }).total;
    const w = listWindow(state.endpoints, total, listRows);
    endpointsPage = source.endpoints({ ...endpointsQuery, offset: w.top, limit: listRows });
    screen.endpointTotal = total;
    screen.endpointRows = endpointsPage.rows.map((r) => r.name);
  }
  const selectedName = selectedEndpoint(state, screen);

  let body: ReactElement;
  let missingEndpoint = false;
  if (state.help) {
    body = <HelpView context={keyContext({ ...state, help: false })} state={state} width={width} height={bodyHeight} />;
  } else if (state.message) {
    const detail = source.messageDetail(state.message);
    screen.docLines = messageLines(state.message, detail, width).length;
    body = <MessageView message={state.message} detail={detail} width={width} height={bodyHeight} scroll={state.messageScroll} />;
  } else if (state.event) {
    const captureFile = source.overview().captureFile;
    screen.docLines = eventDetailLines(state.event, width, captureFile).length;
    body = <EventDetailView event={state.event} captureFile={captureFile} width={width} height={bodyHeight} scroll={state.eventScroll} />;
  } else if (state.view === 'overview') {
    const o = source.overview();
    screen.docLines = overviewLines(o, width).length;
    body = <OverviewView overview={o} width={width} height={bodyHeight} />;
  } else if (state.view === 'endpoints' && endpointsPage !== null) {
    const w = listWindow(state.endpoints, screen.endpointTotal, listRows);
    body = <EndpointsView page={endpointsPage} cursor={w.cursor} sort={sort} descending={state.endpoints.descending} filter={state.endpoints.filter} now={source.now()} width={width} height={bodyHeight} />;
  } else if (state.view === 'flow' && (state.flow.scope === 'all' || selectedName !== null)) {
    // An endpoint's flow, or every message: an event's endpoint need not be a registered one.
    const endpoint = flowEndpoint(state, screen);
    screen.flowTotal = source.flow(endpoint, 0, 0).total;
    const w = flowWindow(state.flow, screen.flowTotal, flowRows);
    const page = source.flow(endpoint, w.bottom, flowRows);
    screen.flowMessages = page.rows;
    const key = `${state.flow.scope}\u0000${endpoint}\u0000${state.flow.mark}`;
    const known = columnOrder.current?.key === key ? columnOrder.current.addresses : [];
    const addresses = flowAddresses(page.rows, endpoint === null ? null : source.endpoint(endpoint)?.address ?? null, known, state.flow.mark);
    columnOrder.current = { key, addresses };
    body = <FlowView endpoint={endpoint} addresses={addresses} page={page} cursor={w.cursor} mark={state.flow.mark} search={state.flow.search}
      note={state.flow.note} width={width} height={bodyHeight} />;
  } else if (state.view === 'endpoint' || state.view === 'flow') {
    const detail = selectedName === null ? null : source.endpoint(selectedName);
    if (detail === null || selectedName === null) {
      missingEndpoint = true;
      body = <LineView line={[seg(selectedName === null ? 'No endpoint chosen: pick one in Endpoints (2) and press Enter.' : `Endpoint ${clean(selectedName)} is not known (any more).`, { dim: true })]} width={width} />;
    } else {
      const events = source.events({ minSeverity: 'info', filter: '', endpoint: selectedName, offset: 0, limit: DETAIL_EVENTS });
      const data: EndpointDetailData = {
        endpoint: detail, resources: source.resources(selectedName), observations: source.observations(selectedName),
        events: events.rows, eventTotal: events.total, now: source.now(),
      };
      screen.docLines = endpointDetailLines(data, width).length;
      body = <EndpointDetailView data={data} width={width} height={bodyHeight} scroll={state.detailScroll} />;
    }
  } else if (state.view === 'messages') {
    const filter = state.messages.filter;
    const total = source.messages({ filter, offset: 0, limit: 0 }).total;
    const w = listWindow(state.messages, total, listRows);
    const page = source.messages({ filter, offset: w.top, limit: listRows });
    screen.messageTotal = total;
    screen.messageRows = page.rows;
    body = <MessagesView page={page} cursor={w.cursor} filter={filter} width={width} height={bodyHeight} />;
  } else {
    const eventsQuery = { minSeverity: state.events.minSeverity, filter: state.events.filter };
    screen.eventTotal = source.events({ ...eventsQuery, offset: 0, limit: 0 }).total;
    const w = listWindow(state.events, screen.eventTotal, listRows);
    const page = source.events({ ...eventsQuery, offset: w.top, limit: listRows });
    screen.eventRows = page.rows;
    body = <EventsView page={page} cursor={w.cursor} minSeverity={state.events.minSeverity} filter={state.events.filter} width={width} height={bodyHeight} />;
  }
  screenRef.current = screen;
  const keys = missingEndpoint && !state.help ? '2 endpoints' : footerHints(state);
  const { selected, view, help, input } = state;

  const tabs: Line = [seg(' coapwatch ', { bold: true, inverse: true }), seg(' ')];
  VIEWS.forEach((v, i) => {
    const label = v === 'endpoint' && selectedName && selected ? fit(clean(selectedName), 18) : TITLES[v];
    tabs.push(seg(` ${i + 1} ${label} `, v === view && !help ? { inverse: true, bold: true, color: 'cyan' } : { dim: false }));
  });
  // Live while packets come: a finished run (the file read to its end, a followed run that ended) is not.
  if (live && source.isLive()) tabs.push(seg(' ● live', { color: 'green', bold: true }));
  tabs.push(seg(`  ${clean(title)}`, { dim: true }));

  const footer: Line = input
    ? [seg(` ${INPUT_LABELS[input.target]}: `, { bold: true, color: 'yellow' }), seg(clean(input.text), { inverse: input.selected }), seg('█'), seg('   ' + keys, { dim: true })]
    : state.status !== null
      ? [seg(' ' + clean(state.status), { color: state.status.startsWith('not saved') ? 'red' : 'green', bold: true })]
      : [seg(' ' + keys, { color: 'white' }), seg('   ' + GLOBAL_HINT, { dim: true })];

  return (
    <Box flexDirection="column" width={width}>
      <LineView line={tabs} width={width} />
      {banner === null ? null : <LineView line={bannerLine(banner)} width={width} inverse />}
      <Box height={bodyHeight} flexDirection="column" marginTop={0}>
        {body}
      </Box>
      <LineView line={footer} width={width} />
    </Box>
  );
}


/** The banner of a new high or critical event: severity, rule, endpoint, frame, and how to dismiss it. */
function bannerLine(e: EventSummary): Line {
  return [
    seg(` ▲ ${e.severity.toUpperCase()} `, { bold: true, color: severityColor(e.severity) }),
    seg(clean(e.rule), { bold: true }),
    seg(e.endpoint === null ? '' : ` on ${clean(e.endpoint)}`),
    seg(e.frame === null ? '' : ` (frame #${e.frame})`),
    seg('   x dismiss  5 events   ', { dim: true }),
    seg(clean(e.message)),
  ];
}
