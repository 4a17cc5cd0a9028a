import { Box, useApp, useInput, useStdin, useStdout, type Key } from 'ink';
import { SEVERITIES, type Severity } from '../rules/index.js';
import { useCallback, useEffect, useRef, useState, type ReactElement } from 'react';
import { follow, LineView, seg, type Line } from './lines.js';
import {
  ENDPOINT_SORT_KEYS, type DashboardSource, type EndpointSummary, type EventSummary, type FlowMessage,
} from './source.js';
import { clean, fit } from './text.js';
import { VIEWS, type ViewName } from './view-names.js';
import { EndpointDetailView, endpointDetailLines, type EndpointDetailData } from './views/endpoint-detail.js';
import { EndpointsView } from './views/endpoints.js';
import { EventDetailView, eventDetailLines, EventsView } from './views/events.js';
import { FlowView, MessageView, messageLines } from './views/flow.js';
import { HelpView } from './views/help.js';
import { OverviewView, overviewLines } from './views/overview.js';

const TITLES: Record<ViewName, string> = { overview: 'Overview', endpoints: 'Endpoints', endpoint: 'Endpoint', flow: 'Flow', events: 'Events' };

/** Live data is looked at this often at most: redraws are capped at 10 per second. */
export const POLL_MS = 100;
/** Spacing of keys that arrived together in one chunk. */
const KEY_QUEUE_MS = 5;
/** Waits of KEY_QUEUE_MS for the render of a queued key before the next is handed on anyway. */
const KEY_RENDER_TRIES = 60;
/** Events of the endpoint shown in its detail. */
const DETAIL_EVENTS = 20;

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

interface InputState {
  target: 'endpoints' | 'events';
  text: string;
  /** The filter before editing, restored by Esc. */
  before: string;
}

interface ListState {
  cursor: number;
}

/**
 * The dashboard: a tab bar, one view, a footer of keys. Every view asks the source for what it
 * draws and no more (one page of a list); in live mode a timer looks at the source's version at
 * most every POLL_MS and redraws only when it moved, so packet processing never waits on drawing.
 */
