import { Box } from 'ink';
import type { ReactElement } from 'react';
import { DocView, LineView, seg, TitledNote, type Line } from '../lines.js';
import { hexDump } from '../../util/hex-dump.js';
import { flowMatches, METHOD_NAMES as METHODS, type FlowMessage, type FlowPage, type MessageDetail, type MessageRecord } from '../source.js';
import { cell, clean, clock, contentFormatName, count, fit, valueText } from '../text.js';
import { codeLabel } from './messages.js';

/** The frame column: a mark and "#" and up to 7 digits. */
const FRAME_WIDTH = 10;
const TIME_WIDTH = 13;
const INFO_WIDTH = 20;
const MAX_PARTICIPANTS = 4;
/** Addresses a flow remembers the column order of (a flow of every message meets many). */
const MAX_REMEMBERED = 64;

/**
 * The addresses of a flow in the order their columns take, `known` (the order drawn so far) first
 * and the page's new ones after it by first appearance: a column keeps its place while the flow
 * scrolls. The endpoint's own address leads when known.
 */
export function flowAddresses(rows: readonly FlowMessage[], clientAddress: string | null, known: readonly string[] = [], mark: number | null = null): string[] {
  // A flow of every message opened on a frame: that message's two sides lead.
  const marked = known.length === 0 && clientAddress === null ? rows.find((m) => m.frame === mark) : undefined;
  const seen = marked ? [marked.src, marked.dst] : [...known];
  const add = (a: string) => {
    if (!seen.includes(a) && seen.length < MAX_REMEMBERED) seen.push(a);
  };
  if (clientAddress !== null && !seen.includes(clientAddress)) seen.unshift(clientAddress);
  for (const m of rows) {
    add(m.src);
    add(m.dst);
  }
  return seen;
}

/** The columns of the ladder: the first addresses, and "(others)" for the rest when there are more than fit. */
export function participants(addresses: readonly string[]): string[] {
  if (addresses.length <= MAX_PARTICIPANTS) return [...addresses];
  return [...addresses.slice(0, MAX_PARTICIPANTS - 1), '(others)'];
}

function column(parts: string[], address: string): number {
  const i = parts.indexOf(address);
  return i >= 0 ? i : parts.length - 1;
}

/** x of each participant's lifeline in an area `w` wide. */
function positions(n: number, w: number): number[] {
  if (n <= 1) return [Math.floor(w / 2)];
  return Array.from({ length: n }, (_, i) => Math.round(2 + (i * (w - 5)) / (n - 1)));
}

/** The arrow label: method and LwM2M operation for requests, code for the rest. */
export function arrowLabel(m: FlowMessage): string {
  const op = m.operation && m.operation !== 'unknown' ? m.operation : '';
  const path = m.path ? clean(m.path) : '';
  const method = METHODS[m.code];
  if (method) return [method, op, path].filter(Boolean).join(' ');
  // An empty message: a CON is a ping (RFC 7252 4.3), answered by an RST; an empty ACK acknowledges.
  if (m.code === '0.00') return m.type === 'CON' ? 'ping' : m.type === 'RST' ? 'RST' : m.type === 'ACK' ? 'ACK' : 'empty';
  return [m.code, op, m.role === 'notification' ? path : ''].filter(Boolean).join(' ');
}

/** The ladder's width: what the frame, time and details columns leave. */
function ladderWidth(width: number): number {
  return Math.max(20, width - FRAME_WIDTH - TIME_WIDTH - INFO_WIDTH);
}

/**
 * One ladder row: frame, time, lifelines, the arrow from src to dst with its label, and the
 * details column. `marked`: the event's frame (▶ and bold); a retransmission is marked ↻; `match`: the search matches it.
 */
