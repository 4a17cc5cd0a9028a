import Database from 'better-sqlite3';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

/* SIGINT/SIGTERM stop `analyze` in every mode: what was read is kept and the run is marked interrupted. */
const root = join(import.meta.dirname, '../..');
const bin = join(root, 'bin/coapwatch.js');
const dir = mkdtempSync(join(tmpdir(), 'coapwatch-e2e-interrupt-'));
const big = join(dir, 'big.pcap');
const COPIES = 400;
let totalPackets = 0;

/** The bundled fleet hour's records, COPIES times over: long enough to still be reading when signalled. */
beforeAll(() => {
  const fleet = readFileSync(join(root, 'captures/generated/fleet-hour.pcap'));
  const header = fleet.subarray(0, 24);
  const records = fleet.subarray(24);
  let perCopy = 0;
  for (let pos = 0; pos < records.length; pos += 16 + records.readUInt32LE(pos + 8)) perCopy++;
  totalPackets = perCopy * COPIES;
  writeFileSync(big, Buffer.concat([header, ...Array.from({ length: COPIES }, () => records)]));
});

interface Stopped {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Whether process `pid` has the capture open (it is reading it). */
function readingCapture(pid: number): boolean {
  try {
    return readdirSync(`/proc/${pid}/fd`).some((fd) => {
      try {
        return readlinkSync(`/proc/${pid}/fd/${fd}`) === big;
      } catch {
        return false;
      }
    });
  } catch {
    return false;
  }
}

/**
 * Runs analyze and sends `signal` once it has written its first output (`when` 'output'), or
 * once it has the capture open ('reading': the signal handlers are in place by then).
 */
function analyzeAndSignal(signal: NodeJS.Signals, args: string[], when: 'output' | 'reading'): Promise<Stopped> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, 'analyze', big, '--no-progress', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let sent = false;
    const send = () => {
      if (!sent) {
        sent = true;
        child.kill(signal);
      }
    };
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      if (when === 'output') send();
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const poll = setInterval(() => {
      if (when === 'reading' && !sent && child.pid !== undefined && readingCapture(child.pid)) send();
    }, 10);
    child.on('exit', () => clearInterval(poll));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('analyze stopped by a signal', () => {
  it('--format ndjson: SIGTERM stops reading; every line written is whole; exit status 143', async () => {
    const r = await analyzeAndSignal('SIGTERM', ['--format', 'ndjson'], 'output');
    expect(r.code).toBe(143);
    const m = /SIGTERM: stopped after (\d+) packets/.exec(r.stderr);
    expect(m).not.toBeNull();
    expect(Number(m![1])).toBeLessThan(totalPackets);
    expect(r.stdout.endsWith('\n')).toBe(true);
    for (const line of r.stdout.trimEnd().split('\n')) expect(() => JSON.parse(line)).not.toThrow();
  });

  it('--db: SIGINT commits what was read and marks the run interrupted; exit status 130', async () => {
    const db = join(dir, 'interrupted.db');
    const r = await analyzeAndSignal('SIGINT', ['--db', db], 'reading');
    expect(r.code).toBe(130);
    expect(r.stderr).toContain('the database run is marked interrupted');
    const row = new Database(db, { readonly: true }).prepare('SELECT packets, messages, finished_at, interrupted_by FROM runs').get() as {
      packets: number; messages: number; finished_at: number | null; interrupted_by: string | null;
    };
    expect(row.interrupted_by).toBe('SIGINT');
    expect(row.finished_at).not.toBeNull();
    expect(row.packets).toBeGreaterThanOrEqual(0);
    expect(row.packets).toBeLessThan(totalPackets);
    expect(row.messages).toBe(row.packets);
  });

  it('--db: a second SIGINT while the last batches are written: status 130, and a consistent database', async () => {
    const db = join(dir, 'twice.db');
    const child = spawn(process.execPath, [bin, 'analyze', big, '--no-progress', '--db', db], { stdio: ['ignore', 'ignore', 'pipe'] });
    let signalled = false;
    // The first SIGINT once the first batch is committed; the second as soon as the first is taken.
    const poll = setInterval(() => {
      if (signalled || !existsSync(db)) return;
      try {
        const messages = (new Database(db, { readonly: true }).prepare('SELECT messages FROM runs').get() as { messages: number } | undefined)?.messages ?? 0;
        if (messages === 0) return;
      } catch {
        return;
      }
      signalled = true;
      child.kill('SIGINT');
      setTimeout(() => child.kill('SIGINT'), 20);
    }, 20);
    const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
    clearInterval(poll);
    expect(signalled).toBe(true);
    expect(code).toBe(130);
    const check = new Database(db, { readonly: true });
    expect(check.prepare('PRAGMA integrity_check').pluck().get()).toBe('ok');
    // Either the final batch was in before the second signal (the run is marked), or the run is as of an earlier commit.
    const row = check.prepare('SELECT messages, interrupted_by FROM runs').get() as { messages: number; interrupted_by: string | null };
    expect(row.messages).toBeGreaterThan(0);
    expect(row.messages).toBe(check.prepare('SELECT count(*) FROM message_index').pluck().get());
    expect([null, 'SIGINT']).toContain(row.interrupted_by);
  });

  it('--db: kill -9 after a commit leaves a consistent snapshot: the run counts exactly the messages its tables hold', async () => {
    const db = join(dir, 'killed.db');
    const child = spawn(process.execPath, [bin, 'analyze', big, '--no-progress', '--db', db], { stdio: 'ignore' });
    const exited = new Promise((resolve) => child.on('exit', resolve));
    // Killed as soon as a batch is committed, while the next ones are gathered and written.
    for (;;) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      if (child.exitCode !== null) throw new Error('analyze ended before it was killed');
      if (!existsSync(db)) continue;
      const probe = new Database(db, { readonly: true });
      try {
        const row = probe.prepare('SELECT messages FROM runs').get() as { messages: number } | undefined;
        if (row !== undefined && row.messages > 0) break;
      } catch {
        // the schema being created
      } finally {
        probe.close();
      }
    }
    child.kill('SIGKILL');
    await exited;
    const after = new Database(db, { readonly: true });
    expect(after.pragma('integrity_check', { simple: true })).toBe('ok');
    const run = after.prepare('SELECT id, messages, finished_at FROM runs').get() as { id: number; messages: number; finished_at: number | null };
    expect(run.finished_at).toBeNull();
    expect(run.messages % 100_000).toBe(0);
    expect(after.prepare('SELECT COUNT(*) FROM message_index WHERE run_id = ?').pluck().get(run.id)).toBe(run.messages);
    after.close();
  });

  it('summary: SIGINT prints the summary of what was read', async () => {
    const r = await analyzeAndSignal('SIGINT', [], 'reading');
    expect(r.code).toBe(130);
    expect(r.stdout).toMatch(/packets read before SIGINT\)/);
  });
});
