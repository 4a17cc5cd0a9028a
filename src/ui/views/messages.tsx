import { Box } from 'ink';
import type { ReactElement } from 'react';
import { LineView, seg, TitledNote, type Line } from '../lines.js';
import { METHOD_NAMES, parseMessageFilter, type FlowMessage, type FlowPage } from '../source.js';
import { cell, clean, clock, contentFormatName, count } from '../text.js';

/** Fixed columns: mark, frame, time, type, code, operation, content format (with their spaces). */
const MARK = 1;
const FRAME = 8;
const TIME = 13;
const TYPE = 4;
const CODE = 6;
const OPERATION = 11;
const FORMAT = 8;

/** Widths of the columns that share what the fixed ones leave: addresses, endpoint, path. */
function widths(width: number): { addresses: number; endpoint: number; path: number } {
  const free = Math.max(30, width - MARK - FRAME - TIME - TYPE - 1 - CODE - OPERATION - FORMAT);
  // Two IPv4 addresses with ports first ("10.1.0.1:56830→10.0.0.1:5683"), then the names.
  const addresses = Math.min(47, Math.max(Math.min(29, free - 16), Math.floor(free * 0.5)));
  const endpoint = Math.ceil((free - addresses) * 0.63);
  return { addresses, endpoint, path: free - addresses - endpoint };
}

/**
 * The code as read: the method of a request ("0.02 POST" is shown POST), an empty message by
 * what it is (a CON 0.00 is a ping, RFC 7252 4.3; an empty ACK or RST), else the code.
 */
export function codeLabel(m: Pick<FlowMessage, 'code' | 'type'>): string {
  if (m.code === '0.00') return m.type === 'CON' ? 'ping' : m.type === 'ACK' ? 'ACK' : m.type === 'RST' ? 'RST' : 'empty';
  return METHOD_NAMES[m.code] ?? m.code;
}

export function messagesHeader(width: number): Line {
  const w = widths(width);
  return [seg(' ' + cell('FRAME', FRAME) + cell('TIME (UTC)', TIME) + cell('SRC→DST', w.addresses) + cell('TYPE', TYPE + 1) + cell('CODE', CODE)
    + cell('OPERATION', OPERATION) + cell('ENDPOINT', w.endpoint) + cell('PATH', w.path) + 'FORMAT', { bold: true })];
}

/** One message of the list; a retransmission is marked ↻, the event's frame ▶. */
export function messageListLine(m: FlowMessage, width: number, marked = false): Line {
  const w = widths(width);
  const isError = /^[45]\./.test(m.code);
  const isRequest = METHOD_NAMES[m.code] !== undefined;
  return [
    seg(marked ? '▶' : m.retransmissionOf !== null ? '↻' : ' ', { color: 'yellow', bold: true }),
    seg(cell(`#${m.frame}`, FRAME - 1) + ' ', { dim: !marked, bold: marked }),
    seg(cell(clock(m.ts, true), TIME - 1) + ' ', { dim: true }),
    seg(cell(`${clean(m.src)}→${clean(m.dst)}`, w.addresses - 1) + ' '),
    seg(cell(m.type ?? 'TCP', TYPE) + ' ', { dim: true }),
    seg(cell(codeLabel(m), CODE - 1) + ' ', { color: isError ? 'red' : isRequest ? 'cyan' : m.role === 'notification' ? 'green' : undefined }),
    seg(cell(m.operation === null || m.operation === 'unknown' ? '-' : clean(m.operation), OPERATION - 1) + ' '),
    seg(cell(clean(m.endpoint ?? '-'), w.endpoint - 1) + ' ', { color: 'cyan' }),
    seg(cell(clean(m.path ?? '-'), w.path - 1) + ' '),
    seg(cell(m.contentFormat === null ? '-' : contentFormatName(m.contentFormat), FORMAT), { dim: true }),
  ];
}

export interface MessagesViewProps {
  page: FlowPage;
  /** The selected message's index in the whole list. */
  cursor: number;
  filter: string;
  width: number;
  height: number;
}

/** Every message of the run, oldest first, one window of rows (as tshark lists them). */
export function MessagesView({ page, cursor, filter, width, height }: MessagesViewProps): ReactElement {
  const rows = Math.max(0, height - 2);
  const invalid = parseMessageFilter(filter).invalid;
  const title: Line = [
    seg('Messages ', { bold: true }), seg(count(page.total)),
    seg(filter !== '' ? ` of the run's ${count(page.runMessages)}` : '', { dim: true }),
    seg(page.total ? `  ${count(Math.min(cursor + 1, page.total))}/${count(page.total)}` : '', { dim: true }),
    seg(filter ? `  filter: ${clean(filter)}` : '', { color: 'yellow' }),
    seg(invalid.length ? `  not a filter: ${clean(invalid.join(' '))} (frame:A-B)` : '', { color: 'red' }),
    seg('  oldest first', { dim: true }),
  ];
  if (page.unavailable !== null) return <TitledNote title={title} note={clean(page.unavailable)} width={width} height={height} />;
  return (
    <Box flexDirection="column" height={height}>
      <LineView line={title} width={width} />
      <LineView line={messagesHeader(width)} width={width} />
      {page.total === 0 ? <LineView line={[seg(filter ? 'no message matches the filter' : 'no messages', { dim: true })]} width={width} /> : null}
      {page.rows.slice(0, rows).map((m, i) => (
        <LineView key={`${m.frame}-${m.n}`} line={messageListLine(m, width)} width={width} inverse={page.offset + i === cursor} />
      ))}
    </Box>
  );
}
