import type { DetectionEvent, EventOutcome } from '../../rules/index.js';

/** Capture times as the stream writes them: microseconds. */
const micro = (ts: number): number => Math.round(ts * 1e6) / 1e6;

/**
 * One `{"kind":"event",…}` line (with its newline), written when an event is raised. `id` is
 * its number in the run, which the later `event-outcome` and `event-repeats` lines name it by;
 * `outcome` is "pending" when it was raised on a request (an `event-outcome` line follows), null
 * when there is no answer to wait for.
 */
export function eventLine(e: DetectionEvent): string {
  return JSON.stringify({
    kind: 'event', id: e.id, ts: micro(e.ts), rule: e.rule, severity: e.severity, endpoint: e.endpoint,
    src: e.src, dst: e.dst, frame: e.frame, message: e.message, details: e.details, count: e.count,
    outcome: e.outcome === null ? null : 'pending',
  }) + '\n';
}

/**
 * `{"kind":"event-outcome",…}`: how the request of event `event` was answered (`repeat` false),
 * or how one folded into it was, when that answer now decides the event (`repeat` true); with
 * the event's severity from then on.
 */
export function eventOutcomeLine(e: DetectionEvent, o: EventOutcome, repeat: boolean): string {
  return JSON.stringify({
    kind: 'event-outcome', event: e.id, ts: micro(o.ts), outcome: o.outcome, code: o.code, frame: o.frame,
    request: o.request, severity: e.severity, repeat,
  }) + '\n';
}

/** `{"kind":"event-repeats",…}`: event `event`'s suppression window closed; `count` matches stand behind it. */
export function eventRepeatsLine(e: DetectionEvent): string {
  return JSON.stringify({ kind: 'event-repeats', event: e.id, count: e.count, lastTs: micro(e.lastTs) }) + '\n';
}
