import Database from 'better-sqlite3';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withoutCi } from '../support/terminal.js';

/*
 * The dashboard in a real terminal: `coapwatch ui --db` runs inside a tmux pane of 100x30, keys
 * are sent with send-keys and the screen is read back with capture-pane. Screens are polled for
 * the text a step expects (never fixed sleeps).
 */
const root = join(import.meta.dirname, '../..');
const bin = join(root, 'bin/coapwatch.js');
// tmux on the PATH (CI installs it: .ci/run); looked up on disk, not by running it.
const onPath = (tool: string) => (process.env.PATH ?? '').split(delimiter).some((dir) => dir !== '' && existsSync(join(dir, tool)));
const hasTmux = onPath('tmux');
const hasTshark = onPath('tshark');
const FLEET = join(root, 'captures/generated/fleet-hour.pcap');
let session = `coapwatch-ui-${process.pid}-0`;
let sessions = 0;
const SPARK = /[▁▂▃▄▅▆▇█]{8,}/;

const tmux = (...args: string[]) => execFileSync('tmux', args, { encoding: 'utf8' });
const screen = () => tmux('capture-pane', '-p', '-t', session);
const keys = (...k: string[]) => tmux('send-keys', '-t', session, ...k);

/**
 * Runs `command` in a new 100x30 pane. The new session is made before the last one is killed:
 * killing the only session stops the tmux server, and a session made while it stops fails.
 */
function startPane(command: string): void {
  const previous = sessions > 0 ? session : null;
  session = `coapwatch-ui-${process.pid}-${++sessions}`;
  tmux('new-session', '-d', '-s', session, '-x', '100', '-y', '30', command);
  if (previous !== null) spawnSync('tmux', ['kill-session', '-t', previous]);
}

async function waitForScreen(test: (s: string) => boolean, what: string, timeoutMs = 5000): Promise<string> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const s = screen();
    if (test(s)) return s;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}; screen:\n${s}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
const waitFor = (text: string, timeoutMs?: number) => waitForScreen((s) => s.includes(text), JSON.stringify(text), timeoutMs);

let db: string;
/** The pcap the investigation path saved with s, and the event's frame in it. */
let saved: { file: string; frame: number } | null = null;
/** The frame of the e2e-rogue-update event: a message of meter-00004. */
let updateFrame: number;

