import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadRules } from '../../../src/rules/index.js';
import { DEFAULT_RULES } from '../../../src/cli/rule-set.js';

function problemsOf(yaml: string): string[] {
  const dir = mkdtempSync(join(tmpdir(), 'coapwatch-rules-'));
  const file = join(dir, 'r.yaml');
  writeFileSync(file, yaml);
  return loadRules([file]).problems.map((p) => `${p.line}: ${p.message}`);
}

const OK = 'title: t\nseverity: low\ndescription: d\nwhen: m.isRequest\n';

describe('loadRules', () => {
  it('loads the default ruleset: at least 30 rules, no problems, every one with examples and references', () => {
    const { rules, problems } = loadRules([DEFAULT_RULES]);
    expect(problems).toEqual([]);
    expect(rules.length).toBeGreaterThanOrEqual(30);
    for (const r of rules) {
      expect(r.references.length, r.id).toBeGreaterThan(0);
      expect(r.examples.trigger.length, r.id).toBeGreaterThan(0);
      expect(r.examples.clean.length, r.id).toBeGreaterThan(0);
    }
  });

  it('reports each problem at its file line, and keeps the good rules', () => {
    const dir = mkdtempSync(join(tmpdir(), 'coapwatch-rules-'));
    const file = join(dir, 'r.yaml');
    writeFileSync(file, `id: good\n${OK}---\nid: bad-severity\ntitle: t\nseverity: urgent\ndescription: d\nwhen: "true"\n---\nid: bad-cel\n${OK.replace('m.isRequest', 'm.isRequest &&')}`);
    const loaded = loadRules([file]);
    expect(loaded.rules.map((r) => r.id)).toEqual(['good']);
    expect(loaded.problems.map((p) => [p.file, p.line, p.message.split(':')[0]])).toEqual([
      [file, 9, 'severity'],
      [file, 17, 'when'],
    ]);
  });

  it.each([
    ['unknown key', `id: a\n${OK}colour: red\n`, '6: unknown key "colour"'],
    ['bad id', `id: Not OK\n${OK}`, '1: id: required'],
    ['missing title', 'id: a\nseverity: low\ndescription: d\nwhen: "true"\n', 'title: required text'],
    ['bad trigger', `id: a\n${OK}on: packet\n`, 'on: one of message, endpoint, dtls'],
    ['threshold without section', `id: a\n${OK}kind: threshold\n`, 'kind threshold needs a "threshold:" section'],
    ['section of another kind', `id: a\n${OK}absence: { within: 5, by: m.src }\n`, 'belongs to rules of kind absence'],
    ['bad duration', `id: a\n${OK}kind: threshold\nthreshold: { count: 5, within: soon }\n`, 'threshold.within: seconds'],
    ['unknown variable', `id: a\ntitle: t\nseverity: low\ndescription: d\nwhen: packet.size > 3\n`, 'Unknown variable: packet'],
    ['bad template', `id: a\n${OK}message: "{{ m. }}"\n`, 'message:'],
    ['YAML syntax', `id: a\n${OK}tags: [a, b\n`, ''],
  ])('%s', (_name, yaml, expected) => {
    const problems = problemsOf(yaml);
    expect(problems.length).toBeGreaterThan(0);
    expect(problems.join('\n')).toContain(expected);
  });

  it.each([
    ['suppress: { type: limit, tack: src }', '6: suppress: unknown key "tack" (known: type, track, count, seconds)'],
    ['suppress: { type: limt }', '6: suppress.type: one of limit, threshold, both'],
    ['suppress: { track: by_src }', '6: suppress.track: one of src, dst, both, endpoint, rule'],
    ['suppress: { count: 0 }', '6: suppress.count: an integer from 1 to 100000'],
    ['suppress: { seconds: soon }', '6: suppress.seconds: seconds'],
    ['suppress: { type: both, count: 3, seconds: 0 }', '6: suppress.seconds: a window longer than 0 s for type both'],
    ['suppress: [limit]', '6: suppress: seconds, or a mapping'],
    ['outcome: { refused: low, accepted: high }', '6: outcome: unknown outcome "accepted" (known: success, refused, error, no-answer)'],
    ['outcome: { refused: lowish }', '6: outcome.refused: one of info, low, medium, high, critical'],
  ])('refuses %s with its line', (line, expected) => {
    expect(problemsOf(`id: a\n${OK}${line}\n`)).toEqual([expect.stringContaining(expected)]);
  });

  it('outcome: only on rules on messages; suppress: defaults by trigger, a duration keeps its old meaning', () => {
    expect(problemsOf('id: a\ntitle: t\nseverity: low\ndescription: d\non: endpoint\nwhen: "true"\noutcome: { refused: info }\n'))
      .toEqual(['7: outcome: only for rules on messages (a request\'s answer)']);
    const dir = mkdtempSync(join(tmpdir(), 'coapwatch-rules-'));
    const file = join(dir, 'r.yaml');
    writeFileSync(file, `id: a\n${OK}---\nid: b\n${OK}suppress: 5m\n---\nid: c\ntitle: t\nseverity: low\ndescription: d\non: endpoint\nwhen: "true"\n`);
    const rules = loadRules([file]).rules;
    expect(rules.map((r) => [r.id, r.suppress, r.outcome])).toEqual([
      ['a', { type: 'limit', track: 'both', count: 1, seconds: 60 }, null],
      ['b', { type: 'limit', track: 'both', count: 1, seconds: 300 }, null],
      ['c', { type: 'limit', track: 'endpoint', count: 1, seconds: 60 }, null],
    ]);
  });

  it('rejects a rule id used twice, naming the first', () => {
    const problems = problemsOf(`id: a\n${OK}---\nid: a\n${OK}`);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^7: rule id "a" is already used at .*r\.yaml:1$/);
  });

  it('returns hostile YAML as problems rather than throwing (what a monitor reload logs), and keeps the other documents', () => {
    const bomb = `id: bomb\n${OK}params:\n  a: &a [1,1,1,1,1,1,1,1,1,1]\n  b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]\n  c: [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]\n`;
    expect(problemsOf(`id: good\n${OK}---\n${bomb}`)).toEqual(['7: YAML aliases expand beyond 100 values']);
    const dir = mkdtempSync(join(tmpdir(), 'coapwatch-rules-'));
    writeFileSync(join(dir, 'a.yaml'), `id: good\n${OK}`);
    writeFileSync(join(dir, 'b.yaml'), `id: deep\n${OK}params: ${'['.repeat(5000)}${']'.repeat(5000)}\n`);
    const loaded = loadRules([dir]);
    expect(loaded.rules.map((r) => r.id)).toEqual(['good']);
    expect(loaded.problems.map((p) => `${p.line}: ${p.message}`)).toEqual(['6: YAML nested more than 32 deep']);
  });

  it('keeps aliases that stay within the limits', () => {
    expect(problemsOf(`id: shared\n${OK}params:\n  hosts: &h ["10.0.0.1", "10.0.0.2"]\n  also: *h\n`)).toEqual([]);
  });
});
