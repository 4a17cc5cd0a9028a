import type { MessagePort } from 'node:worker_threads';
import type { DtlsEvent } from '../../dtls/index.js';

/*
 * `analyze --threads 2`: the formatter thread (main) reads and decodes the file once, writes
 * the message and DTLS lines, and hands every message and DTLS session change to the state
 * thread (a worker) in batches (unit-codec.ts). The state thread tracks state, runs the rules
 * and produces the endpoint and event lines. Both count "units": every message and every DTLS
 * session change, in the order the pipeline produced them. The state thread tags each text it
 * produces with the number of units it had seen when producing it: tag k means "after the line
 * of unit k, before the line of unit k+1" (0: before the first line; texts at the end of the run
 * carry the last unit). That is exactly where the single-threaded session writes them (expiries
 * before a message are "after" the previous unit), so the main thread can merge the two streams
 * into the same bytes.
 *
 * The state thread also writes the end of every message line, from its LwM2M part on
 * (writeMessageTail): it reads each payload anyway for state and rules, so the formatter thread
 * does not read payloads at all (AnalysisPipeline's `payloads: false`) and writes each line's
 * head only. A message's tail is the first text tagged with its unit, so it lands right after
 * the head. Session 12, 1M bench capture, five alternating rounds with a prototype: the formatter
 * thread's CPU time fell from 8.7-10.5 s to 6.5-7.7 s, the state thread's stayed within 7.1-8.7 s,
 * and the run took 9.0-10.2 s against 9.6-11.5 s.
 */

/** What the state thread is given (workerData). Plain data only: rules are loaded again there. */
export interface StateWorkerData {
  /** --rules paths, false for --no-rules, undefined for the default ruleset (as AnalyzeOptions.rules). */
  rules: string[] | false | undefined;
  /** Where units come from and texts go (transferred). */
  port: MessagePort;
}

/** Units the formatter thread decoded, for the state thread (encoded by UnitEncoder); its arrays are transferred. */
export interface UnitBatch extends SpentArrays {
  type: 'units';
  /** Slots of `slots` in use. */
  length: number;
  /** For each string table: the strings numbered in this batch, in the order of their numbers. */
  strings: TableStrings[];
  /** Long strings sent without a number. */
  inline: string[];
  /** Copies of the DTLS session changes among the units, in order. */
  dtls: DtlsEvent[];
}

export interface TableStrings {
  strings: string[];
  /** Both ends empty this table before the batch. */
  reset: boolean;
}

/** The formatter thread's last word: no more units. */
export interface EndOfUnits {
  type: 'end';
  /** Packets in the file (as AnalysisSession.finish takes them). */
  packets: number | null;
}

export type ToStateThread = UnitBatch | EndOfUnits;

/**
 * The state thread's texts since its last batch, with its progress (one for each batch of
 * units it took in): every text tagged below `complete` has been sent (Infinity in the last
 * batch, which also carries the unit count).
 */
export interface TextBatch {
  type: 'texts';
  /** Tags, ascending; text i goes after the line of unit tags[i]. */
  tags: number[];
  /** Where text i ends in `bytes` (it starts where text i - 1 ends, the first at 0). */
  ends: number[];
  /** The texts, back to back, as UTF-8 (transferred). */
  bytes: Uint8Array<ArrayBuffer>;
  complete: number;
  /** In the last batch: how many units the state thread counted in all. */
  units?: number;
  /** The arrays of the batch of units this answers, given back for the next batches (transferred). */
  spent?: SpentArrays;
}

export interface SpentArrays {
  /** The encoded units. */
  slots: Float64Array<ArrayBuffer>;
  /** The characters of the strings sent raw, one byte each (Latin-1), and payload bodies, in order. */
  chars: Uint8Array<ArrayBuffer>;
}

/** The transfer list that moves a batch's arrays to the other thread. */
export function transferOf(arrays: SpentArrays): ArrayBuffer[] {
  return [arrays.slots.buffer, arrays.chars.buffer];
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