export function ladderLine(m: FlowMessage, parts: string[], width: number, marked = false, match = false): Line {
  const area = ladderWidth(width);
  const xs = positions(parts.length, area);
  const chars = new Array<string>(area).fill(' ');
  for (const x of xs) chars[x] = '│';
  const a = xs[column(parts, m.src)];
  const b = xs[column(parts, m.dst)];
  let labelFrom = 0;
  let labelTo = 0;
  if (a !== b) {
    const lo = Math.min(a, b);
    const hi = Math.max(a, b);
    for (let x = lo + 1; x < hi; x++) chars[x] = '─';
    if (b > a) chars[hi - 1] = '►';
    else chars[lo + 1] = '◄';
    labelFrom = lo + 3;
    labelTo = hi - 3;
  } else {
    chars[a] = '⟲';
    labelFrom = a + 2;
    labelTo = area;
  }
  const label = fit(' ' + arrowLabel(m) + ' ', Math.max(0, labelTo - labelFrom));
  const start = labelFrom + Math.max(0, Math.floor((labelTo - labelFrom - label.length) / 2));
  for (let i = 0; i < label.length; i++) chars[start + i] = label[i];
  const isError = /^[45]\./.test(m.code);
  const isRequest = METHODS[m.code] !== undefined;
  const info = [m.type ?? 'TCP', contentFormatName(m.contentFormat), `${m.size}B`].filter(Boolean).join(' ');
  return [
    seg(marked ? '▶' : m.retransmissionOf !== null ? '↻' : ' ', { color: 'yellow', bold: true }),
    seg(cell(`#${m.frame}`, FRAME_WIDTH - 2) + ' ', { bold: marked, color: match ? 'yellow' : undefined, dim: !marked && !match }),
    seg(cell(clock(m.ts, true), TIME_WIDTH - 1) + ' ', { dim: !marked }),
    seg(chars.join(''), { bold: marked, color: isError ? 'red' : isRequest ? 'cyan' : m.role === 'notification' ? 'green' : undefined }),
    seg(' ' + cell(info, INFO_WIDTH - 1), { dim: true }),
  ];
}

export function ladderHeader(parts: string[], width: number, names: Map<string, string>): Line[] {
  const area = ladderWidth(width);
  const xs = positions(parts.length, area);
  const line1 = new Array<string>(area).fill(' ');
  const line2 = new Array<string>(area).fill(' ');
  const slot = parts.length > 1 ? Math.floor((area - 4) / (parts.length - 1)) : area;
  // Where each header line is free again: a name pushed right by its neighbour never overwrites it.
  const free = [0, 0];
  parts.forEach((p, i) => {
    const put = (row: string[], text: string) => {
      const line = row === line1 ? 0 : 1;
      const t = fit(text, Math.max(4, Math.min(slot - 1, area - free[line])));
      let at = xs[i] - Math.floor(t.length / 2);
      at = Math.max(free[line], Math.min(area - t.length, at));
      for (let k = 0; k < t.length && at + k < area; k++) row[at + k] = t[k];
      free[line] = at + t.length + 1;
    };
    put(line1, clean(names.get(p) ?? 'peer'));
    put(line2, clean(p));
  });
  return [
    [seg(cell(' FRAME', FRAME_WIDTH) + cell('TIME (UTC)', TIME_WIDTH), { bold: true }), seg(line1.join(''), { bold: true }), seg(' ' + 'TYPE FORMAT SIZE', { bold: true })],
    [seg(' '.repeat(FRAME_WIDTH + TIME_WIDTH)), seg(line2.join(''), { dim: true })],
  ];
}

/**
 * The flow's title: whose messages, and how many of how many, so that a count is never taken
 * for the run's: "45 messages of meter-2 (the run has 122)"; when only the newest are kept, "the
 * newest 200 of 1,234".
 */
export function flowTitle(endpoint: string | null, page: FlowPage): Line {
  const who = endpoint === null ? [seg('Every message of the run', { bold: true })]
    : [seg('Message flow ', { bold: true }), seg(clean(endpoint), { bold: true, color: 'cyan' })];
  const shown = page.seen !== null && page.seen > page.total
    ? `the newest ${count(page.total)} of ${count(page.seen)} messages kept`
    : `${count(page.total)} message${page.total === 1 ? '' : 's'}`;
  const run = endpoint === null || page.unavailable !== null ? '' : ` (the run has ${count(page.runMessages)})`;
  return [...who, seg(`  ${shown}${run}`, { dim: true })];
}

