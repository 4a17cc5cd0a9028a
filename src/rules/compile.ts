import { RE2JS } from 're2js';
import { ExpressionError, type BinaryOp, type Expr, type TypeName } from './cel-syntax.js';

/**
 * The rule language's evaluator: compiles an expression's tree (cel-syntax.ts) into closures,
 * with CEL's semantics (cel-js's interpreter is the reference the tests compare them with).
 * Rules run on every message, and walking a tree for every evaluation costs several times what
 * closures do. An evaluation error (CEL's "no such key", "no such overload") is the value ERR
 * rather than an exception, absorbed by && and || as CEL absorbs errors, because conditions
 * that err are common and exceptions are slow; `lastError()` says why the last one came about.
 */

/** An evaluation error: a value, not an exception. */
export const ERR: unique symbol = Symbol('cel-error');

type Value = unknown;
type Locals = Value[];
type Node = (scope: Record<string, Value>, locals: Locals) => Value;

let lastReason = 'evaluation error';

/** Why the last evaluation that returned ERR failed (for messages and details that show it). */
export function lastError(): string {
  return lastReason;
}

/** ERR, noting why. The reasons are constant strings: failing allocates nothing. */
export function evaluationError(reason: string): typeof ERR {
  lastReason = reason;
  return ERR;
}

const NO_SUCH_OVERLOAD = 'no such overload';

export type FunctionTable = Readonly<Record<string, (...args: never[]) => unknown>>;
/**
 * For rule functions called with a value and then constants (`outside(m.records, "/3305/" + "*" + "/5800",
 * min, max)`): given the constants, the function of the value alone, made once per call site
 * (a path pattern compiled once rather than on every call); undefined leaves the call as it is.
 */
export type ConstantBinders = Readonly<Record<string, (...constants: never[]) => ((value: never) => unknown) | undefined>>;

/** Variables whose values are known when the expression is compiled (a rule's `params`). */
export type Constants = Readonly<Record<string, Value>>;
/**
 * A reader per variable (`(scope) => scope.m`), each its own function: a property read by a
 * fixed name is far cheaper than one by a name that varies, as in a shared closure.
 */
export type VariableReaders = Readonly<Record<string, (scope: Record<string, Value>) => Value>>;

export interface CompileContext {
  functions: FunctionTable;
  binders?: ConstantBinders;
  constants?: Constants;
  readers?: VariableReaders;
}

/**
 * Compiles a tree into a function of the scope. Variables in `constants` are read once, here:
 * operators on them alone (`-params.max / 1000.0`) are computed here too, not on every
 * evaluation. Throws ExpressionError for a call the language does not define (a function of the
 * wrong arity).
 */
export function compileTree(tree: Expr, context: CompileContext): (scope: Record<string, Value>) => Value {
  const ctx: Context = { fns: context.functions, binders: context.binders ?? {}, constants: context.constants ?? {}, readers: context.readers ?? {}, slots: 0 };
  const node = compile(tree, [], ctx);
  // Locals are the loop variables of the macros. An expression without them is its top node,
  // called without any (no node reads them): one call less on every evaluation.
  if (ctx.slots === 0) return node as (scope: Record<string, Value>) => Value;
  return (scope) => node(scope, []);
}

const NO_LOCALS: Locals = [];

interface Context {
  fns: FunctionTable;
  binders: ConstantBinders;
  constants: Constants;
  readers: VariableReaders;
  /** Loop-variable slots used (macros). */
  slots: number;
}

/** Nodes whose value is known at compile time, with that value. */
const known = new WeakMap<Node, Value>();
/** Nodes that read a scope variable, with its name. */
const variables = new WeakMap<Node, string>();
/** size() nodes, with their operand. */
const sizes = new WeakMap<Node, Node>();

function constant(v: Value): Node {
  const node: Node = () => v;
  known.set(node, v);
  return node;
}

