import type { Evaluator, Template, Variable } from './expr.js';
import type { MessageFacts } from './facts.js';
import type { OutcomeClass, Severity } from './types.js';

/** What a rule is evaluated on: each analysed message, an endpoint changing state, a DTLS session changing. */
export type RuleTrigger = 'message' | 'endpoint' | 'dtls';
export const TRIGGERS: readonly RuleTrigger[] = ['message', 'endpoint', 'dtls'];

/**
 * match: `when` holds. threshold: `when` held `count` times for one key within `within` s.
 * absence: `when` arms a deadline per key (re-arming moves it); if it passes and `still` holds
 * then, the event fires. sequence: the steps held in order for one key within `within` s.
 */
export type RuleKind = 'match' | 'threshold' | 'absence' | 'sequence';
export const KINDS: readonly RuleKind[] = ['match', 'threshold', 'absence', 'sequence'];

export interface Rule {
  id: string;
  /** Signature id of the rule's EVE alerts (`sid:`), unique across the rule files. */
  sid: number;
  /** Revision of the rule (`rev:`, default 1): raised when its meaning changes. */
  rev: number;
  title: string;
  severity: Severity;
  description: string;
  references: string[];
  tags: string[];
  on: RuleTrigger;
  kind: RuleKind;
  /** LwM2M operations the rule looks at (a prefilter); null: every message. */
  operations: ReadonlySet<string> | null;
  /** Fields of `m` that must be truthy for the rule to be evaluated at all (a native prefilter). */
  require: ReadonlyArray<keyof MessageFacts>;
  when: Evaluator | null;
  threshold: { count: number; within: number; by: Evaluator } | null;
  absence: { within: Evaluator; by: Evaluator; still: Evaluator | null } | null;
  sequence: { steps: Evaluator[]; within: number; by: Evaluator } | null;
  /** How repeated matches become events (see Suppression). */
  suppress: Suppression;
  /** Severity by how the request was answered, where not the rule's own (message rules only); null: none given. */
  outcome: Partial<Record<OutcomeClass, Severity>> | null;
  message: Template;
  details: Array<[string, Evaluator]>;
  params: Record<string, unknown>;
  /** Variables the rule's expressions read: the engine builds only these. */
  needs: ReadonlySet<Variable>;
  /**
   * Variables read after the message, when an absence deadline passes (`absence.still`,
   * `message`, `details`): what an armed deadline keeps of the message's scope.
   */
  late: ReadonlySet<Variable>;
  /** Captures (absolute paths) on which the rule must fire, and on which it must not. */
  examples: { trigger: string[]; clean: string[] };
  /** Where the rule is written: "rules/registration.yaml:12". */
  source: string;
}

/**
 * What a match is tracked by for suppression: the source address of its cause, the
 * destination, both (the two addresses in either direction), the endpoint (the source address
 * when unknown), or the rule alone (one count for all).
 */
export type SuppressTrack = 'src' | 'dst' | 'both' | 'endpoint' | 'rule';
export const SUPPRESS_TRACKS: readonly SuppressTrack[] = ['src', 'dst', 'both', 'endpoint', 'rule'];

/**
 * Suricata's `threshold` keyword, per tracked key and window of `seconds` from the window's
 * first match. limit: the first `count` matches are events, later ones fold into the last of
 * them. threshold: every `count`-th match is an event standing for the `count` before it.
 * both: the `count`-th match is an event, later ones fold into it. `seconds` 0 with limit:
 * every match is an event.
 */
export type SuppressType = 'limit' | 'threshold' | 'both';
export const SUPPRESS_TYPES: readonly SuppressType[] = ['limit', 'threshold', 'both'];

export interface Suppression {
  type: SuppressType;
  track: SuppressTrack;
  count: number;
  seconds: number;
}