export interface FlowViewProps {
  /** Null: every message of the run. */
  endpoint: string | null;
  /** The addresses in column order (see flowAddresses). */
  addresses: readonly string[];
  page: FlowPage;
  /** Index of the selected message counted from the newest (0 = newest). */
  cursor: number;
  /** The frame of the event the flow was opened from, marked ▶. */
  mark: number | null;
  /** Rows matching it are highlighted. */
  search: string;
  /** A line about the last go-to or search. */
  note: string | null;
  width: number;
  height: number;
}

/** The sngrep-style ladder of a flow's messages, oldest at the top. */
export function FlowView({ endpoint, addresses, page, cursor, mark, search, note, width, height }: FlowViewProps): ReactElement {
  const title = flowTitle(endpoint, page);
  if (mark !== null) title.push(seg(`  ▶ event frame #${mark}`, { color: 'yellow' }));
  if (search !== '') title.push(seg(`  search: ${clean(search)}`, { color: 'yellow' }));
  if (page.unavailable !== null) return <TitledNote title={title} note={clean(page.unavailable)} width={width} height={height} />;
  const parts = participants(addresses);
  const names = new Map<string, string>(endpoint === null ? [] : [[parts[0], clean(endpoint)]]);
  const header = ladderHeader(parts, width, names);
  const rows = page.rows.slice(Math.max(0, page.rows.length - Math.max(1, height - 3 - (note === null ? 0 : 1))));
  return (
    <Box flexDirection="column" height={height}>
      <LineView line={title} width={width} />
      {note === null ? null : <LineView line={[seg(clean(note), { color: 'yellow' })]} width={width} />}
      {header.map((l, i) => <LineView key={`h${i}`} line={l} width={width} />)}
      {rows.length === 0 ? <LineView line={[seg(endpoint === null ? 'no messages' : 'no messages of this endpoint', { dim: true })]} width={width} /> : null}
      {rows.map((m, i) => {
        const fromNewest = page.offset + (rows.length - 1 - i);
        return <LineView key={`${m.frame}-${i}`} line={ladderLine(m, parts, width, m.frame === mark, search !== '' && flowMatches(m, search))} width={width} inverse={fromNewest === cursor} />;
      })}
    </Box>
  );
}

/**
 * The links of a message as Wireshark words them: "request in #N" on a response, "response in
 * #N (2.04)" on a request, "retransmission of #N" on a repeat.
 */
export function linkText(m: FlowMessage, response: MessageDetail['response']): string {
  const parts: string[] = [];
  if (m.responseTo !== null) parts.push(`${m.role === 'ack' ? 'acknowledges' : 'request in'} #${m.responseTo}`);
  if (response !== null) parts.push(`response in #${response.frame} (${codeLabel({ code: response.code, type: null })})`);
  else if (m.responseIn !== null) parts.push(`response in #${m.responseIn}`);
  else if (m.role === 'request' && m.retransmissionOf === null) parts.push('no response seen');
  if (m.retransmissionOf !== null) parts.push(`↻ retransmission of #${m.retransmissionOf}`);
  return parts.join('   ');
}

/**
 * A message's detail, as a document: the index row's facts (frame, time, addresses, its request
 * or response, retransmission), the full dissection when the record is at hand, then the frame's
 * bytes in hex and ASCII as tshark -x prints them. `detail.note` says in one line what is missing.
 */
export function messageLines(m: FlowMessage, detail: MessageDetail, width: number): Line[] {
  const lines: Line[] = [];
  const h = (t: string) => lines.push([seg(t, { bold: true, color: 'cyan' })]);
  lines.push([seg(`Frame ${m.frame}${m.n > 0 ? ` (message ${m.n + 1})` : ''}`, { bold: true }),
    seg(`  ${clock(m.ts, true)} UTC  ${clean(m.src)} → ${clean(m.dst)}  ${m.type ?? 'TCP'} ${codeLabel(m)}  ${m.size} bytes`)]);
  const links = linkText(m, detail.response);
  if (links !== '') lines.push([seg('  ' + links, { color: m.retransmissionOf !== null ? 'yellow' : undefined })]);
  if (detail.note !== null) lines.push([seg(clean(detail.note), { color: 'yellow' })]);
  const rec = detail.record;
  if (rec !== null) lines.push(...recordLines(rec, width));
  else lines.push([seg(`  ${clean(m.operation ?? '-')}  endpoint ${clean(m.endpoint ?? '-')}  path ${clean(m.path ?? '-')}  content-format ${m.contentFormat ?? '-'} ${contentFormatName(m.contentFormat)}`)]);
  if (detail.bytes !== null) {
    h(`Bytes (${detail.bytes.length}, the frame as captured)`);
    for (const l of hexDump(detail.bytes)) lines.push([seg('  ' + l)]);
  }
  return lines;
}