export function Dashboard(props: DashboardProps): ReactElement {
  const { source, title, live = false } = props;
  const { exit } = useApp();
  const { isRawModeSupported } = useStdin();
  const [width, height] = useTerminalSize(props.width, props.height);
  // Ink redraws the whole frame when it is as tall as the terminal: keep one line free.
  const bodyHeight = height - 3;

  const [version, setVersion] = useState(() => source.version());
  const [view, setView] = useState<ViewName>(props.initialView ?? 'overview');
  const [help, setHelp] = useState(false);
  const [selected, setSelected] = useState<string | null>(props.initialEndpoint ?? null);
  const [input, setInput] = useState<InputState | null>(null);
  const inputRef = useRef<InputState | null>(null);
  const startInput = (state: InputState) => {
    inputRef.current = state;
    setInput(state);
  };

  const [epList, setEpList] = useState<ListState>({ cursor: 0 });
  const [sortIndex, setSortIndex] = useState(0);
  const [descending, setDescending] = useState(true);
  const [epFilter, setEpFilter] = useState('');
  const [detailScroll, setDetailScroll] = useState(0);
  const [flowCursor, setFlowCursor] = useState(0);
  const [message, setMessage] = useState<FlowMessage | null>(null);
  const [messageScroll, setMessageScroll] = useState(0);
  const [evList, setEvList] = useState<ListState>({ cursor: 0 });
  const [minSeverity, setMinSeverity] = useState<string>('info');
  const [evFilter, setEvFilter] = useState('');
  const [event, setEvent] = useState<EventSummary | null>(null);
  const [eventScroll, setEventScroll] = useState(0);

  const pendingKeys = useRef<Array<[string, Key]>>([]);
  const onKeyRef = useRef<(ch: string, key: Key) => void>(() => {});
  // Keys typed faster than a redraw (or sent in one chunk, "jj\r") are queued and handed on one
  // at a time, each once the previous one has been rendered (the handler replaced), or after a
  // while when it changed nothing: every key sees the screen the previous one left.
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
    if (ch.length > 1 && !key.escape && /^[\x20-\x7e\r\n\t]+$/.test(ch)) {
      for (const c of ch) {
        const enter = c === '\r' || c === '\n';
        queue.push([enter || c === '\t' ? '' : c, { ...NO_KEY, return: enter, tab: c === '\t' }]);
      }
    } else if (idle) {
      onKeyRef.current(ch, key);
      return;
    } else {
      queue.push([ch, key]);
    }
    if (idle) nextPendingKey(null);
  };
  const epTop = useRef(0);
  const evTop = useRef(0);
  const flowBottom = useRef(0);
  const totals = useRef({ endpoints: 0, events: 0, flow: 0, doc: 0 });
  const visibleEndpoints = useRef<EndpointSummary[]>([]);
  const visibleEvents = useRef<EventSummary[]>([]);
  const visibleFlow = useRef<FlowMessage[]>([]);

  useEffect(() => {
    if (!live) return;
    const timer = setInterval(() => {
      const v = source.version();
      setVersion((old) => (old === v ? old : v));
    }, POLL_MS);
    return () => clearInterval(timer);
  }, [live, source]);

  const sort = ENDPOINT_SORT_KEYS[sortIndex];
  const listRows = Math.max(1, bodyHeight - 2);
  const flowRows = Math.max(1, bodyHeight - 3);
  void version; // every query below runs again when the live data moved

  const selectedName = selected ?? visibleEndpoints.current[epList.cursor - epTop.current]?.name ?? null;

  const openEndpoint = (name: string) => {
    setSelected(name);
    setDetailScroll(0);
    setFlowCursor(0);
    flowBottom.current = 0;
    setMessage(null);
    setView('endpoint');
  };

  const switchView = (v: ViewName) => {
    if ((v === 'endpoint' || v === 'flow') && selected === null && selectedName !== null) setSelected(selectedName);
    setMessage(null);
    setEvent(null);
    setView(v);
  };

  const moveDoc = (set: (f: (n: number) => number) => void, delta: number) =>
    set((n) => Math.max(0, Math.min(n + delta, Math.max(0, totals.current.doc - bodyHeight))));

  const onKey = (ch: string, key: Key) => {
    // Keys typed faster than a redraw arrive as one chunk ("jj\r"): they are taken one per
    // render, so each sees the state the previous one left.
    const current = inputRef.current;
    if (current) {
      const setFilter = current.target === 'endpoints' ? setEpFilter : setEvFilter;
      const reset = () => (current.target === 'endpoints' ? setEpList({ cursor: 0 }) : setEvList({ cursor: 0 }));
      // The text lives in a ref: keys typed before the next render still see every earlier one.
      const update = (next: typeof current | null) => {
        inputRef.current = next;
        setInput(next);
      };
      if (key.escape) {
        setFilter(current.before);
        reset();
        update(null);
      } else if (key.return) {
        update(null);
      } else if (key.backspace || key.delete) {
        const text = current.text.slice(0, -1);
        update({ ...current, text });
        setFilter(text);
        reset();
      } else if (ch && !key.ctrl && !key.meta && !key.tab && !key.upArrow && !key.downArrow) {
        const text = current.text + ch;
        update({ ...current, text });
        setFilter(text);
        reset();
      }
      return;
    }
    if (help) {
      setHelp(false);
      if (ch === 'q') exit();
      return;
    }
    if (ch === 'q' || (key.ctrl && ch === 'c')) {
      exit();
      return;
    }
    if (ch === '?') {
      setHelp(true);
      return;
    }
    if (key.tab) {
      const i = VIEWS.indexOf(view);
      switchView(VIEWS[(i + (key.shift ? VIEWS.length - 1 : 1)) % VIEWS.length]);
      return;
    }
    if (/^[1-5]$/.test(ch)) {
      switchView(VIEWS[Number(ch) - 1]);
      return;
    }
    const up = key.upArrow || ch === 'k';
    const down = key.downArrow || ch === 'j';
    const step = up ? -1 : down ? 1 : key.pageUp ? -bodyHeight : key.pageDown || ch === ' ' ? bodyHeight : ch === 'g' ? -Infinity : ch === 'G' ? Infinity : 0;

    // Detail overlays first.
    if (message) {
      if (key.escape) setMessage(null);
      else if (step) moveDoc(setMessageScroll, step === -Infinity ? -1e9 : step === Infinity ? 1e9 : step);
      return;
    }
    if (event) {
      if (key.escape) setEvent(null);
      else if (ch === 'o' && event.endpoint) {
        setEvent(null);
        openEndpoint(event.endpoint);
      } else if (step) moveDoc(setEventScroll, step === -Infinity ? -1e9 : step === Infinity ? 1e9 : step);
      return;
    }

    const moveList = (set: (f: (s: ListState) => ListState) => void, total: number) =>
      set((s) => ({ cursor: Math.max(0, Math.min(total - 1, step === -Infinity ? 0 : step === Infinity ? total - 1 : s.cursor + step)) }));

    switch (view) {
      case 'overview':
        if (key.return) switchView('endpoints');
        else if (key.escape) return;
        break;
      case 'endpoints':
        if (step) moveList(setEpList, totals.current.endpoints);
        else if (key.return) {
          const row = visibleEndpoints.current[epList.cursor - epTop.current];
          if (row) openEndpoint(row.name);
        } else if (ch === '/') startInput({ target: 'endpoints', text: epFilter, before: epFilter });
        else if (ch === 's') {
          setSortIndex((i) => (i + 1) % ENDPOINT_SORT_KEYS.length);
          setEpList({ cursor: 0 });
        } else if (ch === 'r') {
          setDescending((d) => !d);
          setEpList({ cursor: 0 });
        } else if (key.escape) setView('overview');
        break;
      case 'endpoint':
        if (step) moveDoc(setDetailScroll, step === -Infinity ? -1e9 : step === Infinity ? 1e9 : step);
        else if ((key.return || ch === 'f') && selectedName) {
          setSelected(selectedName);
          setView('flow');
        } else if (ch === 'e' && selectedName) {
          setEvFilter(`ep:${selectedName}`);
          setEvList({ cursor: 0 });
          setView('events');
        } else if (key.escape) setView('endpoints');
        break;
      case 'flow':
        if (step) {
          // The cursor counts from the newest message, which is at the bottom: up goes back in time.
          const total = totals.current.flow;
          setFlowCursor((c) => Math.max(0, Math.min(total - 1, step === -Infinity ? total - 1 : step === Infinity ? 0 : c - step)));
        } else if (key.return) {
          const rows = visibleFlow.current;
          const m = rows[rows.length - 1 - (flowCursor - flowBottom.current)];
          if (m) {
            setMessage(m);
            setMessageScroll(0);
          }
        } else if (key.escape) setView('endpoint');
        break;
      case 'events':
        if (step) moveList(setEvList, totals.current.events);
        else if (key.return) {
          const e = visibleEvents.current[evList.cursor - evTop.current];
          if (e) {
            setEvent(e);
            setEventScroll(0);
          }
        } else if (ch === '/') startInput({ target: 'events', text: evFilter, before: evFilter });
        else if (ch === 's') {
          setMinSeverity((s) => SEVERITIES[(SEVERITIES.indexOf(s as Severity) + 1) % SEVERITIES.length]);
          setEvList({ cursor: 0 });
        } else if (key.escape) setView('overview');
        break;
    }
  };

  // The handler Ink holds never changes (Ink re-subscribes in an effect, which may run late);
  // it calls the one from the latest render, which sees the current state.
  onKeyRef.current = onKey;
  const receiveRef = useRef(receiveKey);
  receiveRef.current = receiveKey;
  const stableOnKey = useCallback((ch: string, key: Key) => receiveRef.current(ch, key), []);
  useInput(stableOnKey, { isActive: isRawModeSupported === true });

  // ---- the body of the current view ----
  let body: ReactElement;
  let keys: string;
  if (help) {
    body = <HelpView width={width} height={bodyHeight} />;
    keys = 'any key: close help';
  } else if (message) {
    const lines = messageLines(message.record(), width);
    totals.current.doc = lines.length;
    body = <MessageView message={message} width={width} height={bodyHeight} scroll={messageScroll} />;
    keys = '↑↓ scroll  Esc back to the flow';
  } else if (event) {
    totals.current.doc = eventDetailLines(event, width).length;
    body = <EventDetailView event={event} width={width} height={bodyHeight} scroll={eventScroll} />;
    keys = `↑↓ scroll  ${event.endpoint ? 'o open endpoint  ' : ''}Esc back to events`;
  } else if (view === 'overview') {
    const o = source.overview();
    totals.current.doc = overviewLines(o, width).length;
    body = <OverviewView overview={o} width={width} height={bodyHeight} />;
    keys = 'Enter endpoints  Tab/1-5 views';
  } else if (view === 'endpoints') {
    const probe = source.endpoints({ sort, descending, filter: epFilter, offset: 0, limit: 0 });
    totals.current.endpoints = probe.total;
    const cursor = Math.min(epList.cursor, Math.max(0, probe.total - 1));
    epTop.current = Math.min(follow(epTop.current, cursor, listRows), Math.max(0, probe.total - listRows));
    const page = source.endpoints({ sort, descending, filter: epFilter, offset: epTop.current, limit: listRows });
    visibleEndpoints.current = page.rows;
    body = <EndpointsView page={page} cursor={cursor} sort={sort} descending={descending} filter={epFilter} now={source.now()} width={width} height={bodyHeight} />;
    keys = '↑↓ move  Enter open  / filter  s sort  r reverse';
  } else if (view === 'endpoint' || view === 'flow') {
    const detail = selectedName === null ? null : source.endpoint(selectedName);
    if (detail === null || selectedName === null) {
      body = <LineView line={[seg(selectedName === null ? 'No endpoint chosen: pick one in Endpoints (2) and press Enter.' : `Endpoint ${clean(selectedName)} is not known (any more).`, { dim: true })]} width={width} />;
      keys = '2 endpoints';
    } else if (view === 'endpoint') {
      const events = source.events({ minSeverity: 'info', filter: '', endpoint: selectedName, offset: 0, limit: DETAIL_EVENTS });
      const data: EndpointDetailData = {
        endpoint: detail, resources: source.resources(selectedName), observations: source.observations(selectedName),
        events: events.rows, eventTotal: events.total, now: source.now(),
      };
      totals.current.doc = endpointDetailLines(data, width).length;
      body = <EndpointDetailView data={data} width={width} height={bodyHeight} scroll={detailScroll} />;
      keys = '↑↓ scroll  Enter/f message flow  e events  Esc back';
    } else {
      const probe = source.flow(selectedName, 0, 0);
      totals.current.flow = probe.total;
      const cursor = Math.min(flowCursor, Math.max(0, probe.total - 1));
      flowBottom.current = Math.min(follow(flowBottom.current, cursor, flowRows), Math.max(0, probe.total - flowRows));
      const page = source.flow(selectedName, flowBottom.current, flowRows);
      visibleFlow.current = page.rows;
      body = <FlowView endpoint={selectedName} clientAddress={detail.address} page={page} cursor={cursor} width={width} height={bodyHeight} />;
      keys = '↑↓ move  Enter dissect  Esc back';
    }
  } else {
    const probe = source.events({ minSeverity, filter: evFilter, offset: 0, limit: 0 });
    totals.current.events = probe.total;
    const cursor = Math.min(evList.cursor, Math.max(0, probe.total - 1));
    evTop.current = Math.min(follow(evTop.current, cursor, listRows), Math.max(0, probe.total - listRows));
    const page = source.events({ minSeverity, filter: evFilter, offset: evTop.current, limit: listRows });
    visibleEvents.current = page.rows;
    body = <EventsView page={page} cursor={cursor} minSeverity={minSeverity} filter={evFilter} width={width} height={bodyHeight} />;
    keys = '↑↓ move  Enter detail  / filter  s severity';
  }

  const tabs: Line = [seg(' coapwatch ', { bold: true, inverse: true }), seg(' ')];
  VIEWS.forEach((v, i) => {
    const label = v === 'endpoint' && selectedName && selected ? fit(clean(selectedName), 18) : TITLES[v];
    tabs.push(seg(` ${i + 1} ${label} `, v === view && !help ? { inverse: true, bold: true, color: 'cyan' } : { dim: false }));
  });
  if (live) tabs.push(seg(' ● live', { color: 'green', bold: true }));
  tabs.push(seg(`  ${clean(title)}`, { dim: true }));

  const footer: Line = input
    ? [seg(' filter: ', { bold: true, color: 'yellow' }), seg(clean(input.text) + '█'), seg('   Enter keep  Esc cancel', { dim: true })]
    : [seg(' ' + keys, { color: 'white' }), seg('   Tab views  ? help  q quit', { dim: true })];

  return (
    <Box flexDirection="column" width={width}>
      <LineView line={tabs} width={width} />
      <Box height={bodyHeight} flexDirection="column" marginTop={0}>
        {body}
      </Box>
      <LineView line={footer} width={width} />
    </Box>
  );
}

