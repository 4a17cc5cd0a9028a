export { RULE_TABLE_BOUNDS, RULE_TABLES, type RuleTableBounds } from './bounds.js';
export { RuleEngine, type DtlsChange, type EventSink } from './engine.js';
export { loadRules, ruleFiles, RuleLoadError, type LoadedRules, type RuleProblem } from './load.js';
export type { Rule, RuleKind, RuleTrigger, Suppression, SuppressTrack, SuppressType } from './rule.js';
export { DeclaredServers, parseServerSpec, type ServerSpec } from './servers.js';
export { OUTCOMES, SEVERITIES, type DetectionEvent, type EventOutcome, type OutcomeClass, type Severity } from './types.js';