/** An operator node whose operands are all known is evaluated once, now. */
function folded(node: Node, operands: Node[]): Node {
  if (!operands.every((o) => known.has(o))) return node;
  return constant(node({}, NO_LOCALS));
}

/** A CEL type as a value (`type(x)`, `string`): one object per type, so that equality is identity. */
export interface CelType {
  readonly celType: TypeName;
}
const TYPES = Object.fromEntries(
  (['int', 'uint', 'double', 'bool', 'string', 'bytes', 'list', 'map', 'null_type', 'type'] as const).map((n) => [n, Object.freeze({ celType: n })]),
) as Record<TypeName, CelType>;
const typeValues = new Set<unknown>(Object.values(TYPES));

function typeOf(x: Value): Value {
  if (x === ERR) return ERR;
  if (x === null) return TYPES.null_type;
  switch (typeof x) {
    case 'bigint':
      return TYPES.int;
    case 'number':
      return TYPES.double;
    case 'string':
      return TYPES.string;
    case 'boolean':
      return TYPES.bool;
    case 'object':
      if (Array.isArray(x)) return TYPES.list;
      if (x instanceof Uint8Array) return TYPES.bytes;
      if (typeValues.has(x)) return TYPES.type;
      return TYPES.map;
    default:
      return evaluationError(NO_SUCH_OVERLOAD);
  }
}

/** Small CEL ints (size() results), made once: BigInt() allocates on every call. */
const SMALL_INTS = Array.from({ length: 1024 }, (_, i) => BigInt(i));
const int = (n: number): bigint => (n < SMALL_INTS.length ? SMALL_INTS[n] : BigInt(n));
const INT_MIN = -(2n ** 63n);
const INT_MAX = 2n ** 63n - 1n;

function compile(tree: Expr, loopVars: string[], ctx: Context): Node {
  const sub = (t: Expr, vars = loopVars) => compile(t, vars, ctx);
  switch (tree.kind) {
    case 'literal':
      return constant(tree.value);
    case 'type':
      return constant(TYPES[tree.name]);
    case 'ident': {
      const name = tree.name;
      const slot = loopVars.lastIndexOf(name);
      if (slot >= 0) return (_s, locals) => locals[slot];
      if (Object.hasOwn(ctx.constants, name)) return constant(ctx.constants[name]);
      // By the variable's own reader where there is one (see VariableReaders).
      const read = Object.hasOwn(ctx.readers, name) ? ctx.readers[name] : (scope: Record<string, Value>) => scope[name];
      const unknown = `unknown variable: ${name}`;
      const node: Node = (scope) => {
        const v = read(scope);
        return v !== undefined ? v : evaluationError(unknown);
      };
      variables.set(node, name);
      return node;
    }
    case 'select': {
      const target = sub(tree.target);
      const key = tree.field;
      const missing = `No such key: ${key}`;
      // `m.path`: one closure. A variable missing from the scope reads as undefined, which
      // field() answers with ERR, as it answers the ERR the variable's own node would give.
      const variable = variables.get(target);
      const read = variable === undefined ? undefined : ctx.readers[variable];
      if (read !== undefined) return fieldOfVariable(read, key, missing);
      if (variable !== undefined) return (s) => field(s[variable], key, missing);
      return folded((s, l) => field(target(s, l), key, missing), [target]);
    }
    case 'index': {
      const target = sub(tree.target);
      const index = sub(tree.index);
      return folded((s, l) => {
        const t = target(s, l);
        const i = index(s, l);
        if (t === ERR || i === ERR) return ERR;
        if (Array.isArray(t)) {
          const n = typeof i === 'bigint' ? Number(i) : typeof i === 'number' && Number.isInteger(i) ? i : NaN;
          return n >= 0 && n < t.length ? t[n] : evaluationError('index out of range');
        }
        return typeof i === 'string' ? field(t, i, `No such key: ${String(i)}`) : evaluationError(NO_SUCH_OVERLOAD);
      }, [target, index]);
    }
    case 'list': {
      const items = tree.items.map((a) => sub(a));
      return folded((s, l) => {
        const out = items.map((i) => i(s, l));
        return out.includes(ERR) ? ERR : out;
      }, items);
    }
    case 'not': {
      const a = sub(tree.operand);
      return folded((s, l) => {
        const x = a(s, l);
        return typeof x === 'boolean' ? !x : x === ERR ? ERR : evaluationError(NO_SUCH_OVERLOAD);
      }, [a]);
    }
    case 'negate': {
      const a = sub(tree.operand);
      return folded((s, l) => {
        const x = a(s, l);
        if (typeof x === 'number') return -x;
        if (typeof x === 'bigint') return x === INT_MIN ? evaluationError('integer overflow') : -x;
        return x === ERR ? ERR : evaluationError(NO_SUCH_OVERLOAD);
      }, [a]);
    }
    case 'conditional': {
      const [test, then, otherwise] = [sub(tree.test), sub(tree.then), sub(tree.otherwise)];
      return folded((s, l) => {
        const t = test(s, l);
        if (t === true) return then(s, l);
        if (t === false) return otherwise(s, l);
        return t === ERR ? ERR : evaluationError('ternary condition must be bool');
      }, [test, then, otherwise]);
    }
    case 'binary':
      return compileBinary(tree.op, sub(tree.left), sub(tree.right));
    case 'call':
      return compileCall(tree.name, tree.args, loopVars, ctx);
    case 'method':
      return compileMethod(tree.name, sub(tree.target), tree.args.map((a) => sub(a)));
    case 'macro': {
      const target = sub(tree.target);
      const slot = loopVars.length;
      ctx.slots = Math.max(ctx.slots, slot + 1);
      const body = sub(tree.body, [...loopVars, tree.variable]);
      return compileMacro(tree.name, target, body, slot);
    }
  }
}

