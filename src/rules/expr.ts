import { CelSyntax, ExpressionError, type Expr } from './cel-syntax.js';
import type { ObservationState } from '../state/index.js';
import { compileTree, ERR, evaluationError, lastError, type ConstantBinders, type Constants, type FunctionTable, type VariableReaders } from './compile.js';

/**
 * Rule conditions are CEL (Common Expression Language, cel-spec): non-Turing-complete, no
 * access to Node. @marcbachmann/cel-js parses and type-checks them (cel-syntax.ts), and
 * compile.ts makes closures of them, with no eval or Function constructor (filtrex, the other
 * common choice, compiles to `new Function`).
 *
 * Numbers from packets are doubles: arithmetic with them needs double literals (`pmax * 2.0`);
 * comparisons mix freely (`m.lifetime < 60`).
 */

/** The variables a rule can read; which ones are filled depends on what the rule runs on. */
export const VARIABLES = ['m', 'ep', 'obs', 'attrs', 'bs', 'change', 'dtls', 'run', 'params'] as const;
export type Variable = (typeof VARIABLES)[number];
export type Scope = Partial<Record<Variable, unknown>>;

/** Each variable read by its own name (see VariableReaders). */
export const READERS: { [V in Variable]: (scope: Scope) => unknown } = {
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

/** "a.b.c.d:port" or "[v6]:port" → the host part. */
export function hostOf(address: string): string {
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
 * A path pattern ("/3305/" + "*" + "/5800") → a matcher for record paths: "*" stands for one
 * segment. Native rather than CEL's `matches`, which compiles a RegExp on every call: these run
 * on every record of every notification. A pattern that is a constant where a rule calls the
 * function is made into its matcher once, when the rule loads (RULE_FUNCTION_BINDERS), so no
 * table of patterns is kept.
 */
export function pathMatcher(pattern: string): (path: string) => boolean {
  const star = pattern.indexOf('*');
  if (star < 0) return (path: string) => path === pattern;
  const prefix = pattern.slice(0, star);
  const suffix = pattern.slice(star + 1);
  if (prefix.endsWith('/') && (suffix === '' || suffix.startsWith('/')) && !suffix.includes('*')) {
    // One wildcard segment ("/3305/" + "*" + "/5800"): compared a character at a time from the
    // end (resource ids differ most, so most paths fail on the first compare; a call of
    // endsWith costs more than that), then the prefix, and no "/" in between.
    const p = prefix.length;
    const q = suffix.length;
    return (path: string) => {
      const n = path.length;
      if (n <= p + q) return false;
      for (let i = 1; i <= q; i++) if (path.charCodeAt(n - i) !== suffix.charCodeAt(q - i)) return false;
      for (let i = 0; i < p; i++) if (path.charCodeAt(i) !== prefix.charCodeAt(i)) return false;
      for (let i = p; i < n - q; i++) if (path.charCodeAt(i) === SLASH) return false;
      return true;
    };
  }
  const re = new RegExp(`^${pattern.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('[^/]+')}$`);
  return (path: string) => path.startsWith(prefix) && re.test(path);
}

const SLASH = 0x2f;

interface RecordLike {
  path: string;
  value: unknown;
}

// The loops over records below are indexed, not for...of: for...of makes an iterator result
// per record, and these run on every record of every notification.

/** Numeric values of the records whose path matches (the last answer is kept: rules ask twice). */
let lastRecords: RecordLike[] | null = null;
let lastMatch: ((path: string) => boolean) | null = null;
let lastValues: number[] = [];
function valuesOf(records: RecordLike[], match: (path: string) => boolean): number[] {
  if (records === lastRecords && match === lastMatch) return lastValues;
  const out: number[] = [];
  for (let i = 0; i < records.length; i++) {
    const r = records[i]!;
    if (typeof r.value === 'number' && match(r.path)) out.push(r.value);
  }
  lastRecords = records;
  lastMatch = match;
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
 * comparison with a bound is simply false (a null would make it an evaluation error).
 */
const extreme = (pick: (a: number, b: number) => number, empty: number) => (list: readonly unknown[]): number => {
  let best = empty;
  for (let i = 0; i < list.length; i++) {
    const v = list[i];
    if (typeof v === 'number') best = pick(best, v);
  }
  return best;
};
const maxOf = extreme(Math.max, -Infinity);
const minOf = extreme(Math.min, Infinity);

const isString = (x: unknown): x is string => typeof x === 'string';
const isList = (x: unknown): x is RecordLike[] => Array.isArray(x);
const NO_SUCH_OVERLOAD = 'no such overload';

/**
 * The rule functions. The type checker admits `dyn` arguments, so each checks its arguments'
 * types and answers a wrong one with an evaluation error, as CEL's "no such overload".
 */
const RULE_FUNCTIONS = {
  previous: (path: unknown) => (isString(path) ? functions.previous(path) : evaluationError(NO_SUCH_OVERLOAD)),
  dtlsSeen: (host: unknown) => (isString(host) ? functions.dtlsSeen(host) : evaluationError(NO_SUCH_OVERLOAD)),
  host: (address: unknown) => (isString(address) ? hostOf(address) : evaluationError(NO_SUCH_OVERLOAD)),
  uriHost: (uri: unknown) => (isString(uri) ? uriHostOf(uri) : evaluationError(NO_SUCH_OVERLOAD)),
  pathLike: (path: unknown, pattern: unknown) => (isString(path) && isString(pattern) ? pathMatcher(pattern)(path) : evaluationError(NO_SUCH_OVERLOAD)),
  values: (records: unknown, pattern: unknown) => (isList(records) && isString(pattern) ? valuesOf(records, pathMatcher(pattern)) : evaluationError(NO_SUCH_OVERLOAD)),
  decreased: (records: unknown, pattern: unknown) => (isList(records) && isString(pattern) ? decreased(records, pathMatcher(pattern)) : evaluationError(NO_SUCH_OVERLOAD)),
  outside: (records: unknown, pattern: unknown, min: unknown, max: unknown) =>
    (isList(records) && isString(pattern) ? outside(records, pathMatcher(pattern), Number(min), Number(max)) : evaluationError(NO_SUCH_OVERLOAD)),
  maxOf: (list: unknown) => (Array.isArray(list) ? maxOf(list) : evaluationError(NO_SUCH_OVERLOAD)),
  minOf: (list: unknown) => (Array.isArray(list) ? minOf(list) : evaluationError(NO_SUCH_OVERLOAD)),
};

/**
 * The rule functions whose pattern (and bounds) are constants where rules call them: the
 * pattern made into its matcher once per call site. A pattern that is no string (a param of
 * another type) is left to the call.
 */
const RULE_FUNCTION_BINDERS: ConstantBinders = {
  pathLike: (pattern: unknown) => {
    if (!isString(pattern)) return undefined;
    const match = pathMatcher(pattern);
    return (path: unknown) => (isString(path) ? match(path) : evaluationError(NO_SUCH_OVERLOAD));
  },
  values: (pattern: unknown) => {
    if (!isString(pattern)) return undefined;
    const match = pathMatcher(pattern);
    return (records: unknown) => (isList(records) ? valuesOf(records, match) : evaluationError(NO_SUCH_OVERLOAD));
  },
  decreased: (pattern: unknown) => {
    if (!isString(pattern)) return undefined;
    const match = pathMatcher(pattern);
    return (records: unknown) => (isList(records) ? decreased(records, match) : evaluationError(NO_SUCH_OVERLOAD));
  },
  outside: (pattern: unknown, min: unknown, max: unknown) => {
    if (!isString(pattern)) return undefined;
    const match = pathMatcher(pattern);
    const [low, high] = [Number(min), Number(max)];
    return (records: unknown) => (isList(records) ? outside(records, match, low, high) : evaluationError(NO_SUCH_OVERLOAD));
  },
};

/** The rule functions as the type checker declares them. */
const SIGNATURES: Record<keyof typeof RULE_FUNCTIONS, string> = {
  previous: 'previous(string): dyn',
  dtlsSeen: 'dtlsSeen(string): bool',
  host: 'host(string): string',
  uriHost: 'uriHost(string): string',
  pathLike: 'pathLike(string, string): bool',
  values: 'values(list, string): list<double>',
  decreased: 'decreased(list, string): list<dyn>',
  outside: 'outside(list, string, dyn, dyn): list<dyn>',
  maxOf: 'maxOf(list): double',
  minOf: 'minOf(list): double',
};

const syntax = new CelSyntax(VARIABLES, Object.fromEntries(
  Object.entries(RULE_FUNCTIONS).map(([name, implementation]) => [name, { signature: SIGNATURES[name as keyof typeof RULE_FUNCTIONS], implementation }]),
));

export { ExpressionError };

/**
 * Evaluates an expression: its value, or ERR (see compile.ts). `source`: the expression's text.
 * `fixedBy`: the variable whose object alone decides the value, when the expression reads
 * nothing but fields of that object that never change (see FIXED_FIELDS) and constants: its
 * value can then be kept per object rather than computed again.
 */
export type Evaluator = ((scope: Scope) => unknown) & { readonly source?: string; readonly fixedBy?: Variable };

/** Keys of T that are readonly: those a state object's interface declares fixed once it is made. */
type ReadonlyKeys<T> = {
  [K in keyof T]-?: (<U>() => U extends { [Q in K]: T[K] } ? 1 : 2) extends (<U>() => U extends { -readonly [Q in K]: T[K] } ? 1 : 2) ? never : K;
}[keyof T];

/**
 * The fields of variables' objects that never change once the object is made: the readonly
 * fields of the state's interface (the compiler checks each name here is one). Only scalars:
 * a key is the value as a string. Never `m`: one object refilled for every message.
 */
const FIXED_FIELDS: Partial<Record<Variable, ReadonlySet<string>>> = {
  obs: new Set<ReadonlyKeys<ObservationState>>(['id', 'endpoint', 'token', 'client', 'server', 'composite', 'startedAt']),
};

/** Functions and methods whose value depends on their arguments alone. */
const PURE_CALLS = new Set(['size', 'double', 'string', 'type', 'host', 'uriHost', 'startsWith', 'endsWith', 'contains']);

/** The variable whose fixed fields alone decide the expression's value (see Evaluator.fixedBy), or undefined. */
function fixedObjectOf(tree: Expr, constants: Constants | undefined): Variable | undefined {
  let object: Variable | undefined;
  const fixed = (node: Expr): boolean => {
    switch (node.kind) {
      case 'literal':
      case 'type':
        return true;
      case 'ident':
        return constants !== undefined && Object.hasOwn(constants, node.name);
      case 'select': {
        if (node.target.kind === 'ident' && constants?.[node.target.name] === undefined) {
          const v = node.target.name as Variable;
          if (!FIXED_FIELDS[v]?.has(node.field) || (object !== undefined && object !== v)) return false;
          object = v;
          return true;
        }
        return fixed(node.target);
      }
      case 'not':
      case 'negate':
        return fixed(node.operand);
      case 'binary':
        return fixed(node.left) && fixed(node.right);
      case 'conditional':
        return fixed(node.test) && fixed(node.then) && fixed(node.otherwise);
      case 'call':
        return PURE_CALLS.has(node.name) && node.args.every(fixed);
      case 'method':
        return PURE_CALLS.has(node.name) && fixed(node.target) && node.args.every(fixed);
      default:
        return false;
    }
  };
  return fixed(tree) ? object : undefined;
}

/**
 * Compiles one CEL expression of the rule language; a syntax or type error, or a construct the
 * language does not have, throws ExpressionError with one line saying which. The `constants`
 * (a rule's params) are folded in.
 */
export function compileExpression(text: string, constants?: Constants): Evaluator {
  const { tree } = syntax.parse(text);
  const evaluate = compileTree(tree, { functions: RULE_FUNCTIONS as unknown as FunctionTable, constants, readers: READERS as VariableReaders, binders: RULE_FUNCTION_BINDERS });
  return Object.assign(evaluate as Evaluator, { source: text, fixedBy: fixedObjectOf(tree, constants) });
}

/**
 * cel-js's own evaluation of an expression, with the same rule functions: the reference the
 * compiled closures are tested against. The engine never uses it.
 */
export function referenceEvaluator(text: string): (scope: Scope) => unknown {
  return syntax.parse(text).reference as (scope: Scope) => unknown;
}

/**
 * The fields of `m` a condition joins with && at its top level (`m.isRequest && ...`): when one
 * is false, null or missing the condition cannot hold, so the engine checks them natively
 * first, as it checks `require:`.
 */
export function conjunctFields(text: string): string[] {
  const fields: string[] = [];
  const walk = (node: Expr): void => {
    if (node.kind === 'binary' && node.op === '&&') {
      walk(node.left);
      walk(node.right);
    } else if (node.kind === 'select' && node.target.kind === 'ident' && node.target.name === 'm') {
      fields.push(node.field);
    }
  };
  walk(syntax.parse(text).tree);
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
 * as false. An exception (none is expected: errors are values) is no match either, so that no
 * packet can stop the analysis.
 */
export function holds(evaluate: Evaluator, scope: Scope): boolean {
  try {
    return evaluate(scope) === true;
  } catch {
    return false;
  }
}

/** An expression's value for keys, messages and details: an evaluation error as "<why>". */
export function valueOf(evaluate: Evaluator, scope: Scope): unknown {
  let v;
  try {
    v = evaluate(scope);
  } catch (err) {
    return `<${(err instanceof Error ? err.message : String(err)).split('\n')[0]}>`;
  }
  return v === ERR ? `<${lastError()}>` : plain(v);
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

