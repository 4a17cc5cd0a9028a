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
    ['no sid', `id: a\n${OK}`, '1: sid: required, an integer from 1 to 4294967295, unique across the rule files'],
    ['sid not an integer', `id: a\nsid: 1.5\n${OK}`, '2: sid: required'],
    ['bad rev', `id: a\nsid: 1\nrev: zero\n${OK}`, '3: rev: an integer'],
  ])('%s', (_name, yaml, expected) => {
    const problems = problemsOf(yaml);
    expect(problems.length).toBeGreaterThan(0);
    expect(problems.join('\n')).toContain(expected);
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
});