function compileBinary(op: BinaryOp, a: Node, b: Node): Node {
  switch (op) {
    case '&&':
      return folded((s, l) => {
        const x = a(s, l);
        if (x === false) return false;
        const y = b(s, l);
        if (y === false) return false;
        if (x === true && y === true) return true;
        return x === ERR || y === ERR ? ERR : evaluationError(NO_SUCH_OVERLOAD);
      }, [a, b]);
    case '||':
      return folded((s, l) => {
        const x = a(s, l);
        if (x === true) return true;
        const y = b(s, l);
        if (y === true) return true;
        if (x === false && y === false) return false;
        return x === ERR || y === ERR ? ERR : evaluationError(NO_SUCH_OVERLOAD);
      }, [a, b]);
    case '==':
    case '!=': {
      const negate = op === '!=';
      // Against a constant (`m.codeClass == 2`, `obs != null`): a number compared as a number,
      // an identical value answered without equal().
      const k = known.get(b);
      if (k !== undefined && (k === null || typeof k !== 'object') && k !== ERR) {
        const n = Number(k);
        const numeric = typeof k === 'number' || typeof k === 'bigint';
        return folded((s, l) => {
          const x = a(s, l);
          if (numeric && typeof x === 'number') return (x === n) !== negate;
          if (x === k) return !negate;
          const r = equal(x, k);
          return r === ERR ? ERR : negate ? !r : r;
        }, [a]);
      }
      return folded((s, l) => {
        const r = equal(a(s, l), b(s, l));
        return r === ERR ? ERR : negate ? !r : r;
      }, [a, b]);
    }
    case '<':
    case '<=':
    case '>':
    case '>=': {
      const cmp = COMPARE[op];
      // `size(list) > 0`: the length against the bound, with no CEL int in between.
      const list = sizes.get(a);
      const bound = known.get(b);
      if (list !== undefined && (typeof bound === 'bigint' || typeof bound === 'number')) {
        const k = Number(bound);
        return (s, l) => {
          const x = list(s, l);
          return Array.isArray(x) ? cmp(x.length, k) : compare(cmp, sizeOf(x), bound);
        };
      }
      return folded((s, l) => compare(cmp, a(s, l), b(s, l)), [a, b]);
    }
    case '+':
    case '-':
    case '*':
    case '/':
    case '%':
      return folded((s, l) => arithmetic(op, a(s, l), b(s, l)), [a, b]);
    case 'in':
      return folded((s, l) => {
        const x = a(s, l);
        const container = b(s, l);
        if (x === ERR || container === ERR) return ERR;
        if (Array.isArray(container)) {
          for (let i = 0; i < container.length; i++) if (equal(x, container[i]) === true) return true;
          return false;
        }
        if (container instanceof Map) return container.has(x);
        if (container !== null && typeof container === 'object') {
          return typeof x === 'string' && Object.hasOwn(container, x) && (container as Record<string, Value>)[x] !== undefined;
        }
        return evaluationError(NO_SUCH_OVERLOAD);
      }, [a, b]);
  }
}

