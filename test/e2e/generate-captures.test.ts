import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { ATTACK_NAMES } from '../../src/generate/attacks/index.js';

/* captures/make.sh is the one list of how the generated captures are made: each of its lines is run again. */
const root = join(import.meta.dirname, '../..');
const bin = join(root, 'bin/coapwatch.js');
const makeScript = readFileSync(join(root, 'captures/make.sh'), 'utf8');
const readme = readFileSync(join(root, 'captures/README.md'), 'utf8');
const commands = makeScript.split('\n').filter((l) => l.startsWith('coapwatch generate ')).map((l) => l.split(' ').slice(1));
const dir = mkdtempSync(join(tmpdir(), 'coapwatch-captures-'));

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('captures/generated', () => {
  it('lists a clean fleet hour, a bootstrap session, a queue-mode fleet and one capture per attack', () => {
    const files = commands.map((args) => basename(args[args.indexOf('--pcap') + 1]));
    expect(files).toEqual(expect.arrayContaining(['fleet-hour.pcap', 'bootstrap.pcap', 'queue-mode.pcap']));
    expect(files).toEqual(expect.arrayContaining(ATTACK_NAMES.map((name) => `attack-${name}.pcap`)));
    expect(files).toContain('attack-queue-silent.pcap');
  });

  it('README gives the exact command of each', () => {
    for (const args of commands) expect(readme).toContain(`coapwatch ${args.join(' ')}`);
  });

  it('comes out byte-identical when each command runs again', async () => {
    // A few at a time: some forty node processes at once would starve a small machine.
    const queue = [...commands];
    await Promise.all(Array.from({ length: 4 }, async () => {
      for (let args = queue.shift(); args !== undefined; args = queue.shift()) await check(args);
    }));
  }, 300_000);
});

async function check(args: string[]): Promise<void> {
  const committed = join(root, args[args.indexOf('--pcap') + 1]);
  const fresh = join(dir, basename(committed));
  const rerun = args.map((a) => (a === args[args.indexOf('--pcap') + 1] ? fresh : a));
  await promisify(execFile)(process.execPath, [bin, ...rerun]);
  expect(readFileSync(fresh).equals(readFileSync(committed)), basename(committed)).toBe(true);
  expect(readFileSync(committed).length).toBeLessThan(200_000);
  const truth = committed.replace(/\.pcap$/, '.truth.ndjson');
  if (args.includes('--attack')) expect(readFileSync(fresh.replace(/\.pcap$/, '.truth.ndjson'), 'utf8')).toBe(readFileSync(truth, 'utf8'));
  else expect(existsSync(truth)).toBe(false);
}
