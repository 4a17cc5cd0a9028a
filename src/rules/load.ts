import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { isMap, LineCounter, parseAllDocuments, Parser, type Document } from 'yaml';
import { compileExpression, compileTemplate, conjunctFields, ExpressionError, variablesOf, type Evaluator, type Variable } from './expr.js';
import { MESSAGE_FACTS, type MessageFacts } from './facts.js';
import {
  KINDS, SUPPRESS_TRACKS, SUPPRESS_TYPES, TRIGGERS, type Rule, type RuleKind, type RuleTrigger, type Suppression, type SuppressTrack,
  type SuppressType,
} from './rule.js';
import { OUTCOMES, SEVERITIES, type OutcomeClass, type Severity } from './types.js';

/** A rule that declares no `suppress:` folds matches for one key into one event a minute. */
const DEFAULT_SUPPRESS_S = 60;
/**
 * Limits on a rule file, which may come from anyone (a shared ruleset): its size, how deeply
 * its YAML nests (the YAML library composes nodes recursively, and a file of ten thousand
 * brackets exhausts the stack), how far its aliases may expand (an alias bomb: nine aliases of
 * nine aliases of ... make billions of values from a few hundred bytes), and how many values a
 * document may hold once expanded. The bundled rule files are a few KiB and nest four deep.
 */
export const RULE_FILE_LIMITS = { bytes: 1 << 20, depth: 32, aliases: 100, values: 100_000 } as const;

const SUPPRESS_KEYS = ['type', 'track', 'count', 'seconds'];
/** Suricata keeps signature ids and revisions in 32 bits. */
const MAX_SID = 4_294_967_295;
const KEYS = new Set([
  'id', 'sid', 'rev', 'title', 'severity', 'description', 'references', 'tags', 'on', 'kind', 'operations', 'require', 'when',
  'threshold', 'absence', 'sequence', 'suppress', 'outcome', 'message', 'details', 'params', 'examples',
]);

/** A problem in a rule file, located as "file:line". */
export interface RuleProblem {
  file: string;
  line: number;
  message: string;
}

export interface LoadedRules {
  rules: Rule[];
  problems: RuleProblem[];
  files: string[];
}

/** The YAML files of a rules folder (sorted), or the file itself. */
export function ruleFiles(path: string): string[] {
  let st;
  try {
    st = statSync(path);
  } catch {
    throw new RuleLoadError(`${path}: no such rules file or folder`);
  }
  if (!st.isDirectory()) return [path];
  return readdirSync(path).filter((f) => /\.ya?ml$/.test(f)).sort().map((f) => join(path, f));
}

export class RuleLoadError extends Error {}

/**
 * Loads every rule of the given files and folders. Problems do not stop the loading: each is
 * reported with its file and line, and the rules without one are returned.
 */
export function loadRules(paths: string[]): LoadedRules {
  const files = paths.flatMap(ruleFiles);
  const rules: Rule[] = [];
  const problems: RuleProblem[] = [];
  const seen = new Map<string, string>();
  const seenSids = new Map<number, string>();
  for (const file of files) {
    const text = readRuleFile(file, problems);
    if (text === null) continue;
    const deep = tooDeep(text);
    if (deep !== null) {
      // Not composed at all: composing is what would exhaust the stack.
      problems.push({ file, line: text.slice(0, deep).split('\n').length, message: `YAML nested more than ${RULE_FILE_LIMITS.depth} deep` });
      continue;
    }
    const lines = new LineCounter();
    for (const doc of parseAllDocuments(text, { lineCounter: lines, prettyErrors: false })) {
      const at = (offset: number | undefined) => (offset === undefined ? 0 : lines.linePos(offset).line);
      if (doc.errors.length > 0) {
        for (const e of doc.errors) problems.push({ file, line: at(e.pos[0]), message: e.message.split('\n')[0] });
        continue;
      }
      if (doc.contents === null) continue; // an empty document (a trailing ---)
      const problem = (key: string | null, message: string) => problems.push({ file, line: at(offsetOf(doc, key)), message });
      const spec = documentValue(doc);
      if (typeof spec === 'string') {
        problem(null, spec);
        continue;
      }
      const rule = compileRule(spec, file, at(offsetOf(doc, null)), problem);
      if (!rule) continue;
      const earlier = seen.get(rule.id);
      if (earlier) {
        problem('id', `rule id "${rule.id}" is already used at ${earlier}`);
        continue;
      }
      const earlierSid = seenSids.get(rule.sid);
      if (earlierSid) {
        problem('sid', `sid ${rule.sid} is already used at ${earlierSid}`);
        continue;
      }
      seen.set(rule.id, rule.source);
      seenSids.set(rule.sid, rule.source);
      rules.push(rule);
    }
  }
  return { rules, problems, files };
}

