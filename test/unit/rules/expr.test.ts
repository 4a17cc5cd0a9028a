import { describe, expect, it } from 'vitest';
import { compileExpression, compileTemplate, ExpressionError, holds, hostOf, pathMatcher, uriHostOf, variablesOf } from '../../../src/rules/expr.js';

describe('rule expressions (CEL)', () => {
  it('evaluates conditions over plain objects; errors and non-booleans are no match', () => {
    const scope = { m: { path: '/0/1', lifetime: 30, q: { lt: '5' }, records: [{ path: '/3/0/9', value: 17.5 }] } };
    expect(holds(compileExpression('m.path.startsWith("/0") && m.lifetime < 60'), scope)).toBe(true);
    expect(holds(compileExpression('m.records.exists(r, r.value > 17.0)'), scope)).toBe(true);
    expect(holds(compileExpression('double(m.q.lt) < 30.0'), scope)).toBe(true);
    expect(holds(compileExpression('m.q.missing == "x"'), scope)).toBe(false);
    expect(holds(compileExpression('m.lifetime'), scope)).toBe(false);
  });

  it('has no way out to Node: unknown functions and variables fail at compile time', () => {
    expect(() => compileExpression('process.exit(1)')).toThrow(ExpressionError);
    expect(() => compileExpression('require("fs")')).toThrow(ExpressionError);
    expect(() => compileExpression('m.constructor.constructor("return 1")()')).toThrow(ExpressionError);
  });

  it('fills templates, rendering missing values as "-"', () => {
    const t = compileTemplate('{{m.ep}} lt={{m.q.lt}} n={{1 + 2}} x={{m.nope}} r={{m.ratio}}');
    expect(t({ m: { ep: 'meter-1', q: { lt: '5' }, ratio: 2 / 3 } })).toBe('meter-1 lt=5 n=3 x=<No such key: nope> r=0.667');
  });

  it('finds which variables an expression reads', () => {
    expect([...variablesOf('ep != null && obs.pmax > m.x && params.a')].sort()).toEqual(['ep', 'm', 'obs', 'params']);
    expect([...variablesOf('m.obs.state')]).toEqual(['m']);
  });

  it('says which variable alone decides a value, when the expression reads only fields of it that never change', () => {
    const params = { params: { sep: ' ', n: 2 } };
    expect(compileExpression("obs.client + ' ' + obs.token").fixedBy).toBe('obs');
    expect(compileExpression('obs.client + params.sep + string(obs.id)', params).fixedBy).toBe('obs');
    expect(compileExpression('host(obs.client) + (obs.composite ? "c" : obs.token)').fixedBy).toBe('obs');
    // A field that changes (state), another variable, a whole object, a function of the state: computed every time.
    expect(compileExpression("obs.client + ' ' + obs.state").fixedBy).toBeUndefined();
    expect(compileExpression('obs.token + m.src').fixedBy).toBeUndefined();
    expect(compileExpression('m.src').fixedBy).toBeUndefined();
    expect(compileExpression('string(obs)').fixedBy).toBeUndefined();
    expect(compileExpression('obs.paths[0]').fixedBy).toBeUndefined();
    expect(compileExpression('string(previous(obs.token))').fixedBy).toBeUndefined();
    expect(compileExpression('"all"').fixedBy).toBeUndefined();
  });

  it('splits hosts from addresses and URIs', () => {
    expect(hostOf('10.0.0.1:5683')).toBe('10.0.0.1');
    expect(hostOf('[2001:db8::1]:5683')).toBe('2001:db8::1');
    expect(uriHostOf('coap://198.51.100.66:5683/fw.bin')).toBe('198.51.100.66');
    expect(uriHostOf('coaps://[2001:db8::2]/x')).toBe('2001:db8::2');
    expect(uriHostOf('https://user@Updates.Example.com/a')).toBe('updates.example.com');
    expect(uriHostOf('not a uri')).toBe('');
  });

  it('matches record paths against one-segment patterns, the same answer the second time (when it is remembered)', () => {
    const cases: Array<[string, string, boolean]> = [
      ['/3305/*/5805', '/3305/0/5805', true],
      ['/3305/*/5805', '/3305/12/5805', true],
      ['/3305/*/5805', '/3305/0/5800', false],
      ['/3305/*/5805', '/3305/0/1/5805', false], // "*" is one segment
      ['/3305/*/5805', '/3305//5805', false],
      ['/3305/*/5805', '/3306/0/5805', false], // same last character, other object
      ['/3305/*/5805', '/3305/0/5805/0', false],
      ['/3/*', '/3/0', true], // no suffix
      ['/3/*', '/3/0/1', false],
      ['/3/*', '/3/', false],
    ];
    for (const round of [1, 2]) {
      for (const [pattern, path, expected] of cases) expect([round, pattern, path, pathMatcher(pattern)(path)]).toEqual([round, pattern, path, expected]);
    }
    // A fresh string with the same text gets the same answer.
    expect(pathMatcher('/3305/*/5805')(['/3305', '0', '5805'].join('/'))).toBe(true);
  });
});
