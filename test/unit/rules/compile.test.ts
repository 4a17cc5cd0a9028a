import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { readCapture } from '../../../src/capture/index.js';
import { DEFAULT_RULES } from '../../../src/cli/rule-set.js';
import { AnalysisSession } from '../../../src/cli/session.js';
import { markFixedGetters } from '../../../src/rules/compile.js';
import { compileExpression, referenceEvaluator, type Evaluator, type Scope } from '../../../src/rules/expr.js';
import { loadRules } from '../../../src/rules/index.js';

/** An evaluation's outcome as text: its value, or "error" (a thrown error from cel-js, ERR from the closures). */
function outcome(e: (s: Scope) => unknown, scope: Scope): string {
  try {
    const v = e(scope);
    if (typeof v === 'symbol') return 'error';
    return JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? `${x}n` : x)) ?? String(v);
  } catch {
    return 'error';
  }
}

describe('compiled closures against cel-js\'s interpreter (the reference)', () => {
  it.each([
    ['m.a && m.missing', { m: { a: false } }, 'false'],
    ['m.missing && m.a', { m: { a: false } }, 'false'], // errors are absorbed from either side
    ['m.missing || m.a', { m: { a: true } }, 'true'],
    ['m.missing || m.b', { m: { b: false } }, 'error'],
    ['m.n < 60', { m: { n: 30 } }, 'true'], // double against int: comparisons mix
    ['m.n == 30', { m: { n: 30 } }, 'true'],
    ['m.n * 2', { m: { n: 30 } }, 'error'], // arithmetic does not
    ['m.n * 2.0 + 1.0', { m: { n: 30 } }, '61'],
    ['m.p.startsWith("/0")', { m: { p: null } }, 'error'],
    ['m.x != null && has(m.x.y)', { m: { x: { y: null } } }, 'true'],
    ['has(m.x.z)', { m: { x: { y: 1 } } }, 'false'],
    ['m.s in ["a", "b"]', { m: { s: 'b' } }, 'true'],
    ['size(m.l) > 1', { m: { l: [1, 2] } }, 'true'],
    ['size(m.l)', { m: { l: [1, 2] } }, '"2n"'],
    ['m.l.exists(x, x > 1.5)', { m: { l: [1, 2] } }, 'true'],
    ['m.l.exists(x, x.k == 1)', { m: { l: [{ k: 2 }, { j: 1 }] } }, 'error'],
    ['m.l.all(x, x > 0.5)', { m: { l: [1, 2] } }, 'true'],
    ['double(m.q.lt) > 10.0', { m: { q: { lt: '300' } } }, 'true'],
    ['double(m.q.lt) > 10.0', { m: { q: { lt: 'abc' } } }, 'error'],
    ['m.a + " " + m.b', { m: { a: 'x', b: 'y' } }, '"x y"'],
    ['!m.t', { m: { t: 'yes' } }, 'error'],
    ['-m.n < 0', { m: { n: 3 } }, 'true'],
    ['maxOf(values(m.r, "/3305/*/5800")) > 10.0', { m: { r: [{ path: '/3305/1/5800', value: 11 }, { path: '/3305/1/5805', value: 99 }] } }, 'true'],
    ['maxOf(values(m.r, "/3305/*/5800")) > 10.0', { m: { r: [] } }, 'false'],
    ['m.l == [1]', { m: { l: [1] } }, 'true'],
    ['m.l == [1.0, 2.5]', { m: { l: [1, 2.5] } }, 'true'],
    ['m.o == m.p', { m: { o: { a: 1, b: [2] }, p: { b: [2.0], a: 1n } } }, 'true'],
    ['m.o == m.p', { m: { o: { a: 1, b: 2 }, p: { a: 1 } } }, 'false'],
    ['m.s == 1', { m: { s: 'a' } }, 'false'], // values of different types are unequal, not an error
    ['"lt" in m.q', { m: { q: { lt: '5' } } }, 'true'],
    ['"x" in m.q', { m: { q: { lt: '5' } } }, 'false'],
    ['size(m.q)', { m: { q: { lt: '5', b: 'U' } } }, '"2n"'],
    ['m.l.filter(x, x > 1.5)', { m: { l: [1, 2, 3] } }, '[2,3]'],
    ['m.l.map(x, x * 2.0)', { m: { l: [1, 2] } }, '[2,4]'],
    ['type(m.s) == string && type(m.l) == list && type(m.q) == map', { m: { s: 'a', l: [], q: {} } }, 'true'],
    ['m.n > 1.0 ? "big" : "small"', { m: { n: 3 } }, '"big"'],
    ['m.n ? 1 : 2', { m: { n: 3 } }, 'error'],
    ['7 % 3 == 1 && m.s.size() == 2', { m: { s: 'ab' } }, 'true'],
    ['9223372036854775807 + size(m.l)', { m: { l: [1] } }, 'error'], // int overflow
    ['string(m.n) + " " + string(m.i) + " " + string(m.f)', { m: { n: 5, i: 3n, f: 2.75 } }, '"5 3 2.75"'],
    ['m.l[1]', { m: { l: [1, 2.5] } }, '2.5'],
    ['m.l[2]', { m: { l: [1, 2.5] } }, 'error'],
    ['values(m.r, "/3/0/*")', { m: { r: null } }, 'error'], // a rule function given no list
    // Equality against a constant, compared without equal() where it can be.
    ['m.n == 2', { m: { n: 2 } }, 'true'],
    ['m.n != 2', { m: { n: 2.5 } }, 'true'],
    ['m.s != null', { m: { s: null } }, 'false'],
    ['m.s == "a"', { m: { s: 'a' } }, 'true'],
    ['m.s == "a"', { m: { s: ['a'] } }, 'false'],
    ['m.missing == null', { m: {} }, 'error'],
    // Rule functions with a constant pattern, bound once per call site.
    ['size(outside(m.r, "/3305/*/5800", -10.0, 10.0)) > 0', { m: { r: [{ path: '/3305/2/5800', value: 11 }] } }, 'true'],
    ['size(outside(m.r, "/3305/*/5800", -10.0, 10.0)) > 0', { m: { r: [{ path: '/3305/2/5805', value: 11 }] } }, 'false'],
    ['pathLike(m.p, "/3/*/1")', { m: { p: '/3/0/1' } }, 'true'],
    // RE2 patterns, matching part of the string as CEL's matches() does.
    ['m.s.matches("^meter-[0-9]+$")', { m: { s: 'meter-0042' } }, 'true'],
    ['m.s.matches("[0-9]{3}")', { m: { s: 'ab12c' } }, 'false'],
    ['m.s.matches("x|ter")', { m: { s: 'meter' } }, 'true'],
    ['m.s.matches("a")', { m: { s: null } }, 'error'],
  ])('%s', (text, scope, expected) => {
    const e = compileExpression(text);
    expect(outcome(e, scope), 'compiled').toBe(expected);
    expect(outcome(referenceEvaluator(text), scope), 'reference').toBe(expected);
  });

  // That matches() runs in linear time is checked in a child process (test/e2e/hostile-rules.test.ts):
  // here, a backtracking engine would hang the test run rather than fail it.
  it('refuses a pattern RE2 does not take (backreferences, lookaround) or one that is not a constant, when it compiles', () => {
    expect(() => compileExpression('m.s.matches("(a)\\\\1")')).toThrow(/not an RE2 pattern/);
    expect(() => compileExpression('m.s.matches("(?=a)b")')).toThrow(/not an RE2 pattern/);
    expect(() => compileExpression('m.s.matches(m.p)')).toThrow(/constant pattern/);
    expect(compileExpression('m.s.matches(params.re)', { params: { re: '^x' } })({ m: { s: 'xy' } })).toBe(true);
    // RE2's own syntax, which JavaScript's RegExp lacks: inline flags.
    expect(compileExpression('m.s.matches("(?i)^METER")')({ m: { s: 'meter-1' } })).toBe(true);
  });

  it('reads the fields of an object of getters (m) through the getter it found there, while the variable holds that object', () => {
    const e = compileExpression('m.v > 1.0');
    let v = 2;
    const m = Object.defineProperty({}, 'v', { get: () => v, enumerable: true });
    markFixedGetters(m);
    expect(e({ m })).toBe(true);
    v = 0;
    expect(e({ m })).toBe(false);
    expect(e({ m: { v: 5 } })).toBe(true);
    expect(e({ m })).toBe(false);
  });

  it('folds constants (params) into the closures, with the answers of the reference reading them from the scope', () => {
    const params = { max: 50, hosts: ['a'], missing: null };
    for (const [text, expected] of [
      ['m.v > -params.max / 10.0 && m.s in params.hosts', 'true'],
      ['size(m.l) > 0 || params.max > 100', 'false'],
      ['params.missing.x == 1', 'error'],
      ['m.v * params.max', '50'], // numbers from YAML are doubles, like those from packets
    ] as const) {
      const e = compileExpression(text, { params });
      const scope = { m: { v: 1, s: 'a', l: [] }, params };
      expect(outcome(e, scope), text).toBe(expected);
      expect(outcome(referenceEvaluator(text), scope), text).toBe(expected);
    }
  });

  it('agrees with the reference on every expression of the default rules, on every message of the test captures', async () => {
    const rules = loadRules([DEFAULT_RULES]).rules;
    const mismatches: string[] = [];
    let compared = 0;
    const check = (id: string, e: Evaluator | null): Evaluator | null => {
      if (!e?.source) return e;
      const reference = referenceEvaluator(e.source);
      const wrapped = (scope: Scope) => {
        compared++;
        const compiled = outcome(e, scope);
        const expected = outcome(reference, scope);
        if (compiled !== expected && mismatches.length < 10) mismatches.push(`${id}: ${e.source}: compiled ${compiled}, reference ${expected}`);
        return e(scope);
      };
      return Object.assign(wrapped, { source: e.source });
    };
    for (const r of rules) {
      r.when = check(r.id, r.when);
      if (r.threshold) r.threshold.by = check(r.id, r.threshold.by)!;
      if (r.absence) r.absence = { within: check(r.id, r.absence.within)!, by: check(r.id, r.absence.by)!, still: check(r.id, r.absence.still) };
      if (r.sequence) r.sequence = { ...r.sequence, steps: r.sequence.steps.map((x) => check(r.id, x)!), by: check(r.id, r.sequence.by)! };
      r.details = r.details.map(([name, e]) => [name, check(r.id, e)!]);
    }
    const dir = join(import.meta.dirname, '../../../captures');
    const files = [
      ...readdirSync(join(dir, 'generated')).filter((f) => f.endsWith('.pcap')).map((f) => join(dir, 'generated', f)),
      ...readdirSync(join(dir, 'reference')).filter((f) => f.endsWith('.pcap')).map((f) => join(dir, 'reference', f)),
    ];
    for (const file of files) {
      const session = new AnalysisSession({ format: 'summary', coapPort: [56830, 5685], heuristic: true, source: file, rules });
      await readCapture(file, session.push);
      session.finish(null);
    }
    expect(mismatches).toEqual([]);
    expect(compared).toBeGreaterThan(10_000);
  }, 240_000);
});

