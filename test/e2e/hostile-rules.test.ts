import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generate } from 'coap-packet';
import { describe, expect, it } from 'vitest';
import { pcapOfFrames } from '../support/pcap.js';
import { uint } from '../support/coap-flow.js';
import { udpFrame } from '../unit/decode/build.js';
import { withSids } from '../support/rule-text.js';

/* The built CLI on rule files written to hang it, crash it or make it read what it should not. */
const root = join(import.meta.dirname, '../..');
const bin = join(root, 'bin/coapwatch.js');
const scratch = mkdtempSync(join(tmpdir(), 'coapwatch-hostile-rules-'));

/** A generous bound for a run that takes well under a second: reaching it is the failure. */
const KILL_AFTER_MS = 120_000;

function run(...args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', cwd: scratch, timeout: KILL_AFTER_MS, killSignal: 'SIGKILL' });
  return { code: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

function file(name: string, text: string | Buffer): string {
  const path = join(scratch, name);
  writeFileSync(path, typeof text === 'string' && name.endsWith('.yaml') ? withSids(text) : text);
  return path;
}

const RULE = 'title: t\nseverity: low\ndescription: d\n';

/** A pcap of one Register from endpoint `ep` and the server's 2.01. */
function registerCapture(name: string, ep: string): string {
  const register = generate({
    code: '0.02', messageId: 1, token: Buffer.from('01', 'hex'), confirmable: true,
    options: [
      { name: 'Uri-Path', value: Buffer.from('rd') }, { name: 'Content-Format', value: uint(40) },
      { name: 'Uri-Query', value: Buffer.from(`ep=${ep}`) }, { name: 'Uri-Query', value: Buffer.from('lt=300') },
    ] as never,
    payload: Buffer.from('</3/0>'),
  });
  const created = generate({
    code: '2.01', messageId: 1, token: Buffer.from('01', 'hex'), ack: true,
    options: [{ name: 'Location-Path', value: Buffer.from('rd') }, { name: 'Location-Path', value: Buffer.from('1') }] as never,
  });
  const frames = [
    udpFrame(register, { src: '10.1.0.1', dst: '10.0.0.1' }, 56830, 5683),
    udpFrame(created, { src: '10.0.0.1', dst: '10.1.0.1' }, 5683, 56830),
  ];
  return file(name, pcapOfFrames(frames));
}

describe('regular expressions in rules (matches)', () => {
  it('run in linear time: ^(a+)+$ against a Register from 34 "a"s and a "!" finishes, and an anchored pattern fires', () => {
    const rules = file('redos.yaml', [
      `id: nested-quantifier\n${RULE}operations: [register]\nwhen: m.isRequest && m.endpoint.matches("^(a+)+$")\n`,
      `id: exact-name\n${RULE}operations: [register]\nwhen: m.isRequest && m.endpoint.matches("^a{34}!$")\n`,
    ].join('---\n'));
    expect(run('rules', 'check', rules)).toMatchObject({ code: 0, stdout: '2 rules in 1 files: ok\n' });
    // 2^34 ways to split the name for a backtracking engine; one pass for RE2.
    const capture = registerCapture('aaaa.pcap', `${'a'.repeat(34)}!`);
    const r = run('analyze', capture, '--rules', rules, '--format', 'ndjson', '--no-progress');
    expect(r.signal).toBeNull();
    expect(r.code).toBe(0);
    const events = r.stdout.trimEnd().split('\n').map((l) => JSON.parse(l)).filter((l) => l.kind === 'event');
    expect(events.map((e) => [e.rule, e.endpoint])).toEqual([['exact-name', `${'a'.repeat(34)}!`]]);
  }, KILL_AFTER_MS + 10_000);

  it('are refused at load, with file:line, when RE2 does not take them (backreferences, lookaround) or they are not constant', () => {
    const rules = file('refused.yaml', [
      `id: backreference\n${RULE}when: m.endpoint.matches("(a)\\\\1")\n`,
      `id: lookahead\n${RULE}when: m.endpoint.matches("(?=a)a")\n`,
      `id: not-constant\n${RULE}when: m.endpoint.matches(m.path)\n`,
    ].join('---\n'));
    const r = run('rules', 'check', rules);
    expect(r.code).toBe(1);
    expect(r.stderr.trimEnd().split('\n').slice(1).map((l) => l.trim().replace(/ \(.*/, ''))).toEqual([
      'refused.yaml:5: when: .matches(): not an RE2 pattern',
      'refused.yaml:12: when: .matches(): not an RE2 pattern',
      'refused.yaml:19: when: .matches() takes a constant pattern',
    ]);
  });
});

describe('rule files that are YAML bombs', () => {
  /** Nine aliases of nine aliases, seven levels deep: 9^7 values from a few hundred bytes. */
  const bomb = `id: bomb\n${RULE}when: m.isRequest\nparams:\n  a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n${
    'bcdefg'.split('').map((c, i) => `  ${c}: &${c} [${Array(9).fill(`*${'abcdefg'[i]}`).join(',')}]\n`).join('')}`;

  it.each([
    ['an alias bomb', 'bomb.yaml', bomb, /^ {2}bomb\.yaml:1: YAML aliases expand beyond 100 values$/],
    ['ten thousand nested brackets', 'deep.yaml', `id: deep\n${RULE}when: m.isRequest\nparams:\n  x: ${'['.repeat(10_000)}${']'.repeat(10_000)}\n`, /^ {2}deep\.yaml:7: YAML nested more than 32 deep$/],
    ['a block sequence nested 40 deep', 'block.yaml', `id: block\n${RULE}params:\n  x:\n${Array.from({ length: 40 }, (_, i) => `${' '.repeat(4 + i * 2)}- \n`).join('')}`, /^ {2}block\.yaml:\d+: YAML nested more than 32 deep$/],
    ['a file over 1 MiB', 'big.yaml', `# ${'x'.repeat(1 << 20)}\n`, /^ {2}big\.yaml:0: larger than 1048576 bytes$/],
  ])('%s: `rules check` and analyze give one line per problem, exit 1, no stack trace', (_what, name, text, line) => {
    const rules = file(name, text);
    for (const r of [run('rules', 'check', rules), run('analyze', join(root, 'captures/generated/fleet-hour.pcap'), '--rules', rules, '--no-progress')]) {
      expect(r.signal).toBeNull();
      expect(r.code).toBe(1);
      expect(r.stdout).toBe('');
      const lines = r.stderr.trimEnd().split('\n');
      expect(lines).toHaveLength(2);
      expect(lines[0]).toBe('coapwatch: 1 problem in rule files:');
      expect(lines[1]).toMatch(line);
    }
  });
});

describe('rules test reads only captures from examples:', () => {
  it('names a file that is no capture, or no regular file, without showing any of its bytes', () => {
    file('secret.txt', 'hunter2-secret-token\n');
    const fifo = join(scratch, 'fifo');
    spawnSync('mkfifo', [fifo]);
    const rules = file('examples.yaml', `id: examples\n${RULE}when: m.isRequest\nexamples:\n  trigger: [secret.txt, fifo]\n  clean: ${join(root, 'captures/generated/fleet-hour.pcap')}\n`);
    const r = run('rules', 'test', rules);
    expect(r.signal).toBeNull();
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('secret.txt: not a pcap or pcapng file;');
    expect(r.stdout).toContain('fifo: not a regular file;');
    // Neither the text nor its first bytes in hex ("hunt" is 0x68756e74).
    expect(r.stdout + r.stderr).not.toMatch(/hunter|68756e74|magic/i);
  }, KILL_AFTER_MS + 10_000);
});
