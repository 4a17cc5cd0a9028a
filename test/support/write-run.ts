import { messageLine } from '../../src/cli/format/ndjson.js';
import type { AnalyzedMessage } from '../../src/pipeline/index.js';
import { StateTracker } from '../../src/state/index.js';
import { RunWriter } from '../../src/store/index.js';

export interface WriteRunOptions {
  /** The run's source (default "run.pcap"). */
  source?: string;
  storeMessages?: boolean;
  sensor?: string;
  /** Commit after every message, as a monitor with a short interval would. */
  commitEach?: boolean;
  /** The packet count the finished run records (default: the messages'); null leaves the run unfinished, committed as a killed process leaves it. */
  packets?: number | null;
}

/** Writes `messages` into the database at `location` as one run, through the state tracker the writer listens to, as `analyze --db` does. */
export function writeRun(location: string, messages: Iterable<AnalyzedMessage>, opts: WriteRunOptions = {}): RunWriter {
  const writer = RunWriter.open(location, opts.source ?? 'run.pcap', opts.storeMessages ?? false, undefined, null, opts.sensor);
  const tracker = new StateTracker(writer);
  writer.attach(tracker);
  let count = 0;
  for (const m of messages) {
    tracker.handle(m);
    writer.message(m, messageLine);
    if (opts.commitEach) writer.flush();
    count++;
  }
  if (opts.packets === null) writer.flush();
  else writer.finish(opts.packets ?? count);
  return writer;
}