describe('compiled closures against the reference on generated expressions', () => {
  const scope = {
    m: {
      i: 3n, d: 2.5, z: 0, big: 1e21, s: 'ab', e: '', b: true, f: false, n: null, l: [1, 2.5], ls: ['a', 'b'], o: { a: 1, s: 'x' },
      r: [{ path: '/3/0/1', value: 5 }, { path: '/3/0/2', value: 'v' }],
    },
  };
  const atom = fc.constantFrom(
    'm.i', 'm.d', 'm.z', 'm.big', 'm.s', 'm.e', 'm.b', 'm.f', 'm.n', 'm.l', 'm.ls', 'm.o', 'm.r', 'm.missing', 'm.o.a', 'm.o.s', 'm.r[0].value',
    '1', '2.0', '0.0', '-1', '"a"', '""', 'true', 'false', 'null', '[1, 2]', '["a"]', '[]',
  );
  const expression: fc.Arbitrary<string> = fc.letrec<{ e: string }>((tie) => ({
    e: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      atom,
      fc.tuple(tie('e'), fc.constantFrom('==', '!=', '<', '<=', '>', '>=', '+', '-', '*', '/', '%', '&&', '||', 'in'), tie('e')).map(([a, op, b]) => `(${a} ${op} ${b})`),
      tie('e').map((a) => `!${a}`),
      tie('e').map((a) => `-${a}`),
      fc.tuple(tie('e'), tie('e'), tie('e')).map(([a, b, c]) => `(${a} ? ${b} : ${c})`),
      fc.tuple(fc.constantFrom('size', 'double', 'string'), tie('e')).map(([f, a]) => `${f}(${a})`),
      fc.tuple(tie('e'), fc.constantFrom('int', 'double', 'string', 'bool', 'list', 'map', 'null_type')).map(([a, t]) => `type(${a}) == ${t}`),
      fc.tuple(tie('e'), fc.constantFrom('startsWith', 'endsWith', 'contains'), tie('e')).map(([a, f, b]) => `${a}.${f}(${b})`),
      fc.tuple(tie('e'), fc.constantFrom('exists', 'all', 'filter', 'map'), tie('e')).map(([a, f, b]) => `${a}.${f}(x, ${b.replaceAll('m.d', 'x')})`),
      fc.tuple(tie('e'), fc.constantFrom('0', '1', '-1', '2.0', '"a"', '"s"', 'm.i', 'm.s')).map(([a, b]) => `${a}[${b}]`),
      fc.constantFrom('has(m.o.a)', 'has(m.o.zz)', 'has(m.n.a)', 'maxOf(values(m.r, "/3/*/1"))', 'pathLike(m.s, "a*")', 'size(outside(m.r, "/3/0/*", 0.0, 1.0))'),
    ),
  })).e;

  it('give the same value or error as cel-js\'s interpreter', () => {
    let compared = 0;
    fc.assert(fc.property(expression, (text) => {
      let compiled;
      try {
        compiled = compileExpression(text);
      } catch {
        return true; // a type error cel-js's checker finds, or a construct outside the language: refused for both
      }
      compared++;
      expect(outcome(compiled, scope), text).toBe(outcome(referenceEvaluator(text), scope));
      return true;
    }), { numRuns: 3000, seed: 20261207 });
    expect(compared).toBeGreaterThan(1000);
  });
});
