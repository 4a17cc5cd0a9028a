import type { DetectionEvent } from '../../rules/index.js';

/**
 * One `{"kind":"event",…}` line (with its newline), written when an event first fires.
 * Identical events the rule's suppression window collapses into it are counted in the
 * database (`events.count`), not repeated in the stream.
 */
export function eventLine(e: DetectionEvent): string {
  return JSON.stringify({
    kind: 'event', ts: Math.round(e.ts * 1e6) / 1e6, rule: e.rule, severity: e.severity, endpoint: e.endpoint,
    src: e.src, dst: e.dst, frame: e.frame, message: e.message, details: e.details,
  }) + '\n';
}
