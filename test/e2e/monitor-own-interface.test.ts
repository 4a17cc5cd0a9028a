import Database from 'better-sqlite3';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { hasLibpcap, isRoot, reapOnExit, rootReason } from '../support/live.js';

/*
 * monitor on interfaces of the tests' own (ifb) that nothing else touches: `--promisc` (the
 * default) and `--no-promisc`, checked on the interface itself while monitor captures
 * (promiscuity is a count the kernel keeps per interface, and other tests capture on lo at the
 * same time), and an interface that goes away while monitor captures on it. Needs libpcap
 * (through koffi), root, and ifb interfaces; tests that need what is missing are skipped, with
 * the reason in their name.
 */
const root = join(import.meta.dirname, '../..');
const bin = join(root, 'bin/coapwatch.js');
const dir = mkdtempSync(join(tmpdir(), 'coapwatch-e2e-own-interface-'));

/** A private interface, or why there is none. */
function makeInterface(prefix: string): { name: string } | { reason: string } {
  if (!hasLibpcap || !isRoot) return { reason: rootReason };
  const name = `${prefix}${process.pid % 100_000}`;
  for (const args of [['link', 'add', name, 'type', 'ifb'], ['link', 'set', name, 'up']]) {
    const r = spawnSync('ip', args, { encoding: 'utf8' });
    if (r.status !== 0) {
      spawnSync('ip', ['link', 'del', name]);
      return { reason: ` (skipped: cannot make an interface of its own: ip ${args.join(' ')}: ${(r.stderr || r.error?.message || '').trim()})` };
    }
  }
  return { name };
}
const own = makeInterface('cwprom');
const iface = 'name' in own ? own.name : '';
const ifaceReason = 'reason' in own ? own.reason : '';
const doomed = makeInterface('cwgone');
afterAll(() => {
  for (const made of [own, doomed]) if ('name' in made) spawnSync('ip', ['link', 'del', made.name]);
});

/** IFF_PROMISC of the interface's flags, and the kernel's promiscuity count. */
function promiscuity(name: string): { flag: boolean; count: number } {
  const flags = Number(readFileSync(`/sys/class/net/${name}/flags`, 'latin1'));
  const count = /promiscuity (\d+)/.exec(spawnSync('ip', ['-d', 'link', 'show', name], { encoding: 'utf8' }).stdout)?.[1];
  return { flag: (flags & 0x100) !== 0, count: Number(count) };
}

interface Captured {
  /** The interface's promiscuity while monitor captured (null for "any"). */
  seen: { flag: boolean; count: number } | null;
  code: number | null;
  stderr: string;
}

/** Runs monitor on `name`; once it says it is capturing, reads the interface's promiscuity, then stops it with SIGINT. */
function whileCapturing(name: string, args: string[]): Promise<Captured> {
  const db = join(dir, `${name}-${process.hrtime.bigint()}.db`);
  const child = reapOnExit(spawn(process.execPath, [bin, 'monitor', '-i', name, ...args, '--db', db], { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] }));
  let stderr = '';
  let seen: Captured['seen'] | undefined;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`monitor did not start: ${stderr}`)), 15_000);
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
      if (seen === undefined && /capturing on/.test(stderr)) {
        clearTimeout(timer);
        seen = name === 'any' ? null : promiscuity(name);
        child.kill('SIGINT');
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      if (seen === undefined) reject(new Error(`monitor exited: ${stderr}`));
      else resolve({ seen, code, stderr });
    });
  });
}

describe('coapwatch monitor --promisc / --no-promisc', () => {
  it.skipIf(!iface)(`by default (and with --promisc) the interface is promiscuous while capturing, and not after${ifaceReason}`, async () => {
    expect(promiscuity(iface)).toEqual({ flag: false, count: 0 });
    for (const args of [[], ['--promisc']]) {
      const r = await whileCapturing(iface, args);
      expect(r.code).toBe(0);
      expect(r.seen).toEqual({ flag: true, count: 1 });
      expect(r.stderr).toMatch(/^coapwatch: capturing on cwprom\d+ \(EN10MB, promiscuous\), /m);
      expect(promiscuity(iface)).toEqual({ flag: false, count: 0 });
    }
  });

  it.skipIf(!iface)(`--no-promisc: the interface is not promiscuous while capturing${ifaceReason}`, async () => {
    const r = await whileCapturing(iface, ['--no-promisc']);
    expect(r.code).toBe(0);
    expect(r.seen).toEqual({ flag: false, count: 0 });
    expect(r.stderr).toMatch(/^coapwatch: capturing on cwprom\d+ \(EN10MB, not promiscuous\), /m);
    // The kernel's drop counter is read all the same (pcap_stats).
    expect(r.stderr.trimEnd().split('\n').at(-1)).toMatch(/^coapwatch: \d+ received, \d+ dropped \(kernel\), /);
  });

  it.skipIf(!hasLibpcap || !isRoot)(`-i any --no-promisc: libpcap sets no promiscuous mode on "any"${rootReason}`, async () => {
    const r = await whileCapturing('any', ['--no-promisc', '--filter', 'udp port 9']);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/^coapwatch: capturing on any \(LINUX_SLL, not promiscuous\), /);
  });
});

describe('coapwatch monitor on an interface that goes away', () => {
  it.skipIf(!('name' in doomed))(`libpcap's one line, the run committed, exit 1${'reason' in doomed ? doomed.reason : ''}`, async () => {
    const name = 'name' in doomed ? doomed.name : '';
    const db = join(dir, 'gone.db');
    const child = reapOnExit(spawn(process.execPath, [bin, 'monitor', '-i', name, '--db', db], { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] }));
    let stderr = '';
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    await new Promise<void>((resolve) => child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
      if (/capturing on/.test(stderr)) resolve();
    }));
    spawnSync('ip', ['link', 'del', name]);
    expect(await exited).toBe(1);
    expect(stderr).toContain(`coapwatch: capture on "${name}" ended: The interface disappeared\n`);
    const d = new Database(db, { readonly: true });
    expect(d.prepare('SELECT interface FROM runs').all()).toEqual([{ interface: name }]);
    d.close();
  }, 30_000);
});
