import { Environment } from '@marcbachmann/cel-js';
import { compileFast, ERR, NEEDS_INTERPRETER, type ConstantBinders, type Constants, type FunctionTable, type VariableReaders } from './fast.js';

/**
 * Rule conditions are CEL (Common Expression Language, cel-spec) compiled by
 * @marcbachmann/cel-js: non-Turing-complete, no access to Node, no eval or Function
 * constructor (filtrex, the other common choice, compiles to `new Function`).
 *
 * Numbers from packets are doubles: arithmetic with them needs double literals (`pmax * 2.0`);
 * comparisons mix freely (`m.lifetime < 60`).
 */

/** The variables a rule can read; which ones are filled depends on what the rule runs on. */
export const VARIABLES = ['m', 'ep', 'obs', 'attrs', 'bs', 'change', 'dtls', 'run', 'params'] as const;
export type Variable = (typeof VARIABLES)[number];
export type Scope = Partial<Record<Variable, unknown>>;

/** For the fast path: each variable read by its own name (see VariableReaders). */
const READERS: { [V in Variable]: (scope: Scope) => unknown } = {
  m: (s) => s.m, ep: (s) => s.ep, obs: (s) => s.obs, attrs: (s) => s.attrs, bs: (s) => s.bs, change: (s) => s.change,
  dtls: (s) => s.dtls, run: (s) => s.run, params: (s) => s.params,
};

/** Lookups the engine answers for the message being evaluated (set before each evaluation). */
export interface ScopeFunctions {
  /** Last known value of a resource of the current endpoint before this message, or null. */
  previous(path: string): unknown;
  /** Has this host (no port) been seen speaking DTLS? */
  dtlsSeen(host: string): boolean;
}

let functions: ScopeFunctions = { previous: () => null, dtlsSeen: () => false };

export function setScopeFunctions(f: ScopeFunctions): void {
  functions = f;
}

/** "a.b.c.d:port" or "[v6]:port" → the host part (cached: the decoder reuses address strings). */
const hosts = new Map<string, string>();
export function hostOf(address: string): string {
  let host = hosts.get(address);
  if (host === undefined) {
    if (hosts.size >= 65_536) hosts.clear();
    hosts.set(address, (host = splitHost(address)));
  }
  return host;
}

function splitHost(address: string): string {
  if (address.startsWith('[')) {
    const end = address.indexOf(']');
    return end < 0 ? address : address.slice(1, end);
  }
  const colon = address.lastIndexOf(':');
  return colon < 0 || address.indexOf(':') !== colon ? address : address.slice(0, colon);
}

