import { Option, type Command } from 'commander';
import { EvidenceError, RunSource } from '../../evidence/index.js';
import { openForReading, type IndexedMessage } from '../../store/index.js';
import { sanitizeForTerminal } from '../../util/terminal-text.js';
import { writeTable, type TableColumn } from '../format/table.js';
import { LineWriter } from '../output.js';
import { parseFrames, parseId, selectMessages, streamMessages, type SelectOptions } from './evidence-select.js';
import { integerIn } from '../options.js';
import { hexDump } from '../../util/hex-dump.js';

export { hexDump } from '../../util/hex-dump.js';

interface MessagesOptions extends SelectOptions {
  db: string;
  format: 'table' | 'ndjson';
  dissect?: boolean;
  source?: string;
}

/** Messages --dissect reads back in one command: each is a file read and a pipeline run. */
const MAX_DISSECTED = 10_000;

/** Time with milliseconds: messages of one exchange are milliseconds apart. */
function timeMs(t: number): string {
  const date = new Date(Math.round(t * 1000));
  return Number.isNaN(date.getTime()) ? String(t) : date.toISOString();
}

function link(m: IndexedMessage): string | null {
  const parts: string[] = [];
  if (m.responseTo !== null) parts.push(`request in #${m.responseTo}`);
  if (m.responseIn !== null) parts.push(`response in #${m.responseIn}`);
  if (m.retransmissionOf !== null) parts.push(`repeats #${m.retransmissionOf}`);
  return parts.length ? parts.join(', ') : null;
}

function columns(eventFrame: number | null): Array<TableColumn<IndexedMessage>> {
  return [
    ...(eventFrame === null ? [] : [{ header: ' ', cell: (m: IndexedMessage) => (m.frame === eventFrame ? '*' : '') }]),
    { header: 'RUN', cell: (m) => m.run },
    { header: 'FRAME', cell: (m) => m.frame },
    { header: 'TIME', cell: (m) => timeMs(m.ts) },
    { header: 'SRC', cell: (m) => m.src },
    { header: 'DST', cell: (m) => m.dst },
    // A CoAP ping is CON 0.00: named, as an empty ACK is.
    { header: 'TYPE', cell: (m) => m.type ?? m.transport },
    { header: 'CODE', cell: (m) => m.code },
    { header: 'ROLE', cell: (m) => m.role },
    { header: 'OPERATION', cell: (m) => m.operation ?? (m.error === null ? null : 'malformed') },
    { header: 'ENDPOINT', cell: (m) => m.endpoint, maxWidth: 32 },
    { header: 'PATH', cell: (m) => m.path, maxWidth: 32 },
    { header: 'CF', cell: (m) => m.contentFormat },
    { header: 'LINK', cell: (m) => link(m) ?? m.error, maxWidth: 64 },
  ];
}

/** `coapwatch messages --db PATH`: the message index of a run, or of an event's exchange. */
export function registerMessagesCommand(program: Command): void {
  program
    .command('messages')
    .description('List the messages of a run from the message index every analyze --db or monitor run keeps; --dissect decodes them again from the capture')
    .requiredOption('--db <path>', 'database written by analyze --db or monitor: a SQLite file or a postgres:// URL')
    .option('--run <id>', 'only this run (default: the newest; with --endpoint and no --run, every run)', parseId('a run id'))
    .option('--endpoint <name>', "only this endpoint's messages")
    .option('--event <id>', "the event's message, its request and response, and the endpoint's messages around it (see --around)", parseId('an event id'))
    .option('--around <n>', 'with --event: messages of the endpoint listed before and after the event\'s', integerIn(0, 10_000, 'a count'), 10)
    .option('--frames <list>', 'only these frames: A-B ranges or numbers, comma-separated (10-20,25)', parseFrames)
    .option('--dissect', 'decode each listed message again from its capture file: the full NDJSON record (ndjson) or the record and the frame in hex (table)')
    .option('--source <path>', 'the capture file, when it is no longer where the run read it (with --dissect)')
    .addOption(new Option('-f, --format <format>', 'a table, or one JSON object per message').choices(['table', 'ndjson']).default('table'))
    .addHelpText('after', `
Columns: FRAME is tshark's frame.number in the run's capture; LINK names the request a response answers
("request in #N"), the first response to a request ("response in #N") and the message a retransmission
repeats. With --event, * marks the event's own frame; an event without an endpoint (malformed-coap) lists
the messages of the same addresses around it.
--format ndjson: one object per message: run, frame, n, ts, src, dst, transport, type, code, role, operation,
endpoint, path, contentFormat, size, responseTo, responseIn, retransmissionOf, error, file, offset, linkType
(where the frame lies in the run's capture file), and with --event, marked (the event's frame).
With --dissect: {"kind":"dissection","frame":N,"bytes":"<hex>","records":[<the message records as analyze
--format ndjson prints them>],"note":...}.
Exit status: 0 on success (also when nothing matches); 1 when the database cannot be read, the event or run does
not exist, the capture has moved or changed (--dissect; give it with --source), or a flag is wrong.`)
    .action((opts: MessagesOptions) => {
      const db = openForReading(opts.db);
      try {
        const selection = selectMessages(db, opts.db, opts);
        const rows = opts.event !== undefined ? selection.messages : streamMessages(db, opts.db, opts, selection.run);
        const out = new LineWriter();
        if (opts.dissect) {
          // Read whole first: the connection serves the dissections' own lookups while they run.
          const listed: IndexedMessage[] = [];
          for (const m of rows) {
            if (listed.length === MAX_DISSECTED) {
              throw new EvidenceError(`--dissect decodes at most ${MAX_DISSECTED} messages at once; narrow the list with --frames, --endpoint or --event`);
            }
            listed.push(m);
          }
          const sources = new Map<number, RunSource>();
          for (const m of listed) {
            let source = sources.get(m.run);
            if (!source) sources.set(m.run, (source = RunSource.open(db, opts.db, m.run, { source: opts.source })));
            const d = source.dissect(m);
            if (opts.format === 'ndjson') {
              out.write(JSON.stringify({ kind: 'dissection', run: m.run, frame: m.frame, ts: d.frame.ts, file: d.frame.path, offset: d.frame.offset,
                linkType: d.frame.linkType, bytes: d.frame.data.toString('hex'), records: d.records, note: d.note }) + '\n');
            } else {
              out.write(`${selection.eventFrame === m.frame ? '* ' : ''}run ${m.run} frame ${m.frame}  ${timeMs(d.frame.ts)}  ${d.frame.data.length} bytes at byte ${d.frame.offset} of ${sanitizeForTerminal(d.frame.path)}\n`);
              for (const r of d.records) out.write(`  ${sanitizeForTerminal(JSON.stringify(r))}\n`);
              if (d.note !== null) out.write(`  (${sanitizeForTerminal(d.note)})\n`);
              for (const line of hexDump(d.frame.data)) out.write(`  ${line}\n`);
              out.write('\n');
            }
          }
        } else if (opts.format === 'ndjson') {
          for (const m of rows) out.write(JSON.stringify(selection.eventFrame === null ? m : { ...m, marked: m.frame === selection.eventFrame }) + '\n');
        } else {
          writeTable((text) => out.write(text), columns(selection.eventFrame), rows);
        }
        out.flush();
      } finally {
        db.close();
      }
    });
}