/** A rule file's text, or null with the problem noted: only regular files, and only up to the size limit. */
function readRuleFile(file: string, problems: RuleProblem[]): string | null {
  try {
    // Checked before opening: opening a FIFO would wait for a writer.
    const st = statSync(file);
    if (!st.isFile()) problems.push({ file, line: 0, message: 'not a regular file' });
    else if (st.size > RULE_FILE_LIMITS.bytes) problems.push({ file, line: 0, message: `larger than ${RULE_FILE_LIMITS.bytes} bytes` });
    else return readFileSync(file, 'utf8');
  } catch (err) {
    problems.push({ file, line: 0, message: (err as Error).message.split('\n')[0] });
  }
  return null;
}

/** CST tokens as far as tooDeep reads them: collections have items, items have keys and values. */
interface CstNode {
  type?: string;
  value?: CstNode;
  items?: Array<{ key?: CstNode | null; value?: CstNode | null }>;
  offset?: number;
}

/**
 * The offset of a node nested deeper than the limit, or null. Read from the YAML library's
 * concrete syntax tree, which its parser builds without recursion, walking with a stack of its
 * own: before anything composes the document recursively.
 */
function tooDeep(text: string): number | null {
  const stack: Array<[CstNode, number]> = [];
  for (const token of new Parser().parse(text)) stack.push([token as CstNode, 0]);
  while (stack.length > 0) {
    const [node, depth] = stack.pop()!;
    if (depth > RULE_FILE_LIMITS.depth) return node.offset ?? 0;
    if (node.value) stack.push([node.value, depth]);
    for (const item of node.items ?? []) {
      if (item.key) stack.push([item.key, depth + 1]);
      if (item.value) stack.push([item.value, depth + 1]);
    }
  }
  return null;
}

/**
 * A document as plain values, or why it cannot be one: aliases beyond the limit (the YAML
 * library counts what they expand to), or more values than the limit once expanded. Aliases
 * share the value they name, so the count walks the expansion with a budget, not the tree.
 */
function documentValue(doc: Document): Record<string, unknown> | string {
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: RULE_FILE_LIMITS.aliases });
  } catch (err) {
    if (err instanceof ReferenceError && /alias/i.test(err.message)) {
      return /Excessive/.test(err.message) ? `YAML aliases expand beyond ${RULE_FILE_LIMITS.aliases} values` : err.message.split('\n')[0];
    }
    return `YAML: ${(err as Error).message.split('\n')[0]}`;
  }
  const stack: Array<[unknown, number]> = [[value, 0]];
  let values = 0;
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (++values > RULE_FILE_LIMITS.values) return `YAML expands to more than ${RULE_FILE_LIMITS.values} values`;
    if (depth > RULE_FILE_LIMITS.depth) return `YAML nested more than ${RULE_FILE_LIMITS.depth} deep (through aliases)`;
    if (v !== null && typeof v === 'object') for (const x of Object.values(v)) stack.push([x, depth + 1]);
  }
  return value as Record<string, unknown>;
}

function offsetOf(doc: Document, key: string | null): number | undefined {
  const contents = doc.contents;
  if (key !== null && isMap(contents)) {
    const pair = contents.items.find((p) => (p.key as { value?: unknown } | null)?.value === key);
    const node = (pair?.value ?? pair?.key) as { range?: [number, number, number] } | undefined;
    if (node?.range) return node.range[0];
  }
  return (contents as { range?: [number, number, number] } | null)?.range?.[0];
}

