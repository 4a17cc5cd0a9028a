import { InvalidArgumentError } from 'commander';
import type Database from 'better-sqlite3';
import { EvidenceError } from '../../evidence/index.js';
import {
  displayLocation,
  eventById, latestRun, listMessages, messagesAround, messagesBetween, messagesOfFrame, requireMessageIndex, runExists,
  type EventRow, type IndexedMessage,
} from '../../store/index.js';

/** Frame ranges a --frames list may give: enough for any hand-written list, few enough for one SQL statement. */
const MAX_FRAME_RANGES = 256;

/** `--frames 10-20,25,30-31`: inclusive ranges of frame numbers. */
export function parseFrames(value: string): Array<[number, number]> {
  const ranges = value.split(',').map((part) => {
    const m = /^\s*(\d+)\s*(?:-\s*(\d+)\s*)?$/.exec(part);
    const a = m ? Number(m[1]) : NaN;
    const b = m ? Number(m[2] ?? m[1]) : NaN;
    if (!Number.isSafeInteger(a) || !Number.isSafeInteger(b) || a < 1 || b < a) {
      throw new InvalidArgumentError(`"${part}" is not a frame number or range (A-B, A ≤ B, from 1), in a comma-separated list`);
    }
    return [a, b] as [number, number];
  });
  if (ranges.length > MAX_FRAME_RANGES) throw new InvalidArgumentError(`at most ${MAX_FRAME_RANGES} frame ranges`);
  return ranges;
}

/** A positive integer option (an id). */
export function parseId(what: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < 1) throw new InvalidArgumentError(`"${value}" is not ${what} (a whole number from 1)`);
    return n;
  };
}

/** `--context SECONDS`. */
export function parseSeconds(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0 || n > 86_400 * 366) throw new InvalidArgumentError(`"${value}" is not a number of seconds (0 to a year)`);
  return n;
}

export interface Selection {
  /** Undefined: every run (--endpoint without --run). */
  run: number | undefined;
  messages: IndexedMessage[];
  /** The event's own frame, marked in listings; null when not selected by event. */
  eventFrame: number | null;
  event: EventRow | null;
}

export interface SelectOptions {
  run?: number;
  endpoint?: string;
  event?: number;
  frames?: Array<[number, number]>;
  /** --event: messages of the endpoint either side of the event's (listings). */
  around?: number;
  /** --event: the endpoint's messages within ±this many seconds instead (export --context). */
  context?: number;
}

/** The event, its run, and the messages of its frame, its request and its response. */
export function eventCore(db: Database.Database, path: string, id: number): { event: EventRow; run: number; core: IndexedMessage[] } {
  requireMessageIndex(db, path);
  const event = eventById(db, path, id);
  if (event === null) throw new EvidenceError(`database ${displayLocation(path)} has no event ${id}`);
  if (event.run === null) throw new EvidenceError(`event ${id} belongs to no run`);
  const run = event.run;
  const core: IndexedMessage[] = [];
  if (event.frame !== null) {
    const own = messagesOfFrame(db, path, run, event.frame);
    core.push(...own);
    for (const m of own) {
      // The request it answers and the response it got: the exchange the event is about.
      for (const linked of [m.responseTo, m.responseIn]) if (linked !== null) core.push(...messagesOfFrame(db, path, run, linked));
    }
  }
  return { event, run, core };
}

/**
 * The messages a --event, --endpoint, --run and --frames combination selects, in frame order.
 * --event: the event's frame, its request and response, and the endpoint's (for an event
 * without one, the same addresses') messages around it: `around` either side, or within
 * ±`context` seconds.
 */
export function selectMessages(db: Database.Database, path: string, o: SelectOptions): Selection {
  requireMessageIndex(db, path);
  if (o.event !== undefined) {
    const { event, run, core } = eventCore(db, path, o.event);
    if (o.run !== undefined && o.run !== run) throw new EvidenceError(`event ${o.event} belongs to run ${run}, not run ${o.run}`);
    const endpoint = o.endpoint ?? event.endpoint;
    const addresses = [event.src, event.dst].filter((a): a is string => a !== null);
    let around: IndexedMessage[];
    if (o.context !== undefined) {
      const frame = event.frame ?? core[0]?.frame ?? 0;
      around = messagesBetween(db, path, run, { frame, endpoint, addresses }, event.ts - o.context, event.ts + o.context);
    } else if (event.frame !== null) {
      around = messagesAround(db, path, run, { frame: event.frame, endpoint, addresses }, o.around ?? 10, o.around ?? 10);
    } else {
      // Raised by the passage of time (an absence): what came before it.
      const earlier = messagesBetween(db, path, run, { frame: 0, endpoint, addresses }, event.ts - 86_400, event.ts);
      around = earlier.slice(-(o.around ?? 10));
    }
    let messages = unique([...core, ...around]);
    if (o.frames) messages = messages.filter((m) => o.frames!.some(([a, b]) => m.frame >= a && m.frame <= b));
    return { run, messages, eventFrame: event.frame, event };
  }
  let run = o.run;
  if (run === undefined && o.endpoint === undefined) {
    const latest = latestRun(db, path);
    if (latest === null) throw new EvidenceError(`database ${displayLocation(path)} has no runs`);
    run = latest;
  }
  if (run !== undefined && !runExists(db, path, run)) throw new EvidenceError(`database ${displayLocation(path)} has no run ${run}`);
  return { run, messages: [], eventFrame: null, event: null };
}

/** Without --event: the messages, read as they are listed (a run can hold millions). */
export function streamMessages(db: Database.Database, path: string, o: SelectOptions, run: number | undefined): Iterable<IndexedMessage> {
  return listMessages(db, path, { run, endpoint: o.endpoint, frames: o.frames });
}

function unique(messages: IndexedMessage[]): IndexedMessage[] {
  const seen = new Map<string, IndexedMessage>();
  for (const m of messages) seen.set(`${m.frame}/${m.n}`, m);
  return [...seen.values()].sort((a, b) => a.frame - b.frame);
}
