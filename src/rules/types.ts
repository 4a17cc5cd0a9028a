export const SEVERITIES = ['info', 'low', 'medium', 'high', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];

/**
 * One detection: which rule, about which endpoint, in which packet, with the evidence.
 * Suppression collapses identical events (same rule and endpoint within the rule's window)
 * into the first one, whose `count` and `lastTs` then grow.
 */
export interface DetectionEvent {
  ts: number;
  rule: string;
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
  count: number;
  lastTs: number;
}