function compileCall(name: string, argTrees: Expr[], loopVars: string[], ctx: Context): Node {
  const arity = (n: number) => {
    if (argTrees.length !== n) throw new ExpressionError(`${name}() takes ${n} argument${n === 1 ? '' : 's'}`);
  };
  if (name === 'has') {
    arity(1);
    const arg = argTrees[0];
    if (arg.kind !== 'select') throw new ExpressionError('has() takes a field (has(m.q.lt))');
    const target = compile(arg.target, loopVars, ctx);
    const key = arg.field;
    return folded((s, l) => {
      const t = target(s, l);
      if (t instanceof Map) return t.has(key);
      // A defined value is a present key (both consult the prototype chain): one keyed read, not `in` and then a read.
      if (t !== null && typeof t === 'object' && !Array.isArray(t)) return (t as Record<string, unknown>)[key] !== undefined;
      // Of a value with no fields (null, a number, a list): false, as cel-js answers.
      return t === ERR ? ERR : false;
    }, [target]);
  }
  const args = argTrees.map((a) => compile(a, loopVars, ctx));
  if (name === 'size') {
    arity(1);
    const [arg] = args;
    const node = folded((s, l) => sizeOf(arg(s, l)), args);
    if (!known.has(node)) sizes.set(node, arg);
    return node;
  }
  if (name === 'type') {
    arity(1);
    const [arg] = args;
    return folded((s, l) => typeOf(arg(s, l)), args);
  }
  if (name === 'double') {
    arity(1);
    return folded((s, l) => {
      const x = args[0](s, l);
      if (typeof x === 'number') return x;
      if (typeof x === 'bigint') return Number(x);
      if (typeof x === 'string') {
        const n = Number(x);
        return x.trim() !== '' && !Number.isNaN(n) ? n : evaluationError('double() of a string that is no number');
      }
      return x === ERR ? ERR : evaluationError(NO_SUCH_OVERLOAD);
    }, args);
  }
  if (name === 'string') {
    arity(1);
    return folded((s, l) => stringOf(args[0](s, l)), args);
  }
  // Rule functions are not folded: some read state (previous, dtlsSeen).
  const fn = Object.hasOwn(ctx.fns, name) ? ctx.fns[name] as (...a: unknown[]) => unknown : undefined;
  if (!fn) throw new ExpressionError(`unknown function ${name}()`);
  if (args.length === 0) throw new ExpressionError(`${name}() takes arguments`);
  // The rule functions take the records and then constants (a pattern, bounds): those are
  // passed as values. An argument known to be an error makes the call one.
  const rest = args.slice(1);
  if (args.length > 1 && rest.every((r) => known.has(r))) {
    const a = args[0];
    const values = rest.map((r) => known.get(r));
    if (values.includes(ERR)) return constant(ERR);
    const bind = Object.hasOwn(ctx.binders, name) ? ctx.binders[name] as (...c: unknown[]) => ((x: unknown) => unknown) | undefined : undefined;
    const bound = bind?.(...values);
    if (bound !== undefined) {
      return (s, l) => {
        const x = a(s, l);
        return x === ERR ? ERR : bound(x);
      };
    }
  }
  // One and two arguments (most rule functions) without an array per call.
  if (args.length === 1) {
    const [a] = args;
    return (s, l) => {
      const x = a(s, l);
      return x === ERR ? ERR : fn(x);
    };
  }
  if (args.length === 2) {
    const [a, b] = args;
    return (s, l) => {
      const x = a(s, l);
      const y = b(s, l);
      return x === ERR || y === ERR ? ERR : fn(x, y);
    };
  }
  return (s, l) => {
    const values = args.map((a) => a(s, l));
    if (values.includes(ERR)) return ERR;
    return fn(...values);
  };
}