/** The host of a URI ("coap://198.51.100.66:5683/fw" → "198.51.100.66"), or "" when it has none. */
export function uriHostOf(uri: string): string {
  const m = /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\/(?:[^@/?#]*@)?(\[[^\]]*\]|[^:/?#]*)/.exec(uri);
  if (!m) return '';
  return m[1].startsWith('[') ? m[1].slice(1, -1) : m[1].toLowerCase();
}

/**
 * A path pattern ("/3305/" + "*" + "/5800") → a matcher for record paths: "*" stands for one segment. Native and cached:
 * CEL's own `matches` compiles a RegExp on every call, and these run on every record of every
 * notification.
 */
const patterns = new Map<string, (path: string) => boolean>();
export function pathMatcher(pattern: string): (path: string) => boolean {
  let match = patterns.get(pattern);
  if (match) return match;
  const star = pattern.indexOf('*');
  if (star < 0) {
    match = (path: string) => path === pattern;
  } else {
    // Most records fail on the object id: a prefix test rejects them before the full pattern.
    const prefix = pattern.slice(0, star);
    const suffix = pattern.slice(star + 1);
    if (prefix.endsWith('/') && (suffix === '' || suffix.startsWith('/')) && !suffix.includes('*')) {
      // One wildcard segment ("/3305/" + "*" + "/5800"): the suffix, the prefix and no "/" in
      // between, a character at a time and from the end (resource ids differ most), which
      // rejects most paths in a compare or two; startsWith and friends cost more per call.
      const p = prefix.length;
      const q = suffix.length;
      const compare = (path: string, n: number) => {
        for (let i = 1; i <= q; i++) if (path.charCodeAt(n - i) !== suffix.charCodeAt(q - i)) return false;
        for (let i = 0; i < p; i++) if (path.charCodeAt(i) !== prefix.charCodeAt(i)) return false;
        for (let i = p; i < n - q; i++) if (path.charCodeAt(i) === SLASH) return false;
        return true;
      };
      // A path that passes the last character is answered from the paths seen before: V8 costs
      // ~40 instructions per charCodeAt, so a full compare is ~600 against ~100 for the lookup,
      // whose hash the device twin then finds already computed when it files the record.
      // Bounded over all patterns: paths come off the wire, patterns may too (pathLike).
      const last = q > 0 ? suffix.charCodeAt(q - 1) : -1;
      const seen = new Map<string, boolean>();
      match = (path: string) => {
        const n = path.length;
        if (n <= p + q || (last >= 0 && path.charCodeAt(n - 1) !== last)) return false;
        let known = seen.get(path);
        if (known === undefined) {
          known = compare(path, n);
          if (seenBudget > 0) {
            seen.set(path, known);
            seenBudget--;
          }
        }
        return known;
      };
      if (patterns.size < 1000) patterns.set(pattern, match);
      return match;
    }
    const re = new RegExp(`^${pattern.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('[^/]+')}$`);
    match = (path: string) => path.startsWith(prefix) && re.test(path);
  }
  if (patterns.size < 1000) patterns.set(pattern, match);
  return match;
}

const SLASH = 0x2f;
/** Answers the one-segment patterns may still remember, all patterns together (see pathMatcher). */
let seenBudget = 16_384;

interface RecordLike {
  path: string;
  value: unknown;
}

/*
 * The loops over records below are indexed, not for...of. A heap profile of the state thread
 * (allocations sampled, including those the young-generation collector frees) found for...of
 * here making an iterator result for every record, where the rule closures call outside() and
 * decreased(): 127 MB over the 200k bench capture, 18 % of all the thread allocated (704 MB;
 * 540 MB with indexed loops).
 */

/** Numeric values of the records whose path matches the pattern (the last answer is kept: rules ask twice). */
let lastRecords: RecordLike[] | null = null;
let lastPattern = '';
let lastValues: number[] = [];
function valuesOf(records: RecordLike[], pattern: string): number[] {
  if (records === lastRecords && pattern === lastPattern) return lastValues;
  const match = pathMatcher(pattern);
  const out: number[] = [];
  for (let i = 0; i < records.length; i++) {
    const r = records[i]!;
    if (typeof r.value === 'number' && match(r.path)) out.push(r.value);
  }
  lastRecords = records;
  lastPattern = pattern;
  lastValues = out;
  return out;
}

/** The answer of outside() and decreased() when nothing qualifies (nearly always): shared, not made per call. */
const NONE: ReadonlyArray<Record<string, unknown>> = Object.freeze([]);

/** Records under the pattern whose numeric value lies outside [min, max]: {path, value}. One pass, no list of values. */
function outside(records: RecordLike[], match: (path: string) => boolean, min: number, max: number): ReadonlyArray<Record<string, unknown>> {
  let out: Array<Record<string, unknown>> | null = null;
  for (let i = 0; i < records.length; i++) {
    const r = records[i]!;
    const v = r.value;
    if (typeof v === 'number' && (v < min || v > max) && match(r.path)) (out ??= []).push({ path: r.path, value: v });
  }
  return out ?? NONE;
}

/** Records under the pattern whose numeric value is below the last one known: {path, previous, value}. */
function decreased(records: RecordLike[], match: (path: string) => boolean): ReadonlyArray<Record<string, unknown>> {
  let out: Array<Record<string, unknown>> | null = null;
  for (let i = 0; i < records.length; i++) {
    const r = records[i]!;
    if (typeof r.value !== 'number' || !match(r.path)) continue;
    const previous = functions.previous(r.path);
    if (typeof previous === 'number' && r.value < previous) (out ??= []).push({ path: r.path, previous, value: r.value });
  }
  return out ?? NONE;
}

/**
 * Largest / smallest number of a list. Of an empty list: -infinity / +infinity, so that a
 * comparison with a bound is simply false (a null would make it an evaluation error, and
 * errors are slow).
 */
const extreme = (pick: (a: number, b: number) => number, empty: number) => (list: unknown[]): number => {
  let best = empty;
  for (let i = 0; i < list.length; i++) {
    const v = list[i];
    if (typeof v === 'number') best = pick(best, v);
  }
  return best;
};

/** The rule functions, for the interpreter and the fast path alike. */
const RULE_FUNCTIONS = {
  previous: (path: string) => functions.previous(path),
  dtlsSeen: (host: string) => functions.dtlsSeen(host),
  host: hostOf,
  uriHost: uriHostOf,
  pathLike: (path: string, pattern: string) => pathMatcher(pattern)(path),
  values: valuesOf,
  decreased: (records: RecordLike[], pattern: string) => decreased(records, pathMatcher(pattern)),
  outside: (records: RecordLike[], pattern: string, min: unknown, max: unknown) => outside(records, pathMatcher(pattern), Number(min), Number(max)),
  maxOf: extreme(Math.max, -Infinity),
  minOf: extreme(Math.min, Infinity),
};

/**
 * The rule functions whose pattern (and bounds) are constants where rules call them: bound once
 * per call site. A pattern that is no string (a param of another type) is left to the call.
 */
const RULE_FUNCTION_BINDERS: ConstantBinders = {
  pathLike: (pattern: unknown) => (typeof pattern === 'string' ? pathMatcher(pattern) : undefined),
  decreased: (pattern: unknown) => {
    if (typeof pattern !== 'string') return undefined;
    const match = pathMatcher(pattern);
    return (records: RecordLike[]) => decreased(records, match);
  },
  outside: (pattern: unknown, min: unknown, max: unknown) => {
    if (typeof pattern !== 'string') return undefined;
    const match = pathMatcher(pattern);
    const [low, high] = [Number(min), Number(max)];
    return (records: RecordLike[]) => outside(records, match, low, high);
  },
};

const environment = new Environment({ homogeneousAggregateLiterals: false, enableOptionalTypes: true, limits: { maxAstNodes: 2000, maxDepth: 64 } })
  .registerFunction('previous(string): dyn', RULE_FUNCTIONS.previous)
  .registerFunction('dtlsSeen(string): bool', RULE_FUNCTIONS.dtlsSeen)
  .registerFunction('host(string): string', RULE_FUNCTIONS.host)
  .registerFunction('uriHost(string): string', RULE_FUNCTIONS.uriHost)
  .registerFunction('pathLike(string, string): bool', RULE_FUNCTIONS.pathLike)
  .registerFunction('values(list, string): list<double>', RULE_FUNCTIONS.values)
  .registerFunction('decreased(list, string): list<dyn>', RULE_FUNCTIONS.decreased)
  .registerFunction('outside(list, string, dyn, dyn): list<dyn>', RULE_FUNCTIONS.outside)
  .registerFunction('maxOf(list): double', RULE_FUNCTIONS.maxOf)
  .registerFunction('minOf(list): double', RULE_FUNCTIONS.minOf);
for (const v of VARIABLES) environment.registerVariable(v, 'dyn');

export class ExpressionError extends Error {}

/**
 * Evaluates an expression: its value, or a thrown error (CEL's own, or FAST_ERROR). `fast`,
 * when the expression compiled to closures, is them: an error is the value ERR, not a throw.
 */
export type Evaluator = ((scope: Scope) => unknown) & {
  interpreted?: (scope: Scope) => unknown;
  fast?: (scope: Scope) => unknown;
  /** Set when the value is made only of literals and fields of one variable, joined by `+`: those fields. */
  reads?: FieldReads;
};

/** `obs.client + " " + obs.token`: the variable and the fields read. */
export interface FieldReads {
  /** Reads the variable from a scope by its own name (see READERS). */
  read: (scope: Scope) => unknown;
  fields: string[];
}

/** An error from the fast path: preallocated (no stack), its message recovered from the interpreter. */
const FAST_ERROR = new Error('evaluation error');

/**
 * Compiles one CEL expression; a syntax or type error throws ExpressionError with CEL's first
 * line. Expressions in the fast path's subset run as closures (see fast.ts), with the
 * `constants` (a rule's params) folded in; `interpreted` keeps the CEL interpreter's
 * evaluation, which reads them from the scope, for comparison.
 */
export function compileExpression(text: string, constants?: Constants): Evaluator {
  let interpreted: (ctx: Scope) => unknown;
  let ast: unknown;
  try {
    const parsed = environment.parse(text);
    const check = parsed.check();
    if (!check.valid) throw check.error;
    interpreted = parsed as unknown as (ctx: Scope) => unknown;
    ast = (parsed as unknown as { ast: unknown }).ast;
  } catch (err) {
    throw new ExpressionError(firstLine(err));
  }
  const fast = compileFast(ast as Parameters<typeof compileFast>[0], RULE_FUNCTIONS as unknown as FunctionTable, constants, READERS as VariableReaders, RULE_FUNCTION_BINDERS);
  if (!fast) return Object.assign((scope: Scope) => interpreted(scope), { interpreted });
  const evaluate = (scope: Scope): unknown => {
    let result;
    try {
      result = fast(scope as Record<string, unknown>);
    } catch (err) {
      if (err === NEEDS_INTERPRETER) return interpreted(scope);
      throw err;
    }
    if (result === ERR) throw FAST_ERROR;
    return result;
  };
  const reads = fieldReads(ast as AstLike);
  return Object.assign(evaluate, { interpreted, fast: fast as (scope: Scope) => unknown }, reads ? { reads } : {});
}

interface AstLike {
  op: string;
  args: unknown;
}

/** The fields an expression of literals, `+` and `variable.field` reads, or null for anything else. */
function fieldReads(ast: AstLike): FieldReads | null {
  let variable: Variable | null = null;
  const fields: string[] = [];
  const walk = (node: AstLike): boolean => {
    const args = node.args as AstLike[];
    if (node.op === 'value') return true;
    if (node.op === '+') return walk(args[0]) && walk(args[1]);
    if (node.op !== '.' || args[0].op !== 'id') return false;
    const name = args[0].args as Variable;
    if (variable !== null && variable !== name) return false;
    variable = name;
    fields.push(args[1] as unknown as string);
    return true;
  };
  return walk(ast) && variable !== null ? { read: READERS[variable], fields } : null;
}

/**
 * The fields of `m` a condition joins with && at its top level (`m.isRequest && ...`): when one
 * is false, null or missing the condition cannot hold, so the engine checks them natively
 * first, as it checks `require:`.
 */
export function conjunctFields(text: string): string[] {
  const fields: string[] = [];
  const walk = (node: AstLike): void => {
    const args = node.args as AstLike[];
    if (node.op === '&&') {
      walk(args[0]);
      walk(args[1]);
    } else if (node.op === '.' && args[0].op === 'id' && args[0].args === 'm') {
      fields.push(args[1] as unknown as string);
    }
  };
  walk((environment.parse(text) as unknown as { ast: AstLike }).ast);
  return fields;
}

/** Which rule variables an expression mentions, so the engine fills only those. */
export function variablesOf(text: string): Set<Variable> {
  const used = new Set<Variable>();
  for (const v of VARIABLES) if (new RegExp(`(^|[^\\w.])${v}\\b`).test(text)) used.add(v);
  return used;
}

/**
 * Runs a condition: true only for a boolean true; evaluation errors (a missing key, null) count
 * as false. `fast`: the condition's closures, where the caller keeps them at hand.
 */
export function holds(evaluate: Evaluator, scope: Scope, fast = evaluate.fast): boolean {
  // Rules run on every message: the closures answer without an exception even when they err.
  if (fast !== undefined) {
    try {
      return fast(scope) === true;
    } catch (err) {
      if (err !== NEEDS_INTERPRETER) return false;
    }
  }
  // A condition that errs (null.startsWith, a missing key) is common and means "no match":
  // its error object needs no stack trace, which is most of what it costs.
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return (fast === undefined ? evaluate : evaluate.interpreted!)(scope) === true;
  } catch {
    return false;
  } finally {
    Error.stackTraceLimit = limit;
  }
}

export function valueOf(evaluate: Evaluator, scope: Scope): unknown {
  // The closures first (keys and deadlines are computed on every notification); an error or a
  // value they leave to the interpreter takes the way below, which also words the error.
  const fast = evaluate.fast;
  if (fast !== undefined) {
    try {
      const v = fast(scope);
      if (v !== ERR) return plain(v);
    } catch {
      // Evaluated again below.
    }
  }
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return plain(evaluate(scope));
  } catch (err) {
    if (err !== FAST_ERROR || !evaluate.interpreted) return `<${firstLine(err)}>`;
    try {
      evaluate.interpreted(scope);
      return '<evaluation error>';
    } catch (celError) {
      return `<${firstLine(celError)}>`;
    }
  } finally {
    Error.stackTraceLimit = limit;
  }
}

