import Database from 'better-sqlite3';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { openForWriting } from '../../src/store/index.js';
import { SCHEMA_VERSION } from '../../src/store/schema.js';

/*
 * Every reader of a database (ui, endpoints, events) opens it through the store's schema check:
 * a file that is not a coapwatch database it can read is refused with one line on stderr and
 * exit status 1, never a stack trace, never a screen of "undefined".
 */
const root = join(import.meta.dirname, '../..');
const bin = join(root, 'bin/coapwatch.js');
const dir = mkdtempSync(join(tmpdir(), 'coapwatch-e2e-refusal-'));
const file = (name: string) => join(dir, name);

function run(...args: string[]) {
  // stdin and stdout are pipes: `ui` would print its plain overview if the database were good.
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', timeout: 20_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

beforeAll(() => {
  writeFileSync(file('text.db'), 'these are not the bytes of a database\n'.repeat(200));
  writeFileSync(file('empty.db'), '');
  const foreign = new Database(file('foreign.db'));
  // A table name is the file's text: it must not reach the terminal raw.
  foreign.exec(`CREATE TABLE contacts (name TEXT, phone TEXT); INSERT INTO contacts VALUES ('a', '1'); CREATE TABLE "\x1b[31mred" (x);`);
  foreign.close();
  // The foreign schema with a schema version set, as another program might.
  const versioned = new Database(file('foreign-versioned.db'));
  versioned.exec('CREATE TABLE contacts (name TEXT)');
  versioned.pragma('user_version = 2');
  versioned.close();
  const damaged = openForWriting(file('damaged.db'));
  damaged.exec("INSERT INTO runs (source, started_at) VALUES ('x.pcap', 1); ALTER TABLE endpoints RENAME COLUMN last_seen TO seen_last;");
  damaged.close();
  const newer = openForWriting(file('newer.db'));
  newer.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
  newer.close();
});

const cases: Array<[string, string, RegExp]> = [
  ['a file that is not a database', 'text.db', /file is not a database/],
  ['an empty file', 'empty.db', /is empty: not a coapwatch database/],
  ['a missing file', 'missing.db', /no such file/],
  ['a SQLite file with a foreign schema', 'foreign.db', /not a coapwatch database \(no schema version; tables: \uFFFD\[31mred, contacts\)/],
  ['a foreign schema with a schema version', 'foreign-versioned.db', /table \w+ is missing/],
  ['a coapwatch database missing a column', 'damaged.db', /table endpoints has no column last_seen/],
  ['a database of a newer coapwatch', 'newer.db', /newer than this coapwatch understands/],
];

describe('readers refuse what they cannot read, in one line', () => {
  for (const [what, name, message] of cases) {
    it(what, () => {
      for (const command of ['ui', 'endpoints', 'events']) {
        const r = run(command, '--db', file(name));
        expect(r.code, `${command}: ${r.stderr}`).toBe(1);
        const lines = r.stderr.trimEnd().split('\n');
        expect(lines, `${command}: ${r.stderr}`).toHaveLength(1);
        expect(lines[0]).toMatch(/^coapwatch: database /);
        expect(lines[0]).toMatch(message);
        expect(lines[0]).not.toMatch(/internal error|undefined|\x1b/);
        expect(r.stdout).toBe('');
      }
    });
  }
});
