import { Environment } from '@marcbachmann/cel-js';

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

const environment = new Environment({ homogeneousAggregateLiterals: false, enableOptionalTypes: true, limits: { maxAstNodes: 2000, maxDepth: 64 } })
  .registerFunction('previous(string): dyn', (path: string) => functions.previous(path))
  .registerFunction('dtlsSeen(string): bool', (host: string) => functions.dtlsSeen(host))
  .registerFunction('host(string): string', hostOf)
  .registerFunction('uriHost(string): string', uriHostOf);
for (const v of VARIABLES) environment.registerVariable(v, 'dyn');

export class ExpressionError extends Error {}

export type Evaluator = (scope: Scope) => unknown;

/** Compiles one CEL expression; a syntax or type error throws ExpressionError with CEL's first line. */
export function compileExpression(text: string): Evaluator {
  let evaluate: (ctx: Scope) => unknown;
  try {
    const parsed = environment.parse(text);
    const check = parsed.check();
    if (!check.valid) throw check.error;
    evaluate = parsed as unknown as (ctx: Scope) => unknown;
  } catch (err) {
    throw new ExpressionError(firstLine(err));
  }
  return evaluate;
}

/** Which rule variables an expression mentions, so the engine fills only those. */
export function variablesOf(text: string): Set<Variable> {
  const used = new Set<Variable>();
  for (const v of VARIABLES) if (new RegExp(`(^|[^\\w.])${v}\\b`).test(text)) used.add(v);
  return used;
}

/** Runs a condition: true only for a boolean true; evaluation errors (a missing key, null) count as false. */
export function holds(evaluate: Evaluator, scope: Scope): boolean {
  try {
    return evaluate(scope) === true;
  } catch {
    return false;
  }
}

export function valueOf(evaluate: Evaluator, scope: Scope): unknown {
  try {
    return plain(evaluate(scope));
  } catch (err) {
    return `<${firstLine(err)}>`;
  }
}

/** CEL ints are BigInt and maps may be Map: back to what JSON and templates take. */
function plain(v: unknown): unknown {
  if (typeof v === 'bigint') return Number(v);
  if (v instanceof Map) return Object.fromEntries([...v].map(([k, x]) => [String(k), plain(x)]));
  if (Array.isArray(v)) return v.map(plain);
  return v;
}

export type Template = (scope: Scope) => string;

/** "Lifetime {{m.q.lt}} s from {{m.src}}": text with CEL expressions in double braces. */
export function compileTemplate(text: string): Template {
  const parts: Array<string | Evaluator> = [];
  let at = 0;
  for (const match of text.matchAll(/\{\{(.*?)\}\}/gs)) {
    parts.push(text.slice(at, match.index));
    parts.push(compileExpression(match[1].trim()));
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
