import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadRules, RuleLoadError, type LoadedRules, type Rule } from '../rules/index.js';

/** The ruleset that ships with coapwatch (the package's rules/ folder). */
export const DEFAULT_RULES = fileURLToPath(new URL('../../rules/', import.meta.url));

/** Rule files or folders given with --rules (repeatable); the default ruleset when none. */
export function collectRulePaths(value: string, previous: string[] | undefined): string[] {
  return (previous ?? []).concat(value);
}

/** Loads rules for a run: any problem stops it, with every problem as file:line. */
export function loadRuleSet(paths: string[] | undefined | false): Rule[] {
  if (paths === false) return [];
  const loaded = loadRules(paths && paths.length > 0 ? paths : [DEFAULT_RULES]);
  if (loaded.problems.length > 0) throw new RuleLoadError(describeProblems(loaded));
  return loaded.rules;
}

export function describeProblems(loaded: LoadedRules): string {
  const n = loaded.problems.length;
  return [`${n} problem${n === 1 ? '' : 's'} in rule files:`, ...loaded.problems.map((p) => `  ${relative(process.cwd(), p.file) || p.file}:${p.line}: ${p.message}`)].join('\n');
}