/** One generated database for every test: the fleet hour with its messages, and two events. */
beforeAll(() => {
  db = join(mkdtempSync(join(tmpdir(), 'coapwatch-ui-e2e-')), 'fleet.db');
  const r = spawnSync(process.execPath, [bin, 'analyze', join(root, 'captures/generated/fleet-hour.pcap'), '--db', db, '--store-messages', '--no-progress'], { encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  // Events as the rules engine stores them, one with an attacker-chosen endpoint name.
  const w = new Database(db);
  const ins = w.prepare('INSERT INTO events (run_id, ts, rule, severity, endpoint, src, dst, frame, message, details) VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?, ?)');
  ins.run(1709276000, 'e2e-security-write', 'critical', 'meter-00004', '10.0.0.1:5683', '10.1.0.5:56830', 321, 'write to /0/0 outside bootstrap', '{"path":"/0/0"}');
  ins.run(1709276100, 'e2e-odd-name', 'medium', 'evil\x1b]0;pwned\x07name', null, null, 400, 'endpoint name with escapes', '{}');
  // An event raised by one of meter-00004's messages (the Update of its 11th exchange), the oldest of the three.
  const update = w.prepare("SELECT frame FROM messages WHERE endpoint = 'meter-00004' AND operation = 'update' ORDER BY frame LIMIT 1 OFFSET 10").get() as { frame: number };
  updateFrame = update.frame;
  ins.run(1709275000, 'e2e-rogue-update', 'high', 'meter-00004', '10.1.0.5:56830', '10.0.0.1:5683', updateFrame, 'update from an odd place', '{"seen":{"from":"10.1.0.5:56830","lifetime":300}}');
  w.close();
});

describe.skipIf(!hasTmux)('coapwatch ui --db in a terminal (tmux)', () => {
  beforeAll(() => {
    startPane(`${withoutCi} ${process.execPath} ${bin} ui --db ${db}; echo "EXITED $?"; sleep 30`);
  });

  afterAll(() => {
    if (hasTmux) spawnSync('tmux', ['kill-session', '-t', session]);
  });

  it('shows the overview, the endpoints, an endpoint with sparklines, its ladder, a dissection and the events', async () => {
    let s = await waitFor('Top talkers', 10_000);
    expect(s).toMatch(/Messages\s+662/);
    expect(s).toContain('registered 10');
    expect(s).toMatch(/critical 1/);

    keys('2');
    s = await waitFor('ENDPOINT');
    for (let i = 0; i < 10; i++) expect(s).toContain(`meter-0000${i}`);
    expect(s).toContain('registered');

    keys('/');
    await waitFor('filter:');
    keys('meter-00004', 'Enter');
    s = await waitFor('1/1');
    keys('Enter');
    s = await waitFor('Objects');
    expect(s).toContain('meter-00004  registered  10.1.0.5:56830');
    expect(s).toContain('Single-Phase Power Meter');
    const powerLine = s.split('\n').find((l) => l.includes('Active Power'));
    expect(powerLine).toMatch(SPARK);

    keys('f');
    s = await waitFor('Message flow');
    expect(s).toContain('10.0.0.1:5683');
    expect(s).toMatch(/│─+ POST update \/rd\/5 ─+►│/);
    expect(s).toMatch(/│◄─+ 2\.04 update ─+│/);

    keys('Enter');
    s = await waitFor('Frame ');
    expect(s).toContain('Options');

    keys('Escape');
    await waitFor('Message flow');
    keys('5');
    s = await waitFor('e2e-security-write');
    expect(s).toContain('critical');
    expect(s).toContain('#321');
    expect(s).toContain('evil\uFFFD]0;pwned');
    const lines = s.split('\n');
    expect(lines.findIndex((l) => l.includes('e2e-odd-name'))).toBeLessThan(lines.findIndex((l) => l.includes('e2e-security-write')));

    keys('j', 'd');
    s = await waitFor('Evidence');
    expect(s).toContain('frame       321');
    expect(s).toContain('path: /0/0');
    expect(s).toContain('tshark -r');

    keys('q');
    await waitFor('EXITED 0');
  }, 30_000);

  it('from an event to its messages: Enter opens the flow with the event\'s frame selected and marked; g goes to a frame, / searches, Esc goes back', async () => {
    startPane(`${withoutCi} ${process.execPath} ${bin} ui --db ${db}; echo "EXITED $?"; sleep 30`);
    await waitFor('Top talkers', 10_000);
    keys('5');
    let s = await waitFor('e2e-rogue-update');
    // Newest first: the rogue update is the third event.
    keys('j', 'j', 'Enter');
    s = await waitFor(`▶ event frame #${updateFrame}`);
    expect(s).toContain('Message flow meter-00004');
    expect(s).toContain('FRAME');
    const marked = s.split('\n').filter((l) => l.startsWith('▶'));
    expect(marked).toHaveLength(1);
    expect(marked[0]).toMatch(new RegExp(`^▶#${updateFrame} .*│─+ POST update /rd/5 ─+►│`));
    // Its answer is the next row.
    const rows = s.split('\n');
    expect(rows[rows.indexOf(marked[0]) + 1]).toMatch(/│◄─+ 2\.04 update ─+│/);
    // The marked row is the selected one: Enter dissects it.
    keys('Enter');
    s = await waitFor('Frame ');
    expect(s).toContain(`Frame ${updateFrame}`);
    // Esc and g sent apart: together they would be Alt-g.
    keys('Escape');
    await waitFor('Message flow');
    keys('g');
    await waitFor('go to frame:');
    keys('4', 'Enter');
    await waitFor('frame 4 is not in this flow');
    // From the top of the flow back to the event's frame.
    keys('Home', 'g');
    await waitFor('go to frame:');
    keys(String(updateFrame), 'Enter');
    await waitFor('g frame');
    keys('Enter');
    s = await waitFor('Frame ');
    expect(s).toContain(`Frame ${updateFrame} `);
    keys('Escape');
    await waitFor('Message flow');
    keys('/');
    await waitFor('search:');
    keys('deregister', 'Enter');
    await waitFor('no older message matches "deregister"');
    keys('Escape');
    await waitFor('newest first');
    keys('q');
    await waitFor('EXITED 0');
  }, 30_000);

  it('ui --event opens on the event\'s messages; an event of no endpoint shows every message around its frame', async () => {
    startPane(`${withoutCi} ${process.execPath} ${bin} ui --db ${db} --event 2; echo "EXITED $?"; sleep 30`);
    // Event 2 names an endpoint the run does not have: every message, frame 400 marked.
    const s = await waitFor('▶ event frame #400', 10_000);
    expect(s).toContain('Every message of the run');
    expect(s.split('\n').filter((l) => l.startsWith('▶#400 '))).toHaveLength(1);
    keys('q');
    await waitFor('EXITED 0');
  }, 30_000);

  it('the investigation path without --store-messages: event → its message → detail with hex → s saves a pcap that tshark reads', async () => {
    // A database as analyze --db leaves it by default (the message index, no stored messages) and one event on an Update.
    const dir = mkdtempSync(join(tmpdir(), 'coapwatch-ui-save-'));
    const indexDb = join(dir, 'index.db');
    const r = spawnSync(process.execPath, [bin, 'analyze', FLEET, '--db', indexDb, '--no-progress'], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const w = new Database(indexDb);
    const frame = (w.prepare(`SELECT m.frame FROM message_index m JOIN index_strings e ON e.id = m.endpoint JOIN index_strings o ON o.id = m.operation
      WHERE e.text = 'meter-00004' AND o.text = 'update' AND m.role = 0 ORDER BY m.frame LIMIT 1 OFFSET 5`).get() as { frame: number }).frame;
    w.prepare(`INSERT INTO events (run_id, ts, rule, severity, endpoint, src, dst, frame, message, details)
      VALUES (1, 1709275000, 'e2e-rogue-update', 'high', 'meter-00004', '10.1.0.5:56830', '10.0.0.1:5683', ?, 'update from an odd place', '{}')`).run(frame);
    w.close();

    startPane(`cd ${dir} && ${withoutCi} ${process.execPath} ${bin} ui --db ${indexDb}; echo "EXITED $?"; sleep 30`);
    await waitFor('registered 10', 10_000);
    keys('5');
    await waitFor('e2e-rogue-update');
    keys('Enter');
    let s = await waitFor(`▶ event frame #${frame}`);
    expect(s).toContain('Message flow meter-00004');
    expect(s.split('\n').filter((l) => l.startsWith(`▶#${frame} `))).toHaveLength(1);
    // The marked message's detail: read again from the capture, with its answer and its bytes.
    keys('Enter');
    s = await waitFor('Bytes (');
    expect(s).toContain(`Frame ${frame} `);
    expect(s).toMatch(/response in #\d+ \(2\.04\)/);
    expect(s).toContain('update  endpoint meter-00004');
    expect(s).toMatch(/^  0000  [0-9a-f]{2}( [0-9a-f]{2}){15}  /m);
    keys('Escape');
    await waitFor('Message flow');
    keys('s');
    s = await waitFor('save to pcap:');
    const name = /save to pcap: (coapwatch-1-\d+-\d+\.pcap)/.exec(s)![1];
    keys('Enter');
    // The status line names the file written (cut to the terminal's width when its path is long).
    s = await waitFor(' frames (#');
    expect(s).toMatch(/wrote \d+ frames \(#\d+-#\d+\) to \//);
    expect(existsSync(join(dir, name))).toBe(true);
    keys('q');
    await waitFor('EXITED 0');
    saved = { file: join(dir, name), frame };
  }, 40_000);

  it.skipIf(!hasTshark)('tshark -r on the saved file finds the event\'s frame by its original time stamp and bytes (skipped when tshark is not on the PATH)', () => {
    expect(saved, 'the test before saved a file').not.toBeNull();
    const { file, frame } = saved!;
    const packets = (file: string, filter?: string) => (JSON.parse(execFileSync('tshark', ['-r', file, ...(filter ? ['-Y', filter] : []), '-T', 'json', '-x'], { encoding: 'utf8', maxBuffer: 1 << 26 })) as Array<{
      _source: { layers: { frame: Record<string, string>; frame_raw: [string] } };
    }>).map((p) => ({ time: p._source.layers.frame['frame.time_epoch'], bytes: p._source.layers.frame_raw[0] }));
    const [original] = packets(FLEET, `frame.number == ${frame}`);
    const written = packets(file);
    expect(written.length).toBeGreaterThan(10);
    // The event's frame, by its original time stamp and bytes.
    expect(written.filter((p) => p.time === original.time && p.bytes === original.bytes)).toHaveLength(1);
  });

  it('analyze --ui draws the same dashboard while the file is read, open until q, then the summary', async () => {
    const fleet = join(root, 'captures/generated/fleet-hour.pcap');
    startPane(`${withoutCi} ${process.execPath} ${bin} analyze ${fleet} --ui; echo "EXITED $?"; sleep 30`);
    let s = await waitForScreen((t) => /Messages\s+662/.test(t) && !/Source.*● live/.test(t), 'the whole file', 10_000);
    expect(s).toContain('registered 10');
    // The file is read: the tab bar does not say live any more either, and the packets are counted.
    expect(s).not.toContain('● live');
    expect(s).toMatch(/Packets\s+662/);
    keys('2');
    s = await waitFor('ENDPOINT');
    expect(s).toContain('meter-00009');
    keys('Enter');
    s = await waitFor('Objects');
    expect(s.split('\n').some((l) => l.includes('Active Power') && SPARK.test(l)) || s.includes('/3305')).toBe(true);
    keys('q');
    s = await waitFor('EXITED 0');
    expect(s).toContain('Endpoints');
  }, 30_000);
});

describe('coapwatch ui and analyze --ui without a terminal', () => {
  it('ui prints a plain overview and says why', () => {
    const r = spawnSync(process.execPath, [bin, 'ui', '--db', db], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stderr).toContain('stdout is not a terminal: printing a plain overview');
    expect(r.stdout).toContain('Top talkers');
    expect(r.stdout).toContain('meter-00003');
    expect(r.stdout).not.toContain('\x1b');
    const missing = spawnSync(process.execPath, [bin, 'ui', '--db', join(tmpdir(), 'no-such-coapwatch.db')], { encoding: 'utf8' });
    expect(missing.status).toBe(1);
    expect(missing.stderr.trim().split('\n'), missing.stderr).toEqual([expect.stringContaining('no such file')]);
  });

  it('ui --event prints the event and the messages around its frame; an unknown event or endpoint is one line and status 1', () => {
    const r = spawnSync(process.execPath, [bin, 'ui', '--db', db, '--event', '3'], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('e2e-rogue-update');
    expect(r.stdout).toContain('    from: 10.1.0.5:56830');
    expect(r.stdout).toContain('Message flow meter-00004');
    expect(r.stdout.split('\n').filter((l) => l.startsWith(`▶#${updateFrame} `))).toHaveLength(1);
    for (const [flag, value, says] of [['--event', '99', 'has no event 99'], ['--endpoint', 'nobody', 'has no endpoint nobody']]) {
      const bad = spawnSync(process.execPath, [bin, 'ui', '--db', db, flag, value], { encoding: 'utf8' });
      expect(bad.status, flag).toBe(1);
      expect(bad.stderr.trim().split('\n'), bad.stderr).toEqual([expect.stringContaining(says)]);
    }
    const notId = spawnSync(process.execPath, [bin, 'ui', '--db', db, '--event', 'x'], { encoding: 'utf8' });
    expect(notId.status).toBe(1);
    expect(notId.stderr).toContain('"x" is not an event id');
  });

  it('ui --event of an event without endpoint, on a database without --store-messages: the messages around its frame, from the message index', () => {
    const indexDb = join(mkdtempSync(join(tmpdir(), 'coapwatch-ui-index-')), 'index.db');
    const r = spawnSync(process.execPath, [bin, 'analyze', FLEET, '--db', indexDb, '--no-progress'], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const w = new Database(indexDb);
    const id = Number(w.prepare(`INSERT INTO events (run_id, ts, rule, severity, endpoint, src, dst, frame, message, details)
      VALUES (1, 1709276100, 'malformed-coap', 'medium', NULL, '10.9.9.9:5683', '10.0.0.1:5683', 400, 'not CoAP', '{}')`).run().lastInsertRowid);
    w.close();
    const out = spawnSync(process.execPath, [bin, 'ui', '--db', indexDb, '--event', String(id)], { encoding: 'utf8' });
    expect(out.status, out.stderr).toBe(0);
    expect(out.stdout).toContain('Every message of the run');
    expect(out.stdout.split('\n').filter((l) => l.startsWith('▶#400 '))).toHaveLength(1);
    expect(out.stdout).not.toContain('--store-messages');
  });

  it('analyze --ui prints the summary instead, and refuses --format ndjson', () => {
    const fleet = join(root, 'captures/generated/fleet-hour.pcap');
    const r = spawnSync(process.execPath, [bin, 'analyze', fleet, '--ui'], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stderr).toContain('stdout is not a terminal');
    expect(r.stdout).toContain('meter-00009');
    const n = spawnSync(process.execPath, [bin, 'analyze', fleet, '--ui', '--format', 'ndjson'], { encoding: 'utf8' });
    expect(n.status).toBe(1);
    expect(n.stderr).toContain('--ui');
  });
});