const STRING_METHODS: Record<string, (s: string, arg: string) => boolean> = {
  startsWith: (s, a) => s.startsWith(a),
  endsWith: (s, a) => s.endsWith(a),
  contains: (s, a) => s.includes(a),
};

function compileMethod(name: string, receiver: Node, args: Node[]): Node {
  if (name === 'size') {
    if (args.length !== 0) throw new ExpressionError('.size() takes no argument');
    const node = folded((s, l) => sizeOf(receiver(s, l)), [receiver]);
    if (!known.has(node)) sizes.set(node, receiver);
    return node;
  }
  if (args.length !== 1) throw new ExpressionError(`.${name}() takes 1 argument`);
  const [arg] = args;
  if (name === 'matches') return compileMatches(receiver, arg);
  const stringMethod = STRING_METHODS[name];
  return folded((s, l) => {
    const r = receiver(s, l);
    const a = arg(s, l);
    if (typeof r === 'string' && typeof a === 'string') return stringMethod(r, a);
    return r === ERR || a === ERR ? ERR : evaluationError(NO_SUCH_OVERLOAD);
  }, [receiver, arg]);
}

/** Longest pattern `matches()` takes: rules are written by people, and a pattern's automaton grows with it. */
const MAX_PATTERN = 1024;

/**
 * `s.matches(re)`: whether RE2 pattern `re` matches part of `s`, as CEL defines it. Packets
 * choose the strings a rule's pattern runs on, so it runs on RE2 (re2js), whose time is linear
 * in the string's length whatever the pattern; a backtracking engine (JavaScript's RegExp)
 * takes exponential time on patterns like `^(a+)+$`. The pattern is compiled once, here: it must
 * be a constant (a literal, or made of params), and one RE2 does not accept (backreferences,
 * lookaround) is refused when the rules load.
 */
function compileMatches(receiver: Node, pattern: Node): Node {
  if (!known.has(pattern)) throw new ExpressionError('.matches() takes a constant pattern (a string literal or params), compiled when the rules load');
  const source = known.get(pattern);
  if (typeof source !== 'string') throw new ExpressionError('.matches() takes a pattern string');
  if (source.length > MAX_PATTERN) throw new ExpressionError(`.matches(): the pattern is longer than ${MAX_PATTERN} characters`);
  let re: RE2JS;
  try {
    re = RE2JS.compile(source);
  } catch (err) {
    throw new ExpressionError(`.matches(): not an RE2 pattern (${firstLine(err)})`);
  }
  return folded((s, l) => {
    const r = receiver(s, l);
    if (typeof r === 'string') return re.test(r);
    return r === ERR ? ERR : evaluationError(NO_SUCH_OVERLOAD);
  }, [receiver]);
}

function firstLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0];
}

/** What a macro iterates: a list's items, a map's keys (as CEL does), or ERR. */
function itemsOf(x: Value, notList: string): Value[] | typeof ERR {
  if (Array.isArray(x)) return x;
  if (x instanceof Map) return [...x.keys()];
  if (x !== null && typeof x === 'object' && !typeValues.has(x) && !(x instanceof Uint8Array)) return Object.keys(x);
  return x === ERR ? ERR : evaluationError(notList);
}