/** Objects refilled for every message (`m`): a value that outlives the evaluation is a copy. */
const transient = new WeakSet<object>();

export function markTransient(o: object): void {
  transient.add(o);
}

/** CEL ints are BigInt and maps may be Map: back to what JSON and templates take. */
function plain(v: unknown): unknown {
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'object' && v !== null && transient.has(v)) return { ...v };
  if (v instanceof Map) return Object.fromEntries([...v].map(([k, x]) => [String(k), plain(x)]));
  if (Array.isArray(v)) return v.map(plain);
  return v;
}

export type Template = (scope: Scope) => string;

/** "Lifetime {{m.q.lt}} s from {{m.src}}": text with CEL expressions in double braces. */
export function compileTemplate(text: string, constants?: Constants): Template {
  const parts: Array<string | Evaluator> = [];
  let at = 0;
  for (const match of text.matchAll(/\{\{(.*?)\}\}/gs)) {
    parts.push(text.slice(at, match.index));
    parts.push(compileExpression(match[1].trim(), constants));
    at = match.index + match[0].length;
  }
  parts.push(text.slice(at));
  return (scope) => parts.map((p) => (typeof p === 'string' ? p : render(valueOf(p, scope)))).join('');
}

function render(v: unknown): string {
  if (v === null || v === undefined) return '-';
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : String(Math.round(v * 1000) / 1000);
  return JSON.stringify(v);
}

function firstLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0];
}
