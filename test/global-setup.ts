import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Every test's temporary files (captures, databases, PostgreSQL clusters: a quarter of a
 * gigabyte a run) go under one directory of the run's own, through TMPDIR, which the test
 * processes and the programs they start inherit; it is removed when the run ends.
 * COAPWATCH_KEEP_TEST_FILES=1 keeps it, to look at what a failing test left.
 */
export default function setup(): () => void {
  const dir = mkdtempSync(join(tmpdir(), 'coapwatch-tests-'));
  // Open to other users, as /tmp is: run as root, the throwaway PostgreSQL server runs as the
  // `postgres` user in a directory of its own in here (test/support/postgres.ts).
  chmodSync(dir, 0o755);
  process.env.TMPDIR = dir;
  return () => {
    if (process.env.COAPWATCH_KEEP_TEST_FILES === '1') console.log(`test files kept in ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  };
}
