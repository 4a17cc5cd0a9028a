/**
 * A closure compiler for the subset of CEL the rules use most: field access, literals,
 * comparisons, logic, arithmetic, `in`, has(), size(), the string methods, the list macros and
 * the rule functions. Rules run on every message, and the CEL interpreter costs about a
 * microsecond per condition; these closures cost a tenth of that. Same semantics as CEL,
 * errors included (an error is a value, absorbed by && and || as CEL does); anything outside
 * the subset is left to the interpreter: compileFast returns null, or a closure throws
 * NEEDS_INTERPRETER for a value it does not handle.
 */

/** An evaluation error (CEL's "no such key", "no such overload"...): a value, not an exception. */
export const ERR: unique symbol = Symbol('cel-error');
export const NEEDS_INTERPRETER = new Error('fast path cannot evaluate this value');

type Value = unknown;
type Locals = Value[];
type Node = (scope: Record<string, Value>, locals: Locals) => Value;

interface AstNode {
  op: string;
  args: unknown;
}

export type FunctionTable = Record<string, (...args: never[]) => unknown>;
/**
 * For rule functions called with a value and then constants (`outside(m.records, "/3305/" + "*" + "/5800",
 * min, max)`): given the constants, the function of the value alone, made once per call site
 * (a path pattern compiled once rather than looked up on every call); undefined leaves the
 * call as it is.
 */
export type ConstantBinders = Readonly<Record<string, (...constants: never[]) => ((value: never) => unknown) | undefined>>;

/** Variables whose values are known when the expression is compiled (a rule's `params`). */
export type Constants = Readonly<Record<string, Value>>;
/**
 * A reader per variable (`(scope) => scope.m`), each its own function: a property read by a
 * fixed name is far cheaper than one by a name that varies, as in a shared closure.
 */
export type VariableReaders = Readonly<Record<string, (scope: Record<string, Value>) => Value>>;

/**
 * Compiles a cel-js AST; null when it uses something outside the subset. Variables in
 * `constants` are read once, here: operators on them alone (`-params.max / 1000.0`) are
 * computed here too, not on every evaluation.
 */
export function compileFast(
  ast: AstNode, functions: FunctionTable, constants: Constants = {}, readers: VariableReaders = {}, binders: ConstantBinders = {},
): ((scope: Record<string, Value>) => Value) | null {
  try {
    const ctx: Context = { fns: functions, binders, constants, readers, slots: 0 };
    const node = compile(ast, [], ctx);
    // Locals are the loop variables of exists/all. An expression without them is its top node,
    // called without any (no node reads them): one call less on every evaluation.
    if (ctx.slots === 0) return node as (scope: Record<string, Value>) => Value;
    return (scope) => node(scope, []);
  } catch (err) {
    if (err === UNSUPPORTED) return null;
    throw err;
  }
}

const UNSUPPORTED = new Error('unsupported CEL construct');
const NO_LOCALS: Locals = [];

