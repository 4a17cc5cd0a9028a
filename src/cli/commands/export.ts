import type { Command } from 'commander';
import { EvidenceError, overwritesSource, RunSource, writeFramesPcap, type Frame } from '../../evidence/index.js';
import { eventFrame, openForReading, type FramePlace, type IndexedMessage } from '../../store/index.js';
import { sanitizeForTerminal } from '../../util/terminal-text.js';
import { parseFrames, parseId, parseSeconds, selectMessages, streamMessages, type SelectOptions } from './evidence-select.js';

interface ExportOptions extends SelectOptions {
  db: string;
  out: string;
  source?: string;
}

/** Frames one export writes: each is read from the capture and held until the file is written. */
const MAX_EXPORTED = 1_000_000;

/** `coapwatch export --db PATH --out FILE.pcap`: frames of a run, read back from its capture, to a pcap. */
export function registerExportCommand(program: Command): void {
  program
    .command('export')
    .description("Write the frames of an event, an endpoint or a frame list to a pcap file, read back from the run's capture")
    .requiredOption('--db <path>', 'database written by analyze --db or monitor: a SQLite file or a postgres:// URL')
    .requiredOption('--out <file.pcap>', 'the pcap file to write (replaced if it exists)')
    .option('--event <id>', "the event's frame, its request and its response", parseId('an event id'))
    .option('--context <seconds>', "with --event: also the endpoint's frames within ± this many seconds of it (without an endpoint: those between its two addresses)", parseSeconds)
    .option('--endpoint <name>', "the endpoint's frames (of --run, default the newest run)")
    .option('--frames <list>', 'these frames: A-B ranges or numbers, comma-separated (10-20,25); with --endpoint or --event, only those among them', parseFrames)
    .option('--run <id>', 'the run (default: the event\'s, else the newest)', parseId('a run id'))
    .option('--source <path>', 'the capture file, when it is no longer where the run read it')
    .addHelpText('after', `
Give one of --event, --endpoint or --frames. Frames are written in their capture order, with their original
time stamps and link type, to a classic pcap (microseconds) that tshark and Wireshark open:
  tshark -r FILE.pcap
The frames are read from the run's capture file (for monitor, its --write files), where the message index
says they lie; if the file has moved or changed, the command says so and --source PATH gives its new place.
Exit status: 0 when the file is written; 1 when nothing is selected, the capture cannot be read, the database
cannot be read, or a flag is wrong.`)
    .action((opts: ExportOptions) => {
      if (opts.event === undefined && opts.endpoint === undefined && opts.frames === undefined) {
        throw new EvidenceError('export: give --event ID, --endpoint NAME or --frames LIST');
      }
      if (opts.context !== undefined && opts.event === undefined) throw new EvidenceError('export: --context goes with --event');
      const db = openForReading(opts.db);
      try {
        // With --endpoint alone, the newest run: one pcap file is one run's frames.
        // --event alone: the event's exchange only (around: 0); --context widens it by time.
        const selection = selectMessages(db, opts.db, opts.event === undefined && opts.run === undefined ? { ...opts, endpoint: undefined } : { ...opts, around: 0 });
        const run = selection.run!;
        const messages: IndexedMessage[] = opts.event !== undefined ? selection.messages : [];
        if (opts.event === undefined) {
          for (const m of streamMessages(db, opts.db, opts, run)) {
            if (messages.length === MAX_EXPORTED) throw new EvidenceError(`export writes at most ${MAX_EXPORTED} frames at once; narrow it with --frames`);
            messages.push(m);
          }
        }
        const source = RunSource.open(db, opts.db, run, { source: opts.source });
        const places = new Map<number, FramePlace>();
        let unplaced = 0;
        for (const m of messages) {
          if (places.has(m.frame)) continue;
          if (m.file === null || m.offset === null || m.linkType === null) unplaced++;
          else places.set(m.frame, source.placeOf(m));
        }
        // An event on a frame that carries no message (a DTLS record) is found where the run recorded it.
        const own = selection.event?.frame ?? null;
        if (own !== null && !places.has(own)) {
          const place = eventFrame(db, opts.db, run, own);
          if (place !== null) places.set(own, place);
        }
        if (places.size === 0) {
          throw new EvidenceError(unplaced > 0 ? `the ${unplaced} selected frames have no recorded place in a capture file` : 'no frames match');
        }
        const frames: Frame[] = [...places.values()].sort((a, b) => a.frame - b.frame).map((p) => source.frame(p));
        // Writing starts by emptying --out: never the capture the frames come from.
        if (overwritesSource(frames, opts.out)) throw new EvidenceError(`export: --out ${opts.out} is the run's capture itself; write elsewhere`);
        writeFramesPcap(frames, opts.out);
        const first = frames[0].frame;
        const last = frames[frames.length - 1].frame;
        process.stdout.write(`coapwatch: wrote ${frames.length} frame${frames.length === 1 ? '' : 's'} of run ${run} (frames ${first}${last === first ? '' : `-${last}`}) to ${sanitizeForTerminal(opts.out)}\n`);
        if (unplaced > 0) process.stderr.write(`coapwatch: warning: ${unplaced} selected frames have no recorded place in a capture file and were left out\n`);
      } finally {
        db.close();
      }
    });
}
