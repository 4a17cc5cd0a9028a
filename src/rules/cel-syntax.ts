import { Environment } from '@marcbachmann/cel-js';

/**
 * The one place that reads @marcbachmann/cel-js's syntax tree. cel-js parses and type-checks
 * rule expressions; its tree is not part of its public API, so it is converted here into the
 * rule language's own tree (`Expr`), which the compiler (compile.ts) turns into closures. A
 * construct the compiler does not cover is refused here, when the rules load, with the reason.
 * The package is pinned to an exact version, and test/unit/rules/cel-syntax.test.ts records the
 * tree's shape for a corpus of expressions: an upgrade that changes the shape fails that test.
 */

/** CEL type names usable as values (`type(r.value) == string`). */
export const TYPE_NAMES = ['int', 'uint', 'double', 'bool', 'string', 'bytes', 'list', 'map', 'null_type', 'type'] as const;
export type TypeName = (typeof TYPE_NAMES)[number];

export type BinaryOp = '==' | '!=' | '<' | '<=' | '>' | '>=' | '+' | '-' | '*' | '/' | '%' | 'in' | '&&' | '||';
const BINARY_OPS: readonly string[] = ['==', '!=', '<', '<=', '>', '>=', '+', '-', '*', '/', '%', 'in', '&&', '||'];

/** Functions of the rule language besides the rule functions (registered by the caller). */
export const BUILTIN_FUNCTIONS = ['has', 'size', 'double', 'string', 'type'] as const;
/** Methods of the rule language; exists, all, filter and map are macros (`list.exists(x, cond)`). */
export const METHODS = ['startsWith', 'endsWith', 'contains', 'matches', 'size', 'exists', 'all', 'filter', 'map'] as const;
export const MACROS: readonly string[] = ['exists', 'all', 'filter', 'map'];

/** A rule expression's syntax tree. */
export type Expr =
  | { kind: 'literal'; value: bigint | number | string | boolean | null }
  | { kind: 'type'; name: TypeName }
  | { kind: 'ident'; name: string }
  | { kind: 'select'; target: Expr; field: string }
  | { kind: 'index'; target: Expr; index: Expr }
  | { kind: 'list'; items: Expr[] }
  | { kind: 'not'; operand: Expr }
  | { kind: 'negate'; operand: Expr }
  | { kind: 'binary'; op: BinaryOp; left: Expr; right: Expr }
  | { kind: 'conditional'; test: Expr; then: Expr; otherwise: Expr }
  | { kind: 'call'; name: string; args: Expr[] }
  | { kind: 'method'; name: string; target: Expr; args: Expr[] }
  /** exists, all, filter, map: `target.name(variable, body)`. */
  | { kind: 'macro'; name: string; target: Expr; variable: string; body: Expr };

/** A rule function: its CEL signature (for the type checker) and, for the reference interpreter, its implementation. */
export interface FunctionDeclaration {
  signature: string;
  implementation: (...args: never[]) => unknown;
}

/** An expression cel-js does not parse or type-check, or one outside the rule language. */
export class ExpressionError extends Error {}

/** cel-js's node, as far as this file reads it. */
interface RawNode {
  op: string;
  args: unknown;
}

export interface ParsedExpression {
  tree: Expr;
  /** cel-js's own evaluation of the expression: the reference the compiler is tested against, not used by the engine. */
  reference: (scope: Record<string, unknown>) => unknown;
}

/** Parses and checks rule expressions in an environment with the given variables and rule functions. */
export class CelSyntax {
  private readonly environment: Environment;
  private readonly functions: ReadonlySet<string>;

  constructor(variables: readonly string[], functions: Readonly<Record<string, FunctionDeclaration>>) {
    // Limits keep a hostile or mistaken rule file from building a tree that exhausts the stack.
    const environment = new Environment({ homogeneousAggregateLiterals: false, enableOptionalTypes: true, limits: { maxAstNodes: 2000, maxDepth: 64 } });
    for (const f of Object.values(functions)) environment.registerFunction(f.signature, f.implementation as (...a: unknown[]) => unknown);
    for (const v of variables) environment.registerVariable(v, 'dyn');
    this.environment = environment;
    this.functions = new Set(Object.keys(functions));
  }