/** The dissection of a message record: CoAP header, options, LwM2M, payload records and links. */
function recordLines(rec: MessageRecord, width: number): Line[] {
  const lines: Line[] = [];
  const h = (t: string) => lines.push([seg(t, { bold: true, color: 'cyan' })]);
  const c = rec.coap;
  h(`CoAP over ${clean(rec.transport)}`);
  const method = METHODS[c.code];
  const empty = c.code === '0.00' ? ` ${codeLabel(c)}` : '';
  lines.push([seg(`  ${c.type ?? '-'} ${c.code}${method ? ` ${method}` : empty}  mid ${c.mid ?? '-'}  token ${clean(c.token) || '(empty)'}  role ${c.role}`)]);
  lines.push([seg(`  path ${clean(c.uriPath ?? '-')}${c.uriQuery.length ? `  query ${c.uriQuery.map(clean).join('&')}` : ''}${c.locationPath ? `  location ${clean(c.locationPath)}` : ''}`)]);
  lines.push([seg(`  content-format ${c.contentFormat ?? '-'} ${contentFormatName(c.contentFormat)}  accept ${c.accept ?? '-'}  observe ${c.observe ?? '-'}  payload ${c.payloadLength} bytes`)]);
  lines.push([seg(`  response to ${c.responseTo ?? '-'}  response time ${c.responseTime === null ? '-' : `${(c.responseTime * 1000).toFixed(1)} ms`}  retransmission ${c.retransmission ? `of ${c.retransmissionOf}` : 'no'}`, { dim: true })]);
  if (c.block1 || c.block2) lines.push([seg(`  block1 ${valueText(c.block1)}  block2 ${valueText(c.block2)}`)]);
  h(`Options (${c.options.length})`);
  for (const o of c.options) lines.push([seg(`  ${String(o.number).padStart(4)} `), seg(cell(clean(o.name), 16), { bold: true }), seg(' ' + fit(valueText(o.value), width - 24))]);
  const l = rec.lwm2m;
  if (l) {
    h('LwM2M');
    lines.push([seg(`  ${l.operation}  endpoint ${clean(l.endpoint ?? '-')}  path ${clean(l.path ?? '-')}`)]);
    if (l.objects) lines.push([seg(`  objects ${l.objects.map(clean).join(' ')}`)]);
    if (l.payloadError) lines.push([seg(`  payload error: ${clean(l.payloadError)}`, { color: 'red' })]);
    if (l.records.length) {
      h(`Payload records (${l.records.length})`);
      for (const r of l.records) {
        lines.push([seg('  ' + cell(clean(r.path), 16)), seg(cell(clean(r.name ?? '?'), 28) + ' ', { dim: r.name === null }),
          seg(cell(clean(r.type), 9)), seg(valueText(r.value), { bold: true }), seg(r.time !== undefined ? `  t=${r.time}` : '', { dim: true })]);
      }
    }
    if (l.links && l.links.length) {
      h(`Links (${l.links.length})`);
      for (const k of l.links) {
        const attrs = Object.entries(k.attrs).map(([a, v]) => `;${clean(a)}=${valueText(v)}`).join('');
        lines.push([seg(`  <${clean(k.uri)}>`), seg(attrs, { dim: true })]);
      }
    }
  }
  if (rec.error) lines.push([seg(`Malformed: ${clean(rec.error)}`, { color: 'red', bold: true })]);
  return lines;
}

export function MessageView({ message, detail, width, height, scroll }: { message: FlowMessage; detail: MessageDetail; width: number; height: number; scroll: number }): ReactElement {
  return <DocView lines={messageLines(message, detail, width)} width={width} height={height} scroll={scroll} />;
}
