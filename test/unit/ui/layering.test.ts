import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = join(import.meta.dirname, '../../../src');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) =>
    d.isDirectory() ? sourceFiles(join(dir, d.name)) : /\.tsx?$/.test(d.name) ? [join(dir, d.name)] : []);
}

/** The stage folders a file imports from (relative imports only). */
function importedStages(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const stages: string[] = [];
  for (const m of text.matchAll(/\bfrom\s+'(\.[^']+)'|\bimport\(\s*'(\.[^']+)'\s*\)/g)) {
    const target = relative(SRC, resolve(join(file, '..'), m[1] ?? m[2]));
    stages.push(target.split(/[\\/]/)[0]);
  }
  return stages;
}

describe('stage boundaries', () => {
  it('the dashboard (src/ui) imports nothing from the command line (src/cli)', () => {
    const offenders = sourceFiles(join(SRC, 'ui')).filter((f) => importedStages(f).includes('cli')).map((f) => relative(SRC, f));
    expect(offenders).toEqual([]);
  });

  it('the store (src/store) imports nothing from the dashboard or the command line', () => {
    const offenders = sourceFiles(join(SRC, 'store')).filter((f) => importedStages(f).some((s) => s === 'ui' || s === 'cli')).map((f) => relative(SRC, f));
    expect(offenders).toEqual([]);
  });
});