function compileMacro(name: string, receiver: Node, body: Node, slot: number): Node {
  const notList = `.${name}() of something that is no list or map`;
  if (name === 'exists' || name === 'all') {
    const want = name === 'exists';
    return (s, l) => {
      const list = itemsOf(receiver(s, l), notList);
      if (list === ERR) return ERR;
      let failed = false;
      for (let i = 0; i < list.length; i++) {
        l[slot] = list[i];
        const r = body(s, l);
        if (r === want) return want;
        if (r !== !want) failed = true;
      }
      return failed ? ERR : !want;
    };
  }
  if (name === 'filter') {
    return (s, l) => {
      const list = itemsOf(receiver(s, l), notList);
      if (list === ERR) return ERR;
      const out: Value[] = [];
      for (let i = 0; i < list.length; i++) {
        l[slot] = list[i];
        const r = body(s, l);
        if (r === true) out.push(list[i]);
        else if (r !== false) return r === ERR ? ERR : evaluationError(NO_SUCH_OVERLOAD);
      }
      return out;
    };
  }
  // map
  return (s, l) => {
    const list = itemsOf(receiver(s, l), notList);
    if (list === ERR) return ERR;
    const out: Value[] = [];
    for (let i = 0; i < list.length; i++) {
      l[slot] = list[i];
      const r = body(s, l);
      if (r === ERR) return ERR;
      out.push(r);
    }
    return out;
  };
}

/** CEL's string(): doubles as cel-js writes them ("+Inf", "1e+21"). */
function stringOf(x: Value): Value {
  switch (typeof x) {
    case 'string':
      return x;
    case 'number':
      return x === Infinity ? '+Inf' : x === -Infinity ? '-Inf' : String(x);
    case 'bigint':
    case 'boolean':
      return String(x);
    default:
      if (x instanceof Uint8Array) return Buffer.from(x).toString('utf8');
      return x === ERR ? ERR : evaluationError(NO_SUCH_OVERLOAD);
  }
}

function sizeOf(x: Value): Value {
  if (typeof x === 'string') {
    // Code points, not UTF-16 units; counted without making an array.
    let n = 0;
    for (let i = 0; i < x.length; i++) {
      const c = x.charCodeAt(i);
      if (c < 0xd800 || c > 0xdbff || i + 1 === x.length) n++;
      else {
        const d = x.charCodeAt(i + 1);
        n++;
        if (d >= 0xdc00 && d <= 0xdfff) i++;
      }
    }
    return int(n);
  }
  if (Array.isArray(x)) return int(x.length);
  if (x instanceof Map) return int(x.size);
  if (x instanceof Uint8Array) return int(x.length);
  if (x !== null && typeof x === 'object' && !typeValues.has(x)) return int(Object.keys(x).length);
  return x === ERR ? ERR : evaluationError(NO_SUCH_OVERLOAD);
}

function compare(cmp: (a: number, b: number) => boolean, x: Value, y: Value): Value {
  if (typeof x === 'number' && typeof y === 'number') return cmp(x, y);
  const nx = typeof x === 'number' || typeof x === 'bigint';
  const ny = typeof y === 'number' || typeof y === 'bigint';
  if (nx && ny) return cmp(Number(x), Number(y));
  if (typeof x === 'string' && typeof y === 'string') return cmp(x < y ? -1 : x > y ? 1 : 0, 0);
  if (typeof x === 'boolean' && typeof y === 'boolean') return cmp(Number(x), Number(y));
  return x === ERR || y === ERR ? ERR : evaluationError(NO_SUCH_OVERLOAD);
}

/** Objects whose fields are getters that stay the same (`m`, one object refilled per message). */
const fixedGetters = new WeakSet<object>();

