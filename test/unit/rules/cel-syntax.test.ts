import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CelSyntax, ExpressionError } from '../../../src/rules/cel-syntax.js';
import { loadRules } from '../../../src/rules/index.js';
import { rulesFrom } from './support.js';

/**
 * The corpus whose cel-js syntax trees are recorded in cel-tree-shapes.json: every construct the
 * adapter converts. A cel-js release that changes the tree's shape fails the first test; check
 * the adapter against the new shapes, then record them with RECORD_CEL_SHAPES=1.
 */
const CORPUS = [
  'm.a.b', 'm.d[1]', 'm.q["lt"]', '[1, 2.5, "s", true, null]', '!m.c', '-m.n', 'm.a ? 1 : 2',
  'm.a == 1 || m.b != 2 && m.c < 3', 'm.a <= 1.5', 'm.a > 1', 'm.a >= 1', 'm.a + m.b - m.c * m.d / m.e % 2', '"x" in m.l',
  'has(m.q.lt)', 'size(m.l)', 'double(m.q.lt)', 'string(m.n)', 'type(m.v) == string', 'uriHost(m.u)',
  'm.s.startsWith("a")', 'm.s.endsWith("a")', 'm.s.contains("a")', 'm.s.matches("a")', 'm.s.size()',
  'm.l.exists(x, x > 1)', 'm.l.all(x, x > 1)', 'm.l.filter(x, x > 1)', 'm.l.map(x, x * 2.0)',
];

const syntax = new CelSyntax(['m'], { uriHost: { signature: 'uriHost(string): string', implementation: (s: string) => s } });

/** A raw tree with positions left out: what the adapter reads of it, and the keys each node has. */
function shape(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(shape);
  if (typeof node === 'bigint') return `${node}n`;
  if (node === null || typeof node !== 'object') return node;
  const o = node as Record<string, unknown>;
  return { keys: Object.keys(o).sort().join(','), op: o.op, args: shape(o.args) };
}

const SHAPES = join(import.meta.dirname, 'cel-tree-shapes.json');

describe('cel-js syntax trees (the adapter cel-syntax.ts)', () => {
  it('have the recorded shape for every construct of the rule language', () => {
    const now = Object.fromEntries(CORPUS.map((text) => [text, shape(syntax.rawTree(text))]));
    if (process.env.RECORD_CEL_SHAPES === '1') writeFileSync(SHAPES, `${JSON.stringify(now, null, 1)}\n`);
    expect(now).toEqual(JSON.parse(readFileSync(SHAPES, 'utf8')));
  });

  it('convert into the rule language\'s own tree', () => {
    expect(syntax.parse('m.l.exists(x, x.k > 1.5) && has(m.q.lt)').tree).toEqual({
      kind: 'binary', op: '&&',
      left: {
        kind: 'macro', name: 'exists', variable: 'x', target: { kind: 'select', target: { kind: 'ident', name: 'm' }, field: 'l' },
        body: { kind: 'binary', op: '>', left: { kind: 'select', target: { kind: 'ident', name: 'x' }, field: 'k' }, right: { kind: 'literal', value: 1.5 } },
      },
      right: { kind: 'call', name: 'has', args: [{ kind: 'select', target: { kind: 'select', target: { kind: 'ident', name: 'm' }, field: 'q' }, field: 'lt' }] },
    });
  });

  it.each([
    ['m.s.indexOf("a")', 'the method .indexOf()'],
    ['timestamp("2024-01-01T00:00:00Z") > m.t', 'the function timestamp()'],
    ['m.x in {"a": 1}', 'map literals'],
    ['m.?x', 'optional access'],
    ['m.l.exists_one(x, x > 1)', 'the method .exists_one()'],
    ['b"abc" == m.x', 'bytes literals'],
    ['1u == m.x', 'unsigned int literals'],
  ])('refuse %s: %s', (text, what) => {
    expect(() => syntax.parse(text)).toThrow(ExpressionError);
    expect(() => syntax.parse(text)).toThrow(what);
  });

  it('are refused when a rule loads, with the file and line of the expression', () => {
    expect(() => rulesFrom('id: x\nsid: 1\ntitle: t\nseverity: low\ndescription: d\nwhen: m.uriPath.indexOf("5") == 1\n')).toThrow(/^6: when: the method \.indexOf\(\): not in the rule language/);
    expect(loadRules([join(import.meta.dirname, '../../../rules')]).problems).toEqual([]);
  });
});
