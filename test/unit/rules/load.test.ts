import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadRules } from '../../../src/rules/index.js';
import { DEFAULT_RULES } from '../../../src/cli/rule-set.js';
import { withSids } from '../../support/rule-text.js';

function problemsOf(yaml: string): string[] {
  const dir = mkdtempSync(join(tmpdir(), 'coapwatch-rules-'));
  const file = join(dir, 'r.yaml');
  writeFileSync(file, withSids(yaml));
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
    writeFileSync(file, `id: good\nsid: 1\n${OK}---\nid: bad-severity\nsid: 2\ntitle: t\nseverity: urgent\ndescription: d\nwhen: "true"\n---\nid: bad-cel\nsid: 3\n${OK.replace('m.isRequest', 'm.isRequest &&')}`);
    const loaded = loadRules([file]);
    expect(loaded.rules.map((r) => r.id)).toEqual(['good']);
    expect(loaded.problems.map((p) => [p.file, p.line, p.message.split(':')[0]])).toEqual([
      [file, 11, 'severity'],
      [file, 20, 'when'],
    ]);
  });

  it.each([
    ['unknown key', `id: a\nsid: 4\n${OK}colour: red\n`, '7: unknown key "colour"'],
    ['bad id', `id: Not OK\nsid: 5\n${OK}`, '1: id: required'],
    ['missing title', 'id: a\nsid: 6\nseverity: low\ndescription: d\nwhen: "true"\n', 'title: required text'],
    ['bad trigger', `id: a\nsid: 7\n${OK}on: packet\n`, 'on: one of message, endpoint, dtls'],
    ['threshold without section', `id: a\nsid: 8\n${OK}kind: threshold\n`, 'kind threshold needs a "threshold:" section'],
    ['section of another kind', `id: a\nsid: 9\n${OK}absence: { within: 5, by: m.src }\n`, 'belongs to rules of kind absence'],
    ['bad duration', `id: a\nsid: 10\n${OK}kind: threshold\nthreshold: { count: 5, within: soon }\n`, 'threshold.within: seconds'],
    ['unknown variable', `id: a\nsid: 11\ntitle: t\nseverity: low\ndescription: d\nwhen: packet.size > 3\n`, 'Unknown variable: packet'],
    ['bad template', `id: a\nsid: 12\n${OK}message: "{{ m. }}"\n`, 'message:'],
    ['YAML syntax', `id: a\nsid: 13\n${OK}tags: [a, b\n`, ''],
    ['no sid', `id: a\n${OK}# no sid\n`, '1: sid: required, an integer from 1 to 4294967295, unique across the rule files'],
    ['sid not an integer', `id: a\nsid: 1.5\n${OK}`, '2: sid: required'],
    ['bad rev', `id: a\nsid: 1\nrev: zero\n${OK}`, '3: rev: an integer'],
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
    writeFileSync(file, withSids(`id: a\n${OK}---\nid: b\n${OK}suppress: 5m\n---\nid: c\ntitle: t\nseverity: low\ndescription: d\non: endpoint\nwhen: "true"\n`));
    const rules = loadRules([file]).rules;
    expect(rules.map((r) => [r.id, r.suppress, r.outcome])).toEqual([
      ['a', { type: 'limit', track: 'both', count: 1, seconds: 60 }, null],
      ['b', { type: 'limit', track: 'both', count: 1, seconds: 300 }, null],
      ['c', { type: 'limit', track: 'endpoint', count: 1, seconds: 60 }, null],
    ]);
  });

  it('rejects a sid used twice, in another file too, naming the first', () => {
    const dir = mkdtempSync(join(tmpdir(), 'coapwatch-rules-'));
    writeFileSync(join(dir, 'a.yaml'), `id: a\nsid: 7\n${OK}`);
    writeFileSync(join(dir, 'b.yaml'), `id: b\nsid: 8\n${OK}---\nid: c\nsid: 7\n${OK}`);
    const loaded = loadRules([dir]);
    expect(loaded.rules.map((r) => [r.id, r.sid, r.rev])).toEqual([['a', 7, 1], ['b', 8, 1]]);
    expect(loaded.problems.map((p) => `${p.file}:${p.line}: ${p.message}`)).toEqual([expect.stringMatching(/b\.yaml:9: sid 7 is already used at .*a\.yaml:1$/)]);
  });

  it('the default ruleset: every rule has its own sid, in the range kept for bundled rules', () => {
    const { rules } = loadRules([DEFAULT_RULES]);
    expect(new Set(rules.map((r) => r.sid)).size).toBe(rules.length);
    for (const r of rules) expect(r.sid, r.id).toBeGreaterThanOrEqual(5_683_000), expect(r.sid, r.id).toBeLessThan(5_684_000);
  });

  it('rejects a rule id used twice, naming the first', () => {
    const problems = problemsOf(`id: a\nsid: 14\n${OK}---\nid: a\nsid: 15\n${OK}`);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^8: rule id "a" is already used at .*r\.yaml:1$/);
  });

  it('returns hostile YAML as problems rather than throwing (what a monitor reload logs), and keeps the other documents', () => {
    const bomb = `id: bomb\n${OK}params:\n  a: &a [1,1,1,1,1,1,1,1,1,1]\n  b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]\n  c: [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]\n`;
    expect(problemsOf(`id: good\n${OK}---\n${bomb}`)).toEqual(['8: YAML aliases expand beyond 100 values']);
    const dir = mkdtempSync(join(tmpdir(), 'coapwatch-rules-'));
    writeFileSync(join(dir, 'a.yaml'), withSids(`id: good\n${OK}`));
    writeFileSync(join(dir, 'b.yaml'), `id: deep\n${OK}params: ${'['.repeat(5000)}${']'.repeat(5000)}\n`);
    const loaded = loadRules([dir]);
    expect(loaded.rules.map((r) => r.id)).toEqual(['good']);
    expect(loaded.problems.map((p) => `${p.line}: ${p.message}`)).toEqual(['6: YAML nested more than 32 deep']);
  });

  it('keeps aliases that stay within the limits', () => {
    expect(problemsOf(`id: shared\n${OK}params:\n  hosts: &h ["10.0.0.1", "10.0.0.2"]\n  also: *h\n`)).toEqual([]);
  });
});