export function markFixedGetters(o: object): void {
  fixedGetters.add(o);
}

/**
 * `m.path`. The fields of `m` are getters, and read by a name that varies at one shared call
 * site they are V8's slowest property read (a megamorphic accessor lookup): the node keeps the
 * getter it found on the object, and calls it while the variable holds that object.
 */
function fieldOfVariable(read: (scope: Record<string, Value>) => Value, key: string, missing: string): Node {
  let owner: object | null = null;
  let getter: (() => Value) | undefined;
  return (s) => {
    const t = read(s);
    if (t === owner) {
      const v = getter!.call(t);
      return v === undefined ? evaluationError(missing) : v;
    }
    if (t !== null && typeof t === 'object' && fixedGetters.has(t)) {
      const g = Object.getOwnPropertyDescriptor(t, key)?.get;
      if (g !== undefined) {
        owner = t;
        getter = g;
      }
    }
    return field(t, key, missing);
  };
}

function field(target: Value, key: string, missing: string): Value {
  if (target === null || typeof target !== 'object' || Array.isArray(target)) return target === ERR ? ERR : evaluationError(NO_SUCH_OVERLOAD);
  const v = target instanceof Map ? target.get(key) as Value : (target as Record<string, Value>)[key];
  return v === undefined ? evaluationError(missing) : v;
}

/** CEL equality: numbers by value across int and double, lists and maps element by element, other types never equal. */
function equal(x: Value, y: Value): boolean | typeof ERR {
  if (x === ERR || y === ERR) return ERR;
  if (x === y) return true;
  const nx = typeof x === 'number' || typeof x === 'bigint';
  const ny = typeof y === 'number' || typeof y === 'bigint';
  if (nx && ny) return Number(x) === Number(y);
  if (x === null || y === null || typeof x !== 'object' || typeof y !== 'object') return false;
  if (Array.isArray(x) || Array.isArray(y)) {
    if (!Array.isArray(x) || !Array.isArray(y) || x.length !== y.length) return false;
    for (let i = 0; i < x.length; i++) {
      const r = equal(x[i], y[i]);
      if (r !== true) return r;
    }
    return true;
  }
  if (typeValues.has(x) || typeValues.has(y)) return false;
  const xs = entriesOf(x);
  const ys = entriesOf(y);
  if (xs.size !== ys.size) return false;
  for (const [k, v] of xs) {
    if (!ys.has(k)) return false;
    const r = equal(v, ys.get(k));
    if (r !== true) return r;
  }
  return true;
}

function entriesOf(o: object): Map<unknown, Value> {
  return o instanceof Map ? o : new Map(Object.entries(o));
}

const COMPARE: Record<string, (a: number, b: number) => boolean> = {
  '<': (a, b) => a < b,
  '<=': (a, b) => a <= b,
  '>': (a, b) => a > b,
  '>=': (a, b) => a >= b,
};

function arithmetic(op: string, x: Value, y: Value): Value {
  if (typeof x === 'number' && typeof y === 'number') {
    return op === '+' ? x + y : op === '-' ? x - y : op === '*' ? x * y : op === '/' ? x / y : evaluationError(NO_SUCH_OVERLOAD);
  }
  if (typeof x === 'bigint' && typeof y === 'bigint') {
    if ((op === '/' || op === '%') && y === 0n) return evaluationError(op === '/' ? 'division by zero' : 'modulo by zero');
    const r = op === '+' ? x + y : op === '-' ? x - y : op === '*' ? x * y : op === '/' ? x / y : x % y;
    return r < INT_MIN || r > INT_MAX ? evaluationError('integer overflow') : r;
  }
  if (op === '+' && typeof x === 'string' && typeof y === 'string') return x + y;
  if (op === '+' && Array.isArray(x) && Array.isArray(y)) return [...x, ...y];
  return x === ERR || y === ERR ? ERR : evaluationError(NO_SUCH_OVERLOAD);
}
