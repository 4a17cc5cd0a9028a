import { Option, type Command } from 'commander';
import { existsSync } from 'node:fs';
import { relative } from 'node:path';
import { checkCaptureFile, readCapture } from '../../capture/index.js';
import { loadRules, type Rule } from '../../rules/index.js';
import { sanitizeForTerminal } from '../../util/terminal-text.js';
import { printListing } from './listing.js';
import { LineWriter } from '../output.js';
import { DEFAULT_RULES, describeProblems } from '../rule-set.js';
import { AnalysisSession } from '../session.js';

/** `coapwatch rules list|check|test [PATH...]`: the analyst's tools for rule files. */
export function registerRulesCommand(program: Command): void {
  const rules = program.command('rules').description('List, validate and test detection rule files (YAML)');
  const paths = (p: string[]) => (p.length > 0 ? p : [DEFAULT_RULES]);

  rules
    .command('list')
    .description('List the rules: id, severity, what they run on, title')
    .argument('[paths...]', 'rule files or folders (default: the bundled ruleset)')
    .addOption(new Option('-f, --format <format>', 'a table, or one JSON object per rule').choices(['table', 'ndjson']).default('table'))
    .action((p: string[], opts: { format: 'table' | 'ndjson' }) => {
      const loaded = loadRules(paths(p));
      const rows = loaded.rules.map((r) => ({
        id: r.id, severity: r.severity, on: r.on, kind: r.kind, title: r.title, tags: r.tags, references: r.references, source: r.source,
      }));
      printListing(opts.format, rows, [
        { header: 'ID', cell: (r) => r.id }, { header: 'SEVERITY', cell: (r) => r.severity }, { header: 'ON', cell: (r) => r.on },
        { header: 'KIND', cell: (r) => r.kind }, { header: 'TITLE', cell: (r) => r.title, maxWidth: 100 },
      ]);
      if (loaded.problems.length > 0) fail(describeProblems(loaded));
    });

  rules
    .command('check')
    .description('Validate rule files: YAML, fields, CEL expressions; every problem as file:line')
    .argument('[paths...]', 'rule files or folders (default: the bundled ruleset)')
    .action((p: string[]) => {
      const loaded = loadRules(paths(p));
      if (loaded.problems.length > 0) fail(describeProblems(loaded));
      const missing = loaded.rules.flatMap((r) => [...r.examples.trigger, ...r.examples.clean].filter((f) => !existsSync(f)).map((f) => `${r.source}: example ${f} does not exist`));
      if (missing.length > 0) fail(missing.join('\n'));
      process.stdout.write(`${loaded.rules.length} rules in ${loaded.files.length} files: ok\n`);
    });

  rules
    .command('test')
    .description("Run each rule's own examples: it must fire on its trigger captures and stay silent on its clean ones")
    .argument('[paths...]', 'rule files or folders (default: the bundled ruleset)')
    .option('--rule <id>', 'only this rule')
    .addHelpText('after', '\nExit status: 0 when every tested rule passes, 1 when one fails or has no examples.')
    .action(async (p: string[], opts: { rule?: string }) => {
      const loaded = loadRules(paths(p));
      if (loaded.problems.length > 0) fail(describeProblems(loaded));
      const selected = opts.rule === undefined ? loaded.rules : loaded.rules.filter((r) => r.id === opts.rule);
      if (selected.length === 0) fail(`no rule ${opts.rule === undefined ? 'to test' : `with id "${opts.rule}"`}`);
      const results = await testRules(selected);
      const out = new LineWriter();
      let failed = 0;
      for (const r of results) {
        if (!r.ok) failed++;
        // Example paths are whatever a rule file says: no control characters reach the terminal.
        out.write(`${r.ok ? 'pass' : 'FAIL'}  ${r.rule.id.padEnd(40)} ${sanitizeForTerminal(r.notes.join('; '))}\n`);
      }
      out.write(`${results.length - failed} of ${results.length} rules pass\n`);
      out.flush();
      if (failed > 0) process.exitCode = 1;
    });
}

export interface RuleTestResult {
  rule: Rule;
  ok: boolean;
  notes: string[];
}

/**
 * Analyses every example capture once, with every rule that names it, and checks each rule
 * fired on its trigger captures and not on its clean ones.
 */
export async function testRules(rules: Rule[]): Promise<RuleTestResult[]> {
  const byCapture = new Map<string, Rule[]>();
  for (const r of rules) {
    for (const f of [...r.examples.trigger, ...r.examples.clean]) {
      if (!byCapture.has(f)) byCapture.set(f, []);
      byCapture.get(f)!.push(r);
    }
  }
  const fired = new Map<string, Map<string, number>>();
  /** Example files that are no capture, with why (never with their contents). */
  const refused = new Map<string, string>();
  for (const [file, list] of byCapture) {
    if (!existsSync(file)) continue;
    try {
      await checkCaptureFile(file);
    } catch (err) {
      refused.set(file, (err as Error).message.slice(file.length + 2));
      continue;
    }
    const session = new AnalysisSession({ format: 'summary', coapPort: [], heuristic: true, source: file, rules: list });
    await readCapture(file, session.push);
    session.finish(null);
    fired.set(file, session.engine!.fired);
  }
  return rules.map((rule) => {
    const notes: string[] = [];
    let ok = rule.examples.trigger.length > 0 && rule.examples.clean.length > 0;
    if (!ok) notes.push('needs a trigger and a clean example');
    const check = (file: string, mustFire: boolean) => {
      const name = relative(process.cwd(), file) || file;
      const counts = fired.get(file);
      if (!counts) {
        ok = false;
        notes.push(`${name}: ${refused.get(file) ?? 'missing'}`);
        return;
      }
      const n = counts.get(rule.id) ?? 0;
      if (mustFire !== n > 0) ok = false;
      notes.push(`${name}: ${n} event${n === 1 ? '' : 's'}${mustFire !== n > 0 ? (mustFire ? ' (expected some)' : ' (expected none)') : ''}`);
    };
    for (const f of rule.examples.trigger) check(f, true);
    for (const f of rule.examples.clean) check(f, false);
    return { rule, ok, notes };
  });
}

function fail(message: string): never {
  process.stderr.write(`coapwatch: ${message}\n`);
  process.exit(1);
}