type Problem = (key: string | null, message: string) => void;

function compileRule(spec: Record<string, unknown>, file: string, line: number, problem: Problem): Rule | null {
  if (spec === null || typeof spec !== 'object' || Array.isArray(spec)) {
    problem(null, 'a rule is a YAML mapping (id, title, severity, when, ...)');
    return null;
  }
  let ok = true;
  const fail = (key: string | null, message: string) => {
    problem(key, message);
    ok = false;
  };
  for (const key of Object.keys(spec)) if (!KEYS.has(key)) fail(key, `unknown key "${key}" (known: ${[...KEYS].join(', ')})`);

  const id = spec.id;
  if (typeof id !== 'string' || !/^[a-z0-9][a-z0-9-]*$/.test(id)) fail('id', 'id: required, lower-case letters, digits and dashes');
  // The signature id of EVE alerts (docs/eve.md): a SIEM keys its alert history on it, so it is
  // declared in the file rather than derived from the order or the id, and never reused.
  const sid = spec.sid;
  if (typeof sid !== 'number' || !Number.isInteger(sid) || sid < 1 || sid > MAX_SID) fail('sid', `sid: required, an integer from 1 to ${MAX_SID}, unique across the rule files`);
  const rev = spec.rev ?? 1;
  if (typeof rev !== 'number' || !Number.isInteger(rev) || rev < 1 || rev > MAX_SID) fail('rev', `rev: an integer from 1 to ${MAX_SID} (default 1)`);
  const text = (key: string, required = true): string => {
    const v = spec[key];
    if (v === undefined && !required) return '';
    if (typeof v !== 'string' || v.trim() === '') fail(key, `${key}: required text`);
    return typeof v === 'string' ? v.trim() : '';
  };
  const list = (key: string): string[] => {
    const v = spec[key] ?? [];
    if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) {
      fail(key, `${key}: a list of strings`);
      return [];
    }
    return v as string[];
  };
  const title = text('title');
  const description = text('description');
  const severity = spec.severity as Severity;
  if (!SEVERITIES.includes(severity)) fail('severity', `severity: one of ${SEVERITIES.join(', ')}`);
  const on = (spec.on ?? 'message') as RuleTrigger;
  if (!TRIGGERS.includes(on)) fail('on', `on: one of ${TRIGGERS.join(', ')}`);
  const kind = (spec.kind ?? 'match') as RuleKind;
  if (!KINDS.includes(kind)) fail('kind', `kind: one of ${KINDS.join(', ')}`);
  const operations = spec.operations === undefined ? null : new Set(list('operations'));
  if (operations && on !== 'message') fail('operations', 'operations: only for rules on messages');

  const require = spec.require === undefined ? [] : list('require');
  if (require.length > 0 && on !== 'message') fail('require', 'require: only for rules on messages');
  for (const field of require) {
    if (!(MESSAGE_FACTS as readonly string[]).includes(field)) fail('require', `require: "${field}" is not a field of m (${MESSAGE_FACTS.join(', ')})`);
  }
  const params = spec.params ?? {};
  const paramsOk = params !== null && typeof params === 'object' && !Array.isArray(params);
  if (!paramsOk) fail('params', 'params: a mapping');
  // params are constants: the compiler folds them into the expressions.
  const constants = paramsOk ? { params } : undefined;
  const used = new Set<Variable>();
  const late = new Set<Variable>();
  /** `evaluatedLate`: read when an absence deadline passes (still, message, details), not with the message. */
  const expr = (key: string, source: unknown, evaluatedLate = false): Evaluator | null => {
    if (typeof source !== 'string' || source.trim() === '') {
      fail(key, `${key}: a CEL expression`);
      return null;
    }
    try {
      const e = compileExpression(source, constants);
      for (const v of variablesOf(source)) {
        used.add(v);
        if (evaluatedLate) late.add(v);
      }
      return e;
    } catch (err) {
      fail(key, `${key}: ${(err as Error).message}`);
      return null;
    }
  };
  const when = spec.when === undefined && kind === 'sequence' ? null : expr('when', spec.when);
  // `m.isResponse && ...`: checked natively before the condition, like require (a sequence
  // rule's steps are its conditions, not `when`).
  if (when && on === 'message' && kind !== 'sequence') {
    for (const field of conjunctFields(spec.when as string)) {
      if ((MESSAGE_FACTS as readonly string[]).includes(field) && !require.includes(field)) require.push(field);
    }
  }

  const section = (key: string): Record<string, unknown> | null => {
    const v = spec[key];
    if (v === undefined) {
      if (kind === key) fail(null, `kind ${kind} needs a "${key}:" section`);
      return null;
    }
    if (kind !== key) fail(key, `"${key}:" belongs to rules of kind ${key}`);
    if (v === null || typeof v !== 'object' || Array.isArray(v)) {
      fail(key, `${key}: a mapping`);
      return null;
    }
    return v as Record<string, unknown>;
  };
  let threshold: Rule['threshold'] = null;
  const t = section('threshold');
  if (t) {
    const count = t.count;
    if (typeof count !== 'number' || !Number.isInteger(count) || count < 2 || count > 100_000) fail('threshold', 'threshold.count: an integer from 2 to 100000');
    const within = seconds(t.within);
    if (within === null) fail('threshold', 'threshold.within: seconds (a number, or "30s", "5m", "1h")');
    const by = expr('threshold', t.by ?? '""');
    if (by && within !== null) threshold = { count: count as number, within, by };
  }
  let absence: Rule['absence'] = null;
  const a = section('absence');
  if (a) {
    const constant = seconds(a.within);
    const within = constant !== null ? (() => constant) : expr('absence', a.within);
    const by = expr('absence', a.by);
    const still = a.still === undefined ? null : expr('absence', a.still, true);
    if (within && by) absence = { within, by, still };
  }
  let sequence: Rule['sequence'] = null;
  const s = section('sequence');
  if (s) {
    const steps = Array.isArray(s.steps) && s.steps.length >= 2 ? s.steps.map((x) => expr('sequence', x)) : null;
    if (!steps) fail('sequence', 'sequence.steps: a list of at least two CEL expressions');
    const within = seconds(s.within);
    if (within === null) fail('sequence', 'sequence.within: seconds');
    const by = expr('sequence', s.by ?? '""');
    if (steps && steps.every((x) => x !== null) && within !== null && by) sequence = { steps: steps as Evaluator[], within, by };
  }

  const suppress = suppression(spec.suppress, on, (message) => fail('suppress', message));
  const outcome = outcomeSeverities(spec.outcome, on, (message) => fail('outcome', message));
  let message = null;
  try {
    const m = spec.message ?? spec.title;
    if (typeof m !== 'string') fail('message', 'message: text with {{ CEL }} placeholders');
    else {
      message = compileTemplate(m, constants);
      for (const v of variablesOf(m)) {
        used.add(v);
        late.add(v);
      }
    }
  } catch (err) {
    if (err instanceof ExpressionError) fail('message', `message: ${err.message}`);
    else throw err;
  }
  const details: Rule['details'] = [];
  if (spec.details !== undefined) {
    if (spec.details === null || typeof spec.details !== 'object' || Array.isArray(spec.details)) fail('details', 'details: a mapping of name: CEL expression');
    else for (const [name, source] of Object.entries(spec.details)) {
      const e = expr('details', source, true);
      if (e) details.push([name, e]);
    }
  }
  const examples = { trigger: [] as string[], clean: [] as string[] };
  if (spec.examples !== undefined) {
    const ex = spec.examples as Record<string, unknown>;
    for (const which of ['trigger', 'clean'] as const) {
      const v = ex?.[which] ?? [];
      const names = typeof v === 'string' ? [v] : v;
      if (!Array.isArray(names) || names.some((x) => typeof x !== 'string')) fail('examples', `examples.${which}: a capture path or a list of them`);
      else examples[which] = (names as string[]).map((n) => resolve(dirname(file), n));
    }
  }
  if (!ok || !message) return null;
  return {
    id: id as string, sid: sid as number, rev: rev as number, title, severity, description, references: list('references'), tags: list('tags'), on, kind, operations,
    require: require as Array<keyof MessageFacts>,
    when, threshold, absence, sequence, suppress, outcome, message, details, params: params as Record<string, unknown>,
    needs: used, late, examples, source: `${relative(process.cwd(), file) || file}:${line}`,
  };
}