  /** The expression's tree; throws ExpressionError (one line) for a syntax or type error or a construct outside the language. */
  parse(text: string): ParsedExpression {
    let parsed;
    try {
      parsed = this.environment.parse(text);
      const check = parsed.check();
      if (!check.valid) throw check.error;
    } catch (err) {
      throw new ExpressionError(firstLine(err));
    }
    const tree = this.convert((parsed as unknown as { ast: RawNode }).ast);
    const evaluate = parsed as unknown as (scope: Record<string, unknown>) => unknown;
    return { tree, reference: (scope) => evaluate(scope) };
  }

  /** cel-js's raw tree, for the shape test. */
  rawTree(text: string): unknown {
    return (this.environment.parse(text) as unknown as { ast: unknown }).ast;
  }

  private convert(node: RawNode): Expr {
    const args = node.args;
    const sub = (n: unknown) => this.convert(n as RawNode);
    const pair = () => args as [RawNode, RawNode];
    switch (node.op) {
      case 'value': {
        const v = args;
        if (v === null || typeof v === 'bigint' || typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean') return { kind: 'literal', value: v };
        throw refused(v instanceof Uint8Array ? 'bytes literals' : 'unsigned int literals');
      }
      case 'id': {
        const name = args as string;
        if ((TYPE_NAMES as readonly string[]).includes(name)) return { kind: 'type', name: name as TypeName };
        return { kind: 'ident', name };
      }
      case '.':
        return { kind: 'select', target: sub(pair()[0]), field: pair()[1] as unknown as string };
      case '[]':
        return { kind: 'index', target: sub(pair()[0]), index: sub(pair()[1]) };
      case 'list':
        return { kind: 'list', items: (args as RawNode[]).map(sub) };
      case '!_':
        return { kind: 'not', operand: sub(args) };
      case '-_':
        return { kind: 'negate', operand: sub(args) };
      case '?:': {
        const [test, then, otherwise] = args as [RawNode, RawNode, RawNode];
        return { kind: 'conditional', test: sub(test), then: sub(then), otherwise: sub(otherwise) };
      }
      case 'call': {
        const [name, list] = args as [string, RawNode[]];
        if (!(BUILTIN_FUNCTIONS as readonly string[]).includes(name) && !this.functions.has(name)) throw refused(`the function ${name}()`);
        if (name === 'has' && (list.length !== 1 || list[0].op !== '.')) throw refused('has() of anything but a field (has(m.q.lt))');
        return { kind: 'call', name, args: list.map(sub) };
      }
      case 'rcall': {
        const [name, target, list] = args as [string, RawNode, RawNode[]];
        if (!(METHODS as readonly string[]).includes(name)) throw refused(`the method .${name}()`);
        if (MACROS.includes(name)) {
          if (list.length !== 2 || list[0].op !== 'id') throw refused(`.${name}() with other than a variable and an expression`);
          return { kind: 'macro', name, target: sub(target), variable: list[0].args as string, body: sub(list[1]) };
        }
        return { kind: 'method', name, target: sub(target), args: list.map(sub) };
      }
      case 'map':
        throw refused('map literals');
      case '.?':
      case '[?]':
        throw refused('optional access (.? and [?])');
      default:
        if (BINARY_OPS.includes(node.op)) return { kind: 'binary', op: node.op as BinaryOp, left: sub(pair()[0]), right: sub(pair()[1]) };
        throw refused(`the operator ${node.op}`);
    }
  }
}

function refused(what: string): ExpressionError {
  return new ExpressionError(`${what}: not in the rule language (see rules/README.md, Expressions)`);
}

function firstLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0];
}
