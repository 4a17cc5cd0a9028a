import type { MessagePort } from 'node:worker_threads';
import type { PskEntry } from '../../dtls/index.js';

/*
 * `analyze --threads 2`: two threads run the same deterministic decode pipeline over the same
 * file. The formatter thread (main) writes the message and DTLS lines; the state thread (a
 * worker) tracks state and runs the rules and produces the endpoint and event lines. Both count
 * "units": every message the pipeline hands on and every DTLS session change, in the same order
 * in both threads since the pipelines are the same. The state thread tags each text it produces
 * with the number of units it had seen when producing it: tag k means "after the line of unit k,
 * before the line of unit k+1" (0: before the first line; texts at the end of the run carry the
 * last unit). That is exactly where the single-threaded session writes them (expiries before a
 * message are "after" the previous unit), so the main thread can merge the two streams into the
 * same bytes.
 */

/** What the state thread is given (workerData). Plain data only: rules are loaded again there. */
export interface StateWorkerData {
  file: string;
  coapPort: number[];
  heuristic: boolean;
  /** --rules paths, false for --no-rules, undefined for the default ruleset (as AnalyzeOptions.rules). */
  rules: string[] | false | undefined;
  /** --psk-file entries then --psk entries (keys arrive as Uint8Array). */
  psk: PskEntry[];
  /** Texts and progress are posted every this many units. */
  batchUnits: number;
  /** Where batches go (transferred). */
  port: MessagePort;
}

/**
 * The state thread's texts since its last batch, with its progress: every text tagged below
 * `complete` has been sent (Infinity in the last batch, which also carries the unit count).
 */
export interface TextBatch {
  type: 'texts';
  /** Tags, ascending; texts[i] goes after the line of unit tags[i]. */
  tags: number[];
  texts: string[];
  complete: number;
  /** In the last batch: how many units the state thread counted in all. */
  units?: number;
}

export interface FailureMessage {
  type: 'error';
  /** One line for the user. */
  message: string;
}

export type FromStateThread = TextBatch | FailureMessage;

/** The state thread failed or disagreed: the run stops with this one-line message. */
export class ThreadError extends Error {
  override name = 'ThreadError';
}