interface Context {
  fns: FunctionTable;
  binders: ConstantBinders;
  constants: Constants;
  readers: VariableReaders;
  /** Loop-variable slots used (exists/all). */
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

/**
 * An operator node whose operands are all known is evaluated once, now. One that throws (a
 * value the fast path leaves to the interpreter) is not folded: it is evaluated as before.
 */
function folded(node: Node, operands: Node[]): Node {
  if (!operands.every((o) => known.has(o))) return node;
  try {
    return constant(node({}, NO_LOCALS));
  } catch {
    return node;
  }
}

/** Small CEL ints (size() results), made once: BigInt() allocates on every call. */
const SMALL_INTS = Array.from({ length: 1024 }, (_, i) => BigInt(i));
const int = (n: number): bigint => (n < SMALL_INTS.length ? SMALL_INTS[n] : BigInt(n));

function compile(ast: AstNode, loopVars: string[], ctx: Context): Node {
  const args = ast.args as AstNode[] & unknown[];
  const sub = (n: unknown, vars = loopVars) => compile(n as AstNode, vars, ctx);
  switch (ast.op) {
    case 'value':
      return constant(ast.args);
    case 'id': {
      const name = ast.args as string;
      const slot = loopVars.lastIndexOf(name);
      if (slot >= 0) return (_s, locals) => locals[slot];
      if (Object.hasOwn(ctx.constants, name)) return constant(ctx.constants[name]);
      // By the variable's own reader where there is one (see VariableReaders).
      const read = Object.hasOwn(ctx.readers, name) ? ctx.readers[name] : (scope: Record<string, Value>) => scope[name];
      const node: Node = (scope) => {
        const v = read(scope);
        return v !== undefined || name in scope ? v : ERR;
      };
      variables.set(node, name);
      return node;
    }
    case '.': {
      const target = sub(args[0]);
      const key = args[1] as unknown as string;
      // `m.path`: one closure. A variable missing from the scope reads as undefined, which
      // field() answers with ERR, as it answers the ERR the variable's own node would give.
      const variable = variables.get(target);
      const read = variable === undefined ? undefined : ctx.readers[variable];
      if (read !== undefined) return fieldOfVariable(read, key);
      if (variable !== undefined) return (s) => field(s[variable], key);
      return folded((s, l) => field(target(s, l), key), [target]);
    }
    case '[]': {
      const target = sub(args[0]);
      const index = sub(args[1]);
      return folded((s, l) => {
        const t = target(s, l);
        const i = index(s, l);
        if (Array.isArray(t)) return typeof i === 'bigint' && i >= 0n && i < BigInt(t.length) ? t[Number(i)] : ERR;
        return typeof i === 'string' ? field(t, i) : ERR;
      }, [target, index]);
    }
    case 'list': {
      const items = args.map((a) => sub(a));
      return folded((s, l) => {
        const out = items.map((i) => i(s, l));
        return out.includes(ERR) ? ERR : out;
      }, items);
    }
    case '&&': {
      const [a, b] = [sub(args[0]), sub(args[1])];
      return folded((s, l) => {
        const x = a(s, l);
        if (x === false) return false;
        const y = b(s, l);
        if (y === false) return false;
        if (x === true && y === true) return true;
        return ERR;
      }, [a, b]);
    }
    case '||': {
      const [a, b] = [sub(args[0]), sub(args[1])];
      return folded((s, l) => {
        const x = a(s, l);
        if (x === true) return true;
        const y = b(s, l);
        if (y === true) return true;
        if (x === false && y === false) return false;
        return ERR;
      }, [a, b]);
    }
    case '!_': {
      const a = sub(args);
      return folded((s, l) => {
        const x = a(s, l);
        return typeof x === 'boolean' ? !x : ERR;
      }, [a]);
    }
    case '-_': {
      const a = sub(args);
      return folded((s, l) => {
        const x = a(s, l);
        return typeof x === 'number' ? -x : typeof x === 'bigint' ? -x : ERR;
      }, [a]);
    }
    case '==':
    case '!=': {
      const [a, b] = [sub(args[0]), sub(args[1])];
      const negate = ast.op === '!=';
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
      const [a, b] = [sub(args[0]), sub(args[1])];
      const cmp = COMPARE[ast.op];
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
    case '/': {
      const [a, b] = [sub(args[0]), sub(args[1])];
      const op = ast.op;
      return folded((s, l) => arithmetic(op, a(s, l), b(s, l)), [a, b]);
    }
    case 'in': {
      const [a, b] = [sub(args[0]), sub(args[1])];
      return folded((s, l) => {
        const x = a(s, l);
        const list = b(s, l);
        if (x === ERR || list === ERR) return ERR;
        if (Array.isArray(list)) {
          for (const item of list) if (equal(x, item) === true) return true;
          return false;
        }
        if (list !== null && typeof list === 'object') throw NEEDS_INTERPRETER; // key in a map
        return ERR;
      }, [a, b]);
    }
    case 'call':
      return compileCall(args[0] as unknown as string, (args[1] as unknown as AstNode[]).map((a) => a), loopVars, ctx);
    case 'rcall':
      return compileMethod(args[0] as unknown as string, args[1] as unknown as AstNode, args[2] as unknown as AstNode[], loopVars, ctx);
    default:
      throw UNSUPPORTED;
  }
}

function compileCall(name: string, argAsts: AstNode[], loopVars: string[], ctx: Context): Node {
  if (name === 'has') {
    const arg = argAsts[0];
    if (argAsts.length !== 1 || arg.op !== '.') throw UNSUPPORTED;
    const [targetAst, key] = arg.args as [AstNode, string];
    const target = compile(targetAst, loopVars, ctx);
    return folded((s, l) => {
      const t = target(s, l);
      if (t instanceof Map) throw NEEDS_INTERPRETER;
      // A defined value is a present key (both consult the prototype chain): one keyed read, not `in` and then a read.
      return t !== null && typeof t === 'object' && !Array.isArray(t) ? (t as Record<string, unknown>)[key] !== undefined : ERR;
    }, [target]);
  }
  const args = argAsts.map((a) => compile(a, loopVars, ctx));
  if (name === 'size' && args.length === 1) {
    const [arg] = args;
    const node = folded((s, l) => sizeOf(arg(s, l)), args);
    if (!known.has(node)) sizes.set(node, args[0]);
    return node;
  }
  if (name === 'double' && args.length === 1) {
    return folded((s, l) => {
      const x = args[0](s, l);
      if (typeof x === 'number') return x;
      if (typeof x === 'bigint') return Number(x);
      if (typeof x === 'string') {
        const n = Number(x);
        return x.trim() !== '' && !Number.isNaN(n) ? n : ERR;
      }
      return ERR;
    }, args);
  }
  // Rule functions are not folded: some read state (previous, dtlsSeen).
  const fn = ctx.fns[name] as ((...a: unknown[]) => unknown) | undefined;
  if (!fn) throw UNSUPPORTED;
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
    if (values.length === 1) {
      const [y] = values;
      return (s, l) => {
        const x = a(s, l);
        return x === ERR ? ERR : fn(x, y);
      };
    }
    if (values.length === 3) {
      const [x, y, z] = values;
      return (s, l) => {
        const w = a(s, l);
        return w === ERR ? ERR : fn(w, x, y, z);
      };
    }
  }
  // One, two and four arguments (every rule function) without an array per call.
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
  if (args.length === 4) {
    const [a, b, c, d] = args;
    return (s, l) => {
      const w = a(s, l);
      const x = b(s, l);
      const y = c(s, l);
      const z = d(s, l);
      return w === ERR || x === ERR || y === ERR || z === ERR ? ERR : fn(w, x, y, z);
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

function compileMethod(name: string, receiverAst: AstNode, argAsts: AstNode[], loopVars: string[], ctx: Context): Node {
  const receiver = compile(receiverAst, loopVars, ctx);
  const stringMethod = STRING_METHODS[name];
  if (stringMethod && argAsts.length === 1) {
    const arg = compile(argAsts[0], loopVars, ctx);
    return folded((s, l) => {
      const r = receiver(s, l);
      const a = arg(s, l);
      return typeof r === 'string' && typeof a === 'string' ? stringMethod(r, a) : ERR;
    }, [receiver, arg]);
  }
  if ((name === 'exists' || name === 'all') && argAsts.length === 2 && argAsts[0].op === 'id') {
    const slot = loopVars.length;
    ctx.slots = Math.max(ctx.slots, slot + 1);
    const body = compile(argAsts[1], [...loopVars, argAsts[0].args as string], ctx);
    const want = name === 'exists';
    return (s, l) => {
      const list = receiver(s, l);
      if (!Array.isArray(list)) return ERR;
      let failed = false;
      for (const item of list) {
        l[slot] = item;
        const r = body(s, l);
        if (r === want) return want;
        if (r !== !want) failed = true;
      }
      return failed ? ERR : !want;
    };
  }
  throw UNSUPPORTED;
}

function sizeOf(x: Value): Value {
  if (typeof x === 'string') return int([...x].length);
  if (Array.isArray(x)) return int(x.length);
  if (x !== null && typeof x === 'object') throw NEEDS_INTERPRETER; // size of a map
  return ERR;
}

function compare(cmp: (a: number, b: number) => boolean, x: Value, y: Value): Value {
  if (typeof x === 'number' && typeof y === 'number') return cmp(x, y);
  const nx = typeof x === 'number' || typeof x === 'bigint';
  const ny = typeof y === 'number' || typeof y === 'bigint';
  if (nx && ny) return cmp(Number(x), Number(y));
  if (typeof x === 'string' && typeof y === 'string') return cmp(x < y ? -1 : x > y ? 1 : 0, 0);
  return ERR;
}

/** Objects whose fields are getters that stay the same (`m`, one object refilled per message). */
const fixedGetters = new WeakSet<object>();

export function markFixedGetters(o: object): void {
  fixedGetters.add(o);
}

/**
 * `m.path`. The fields of `m` are getters, and read by a name that varies at one shared call
 * site they are V8's slowest property read (a megamorphic accessor lookup, ~40 ns): the node
 * keeps the getter it found on the object, and calls it while the variable holds that object.
 */
function fieldOfVariable(read: (scope: Record<string, Value>) => Value, key: string): Node {
  let owner: object | null = null;
  let getter: (() => Value) | undefined;
  return (s) => {
    const t = read(s);
    if (t === owner) {
      const v = getter!.call(t);
      return v === undefined ? ERR : v;
    }
    if (t !== null && typeof t === 'object' && fixedGetters.has(t)) {
      const g = Object.getOwnPropertyDescriptor(t, key)?.get;
      if (g !== undefined) {
        owner = t;
        getter = g;
      }
    }
    return field(t, key);
  };
}

function field(target: Value, key: string): Value {
  if (target === null || typeof target !== 'object' || Array.isArray(target)) return ERR;
  if (target instanceof Map) throw NEEDS_INTERPRETER;
  const v = (target as Record<string, Value>)[key];
  return v === undefined ? ERR : v;
}

function equal(x: Value, y: Value): boolean | typeof ERR {
  if (x === ERR || y === ERR) return ERR;
  const nx = typeof x === 'number' || typeof x === 'bigint';
  const ny = typeof y === 'number' || typeof y === 'bigint';
  if (nx && ny) return Number(x) === Number(y);
  if (x === null || y === null) return x === y;
  if (typeof x === 'object' || typeof y === 'object') throw NEEDS_INTERPRETER; // list and map equality
  return x === y;
}

const COMPARE: Record<string, (a: number, b: number) => boolean> = {
  '<': (a, b) => a < b,
  '<=': (a, b) => a <= b,
  '>': (a, b) => a > b,
  '>=': (a, b) => a >= b,
};

function arithmetic(op: string, x: Value, y: Value): Value {
  if (typeof x === 'number' && typeof y === 'number') {
    return op === '+' ? x + y : op === '-' ? x - y : op === '*' ? x * y : x / y;
  }
  if (typeof x === 'bigint' && typeof y === 'bigint') {
    if (op === '/' && y === 0n) return ERR;
    return op === '+' ? x + y : op === '-' ? x - y : op === '*' ? x * y : x / y;
  }
  if (op === '+' && typeof x === 'string' && typeof y === 'string') return x + y;
  if (op === '+' && Array.isArray(x) && Array.isArray(y)) return [...x, ...y];
  return ERR;
}
