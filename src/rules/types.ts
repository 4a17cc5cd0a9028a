export const SEVERITIES = ['info', 'low', 'medium', 'high', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];

/**
 * How a request was answered: `success` (2.xx), `refused` (4.xx, or an RST: the peer would not
 * process it), `error` (5.xx and any other code), `no-answer` (none within the exchange
 * lifetime, or before the input ended).
 */
export const OUTCOMES = ['success', 'refused', 'error', 'no-answer'] as const;
export type OutcomeClass = (typeof OUTCOMES)[number];

/** The answer to the request an event was raised on (or to one folded into it). */
export interface EventOutcome {
  outcome: OutcomeClass;
  /** The response's code ("2.04", "4.01"), "RST" for a reset; null when no answer came. */
  code: string | null;
  /** Frame of the response; null when no answer came. */
  frame: number | null;
  /** When it was known: the response's capture time, or when the exchange expired or the input ended. */
  ts: number;
  /** Frame of the request it answers: the event's own, or that of a match folded into the event. */
  request: number | null;
}

/**
 * One detection: which rule, about which endpoint, in which packet, with the evidence.
 * Suppression (the rule's `suppress:`) folds later matches for the same tracked key within its
 * window into the event, whose `count` and `lastTs` then grow.
 */
export interface DetectionEvent {
  /** The event's number in its run, from 1 in the order events are raised: what later records name it by. */
  id: number;
  ts: number;
  rule: string;
  /** The rule's severity, or the one its `outcome:` block gives the answer shown in `outcome`. */
  severity: Severity;
  endpoint: string | null;
  src: string | null;
  dst: string | null;
  /** Frame of the packet that triggered it; null for events from the passage of time (absence). */
  frame: number | null;
  /** One human sentence with the evidence (path, value, counts). */
  message: string;
  /** The fields the rule used. */
  details: Record<string, unknown>;
  /** Matches this event stands for: itself and those folded into it. */
  count: number;
  lastTs: number;
  /**
   * Null for an event not raised on a request (nothing to answer); 'pending' until the answer
   * is known; then the answer that decided the event's severity: its own request's, or a folded
   * match's whose answer weighs more (a success after refusals).
   */
  outcome: EventOutcome | 'pending' | null;
}