/** 30, "30s", "5m", "2h" → seconds; null when it is none of these. */
function seconds(v: unknown): number | null {
  if (typeof v === 'number') return Number.isFinite(v) && v >= 0 ? v : null;
  if (typeof v !== 'string') return null;
  const m = /^\s*(\d+(?:\.\d+)?)\s*(s|m|h|d)?\s*$/.exec(v);
  if (!m) return null;
  return Number(m[1]) * { s: 1, m: 60, h: 3600, d: 86400 }[(m[2] ?? 's') as 's' | 'm' | 'h' | 'd'];
}

/**
 * `suppress:` as Suricata's threshold keyword (type, track, count, seconds), or a duration alone
 * (type limit, count 1). Undeclared: limit, count 1, 60 s, tracked by endpoint for rules on
 * endpoint changes and by source and destination for the others.
 */
function suppression(v: unknown, on: RuleTrigger, fail: (message: string) => void): Suppression {
  const s: Suppression = { type: 'limit', track: on === 'endpoint' ? 'endpoint' : 'both', count: 1, seconds: DEFAULT_SUPPRESS_S };
  if (v === undefined) return s;
  if (typeof v === 'number' || typeof v === 'string') {
    const d = seconds(v);
    if (d === null) fail('suppress: seconds (0 to report every match), or a mapping of type, track, count, seconds');
    else s.seconds = d;
    return s;
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) {
    fail('suppress: seconds, or a mapping of type, track, count, seconds');
    return s;
  }
  const m = v as Record<string, unknown>;
  for (const key of Object.keys(m)) if (!SUPPRESS_KEYS.includes(key)) fail(`suppress: unknown key "${key}" (known: ${SUPPRESS_KEYS.join(', ')})`);
  if (m.type !== undefined) {
    if (SUPPRESS_TYPES.includes(m.type as SuppressType)) s.type = m.type as SuppressType;
    else fail(`suppress.type: one of ${SUPPRESS_TYPES.join(', ')}`);
  }
  if (m.track !== undefined) {
    if (SUPPRESS_TRACKS.includes(m.track as SuppressTrack)) s.track = m.track as SuppressTrack;
    else fail(`suppress.track: one of ${SUPPRESS_TRACKS.join(', ')}`);
  }
  if (m.count !== undefined) {
    if (typeof m.count === 'number' && Number.isInteger(m.count) && m.count >= 1 && m.count <= 100_000) s.count = m.count;
    else fail('suppress.count: an integer from 1 to 100000');
  }
  if (m.seconds !== undefined) {
    const d = seconds(m.seconds);
    if (d === null) fail('suppress.seconds: seconds (a number, or "30s", "5m", "1h")');
    else s.seconds = d;
  }
  if (s.type !== 'limit' && s.seconds === 0) fail(`suppress.seconds: a window longer than 0 s for type ${s.type}`);
  return s;
}

/** `outcome:` severities by how the request was answered (success, refused, error, no-answer). */
function outcomeSeverities(v: unknown, on: RuleTrigger, fail: (message: string) => void): Rule['outcome'] {
  if (v === undefined) return null;
  if (on !== 'message') {
    fail('outcome: only for rules on messages (a request\'s answer)');
    return null;
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) {
    fail(`outcome: a mapping of ${OUTCOMES.join(', ')} to a severity`);
    return null;
  }
  const out: Partial<Record<OutcomeClass, Severity>> = {};
  for (const [key, severity] of Object.entries(v)) {
    if (!OUTCOMES.includes(key as OutcomeClass)) fail(`outcome: unknown outcome "${key}" (known: ${OUTCOMES.join(', ')})`);
    else if (!SEVERITIES.includes(severity as Severity)) fail(`outcome.${key}: one of ${SEVERITIES.join(', ')}`);
    else out[key as OutcomeClass] = severity as Severity;
  }
  return out;
}
