import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

/* The built CLI, run as a user would (npm test builds dist/ first). */
const root = join(import.meta.dirname, '../..');
const bin = join(root, 'bin/coapwatch.js');
const capture = (name: string) => join(root, 'captures/reference', name);

/** The `{"kind":"message"}` records of an NDJSON stream (endpoint state records are tested in store.test.ts). */
function messageRecords(stdout: string) {
  return stdout.trimEnd().split('\n').map((l) => JSON.parse(l)).filter((o) => o.kind === 'message');
}

function run(...args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('coapwatch analyze', () => {
  it('--format ndjson writes one message object per CoAP message, as the README documents', () => {
    const r = run('analyze', capture('wakaama-observe.pcap'), '--coap-port', '56830', '--format', 'ndjson');
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    const lines = messageRecords(r.stdout);
    expect(lines).toHaveLength(21);
    const first = lines[0];
    expect(Object.keys(first)).toEqual(['kind', 'frame', 'ts', 'src', 'dst', 'transport', 'coap', 'lwm2m', 'error']);
    expect(first).toMatchObject({ kind: 'message', frame: 1, src: '127.0.0.1:56830', dst: '127.0.0.1:5683', transport: 'udp', error: null });
    expect(first.coap).toMatchObject({ type: 'CON', code: '0.02', mid: 33694, token: '9e838cdd', uriPath: '/rd', contentFormat: 40, retransmission: false, responseTo: null });
    expect(first.coap.uriQuery).toContain('ep=meter-0002');
    expect(first.coap.options[0]).toEqual({ number: 11, name: 'Uri-Path', value: 'rd' });
    expect(first.lwm2m).toMatchObject({ operation: 'register', endpoint: 'meter-0002', path: null });
    expect(lines[1].coap).toMatchObject({ type: 'ACK', code: '2.01', responseTo: 1, locationPath: '/rd/0' });
    expect(lines[3].coap.block1).toBeNull();
    expect(String(first.ts)).toMatch(/^\d+\.\d{1,6}$/);
    const notify = lines[6];
    expect(notify.lwm2m.records).toEqual([{ path: '/3/0/9', name: 'Battery Level', type: 'integer', value: 55 }]);
  });

  it('block values are {num, more, size}', () => {
    const r = run('analyze', capture('wakaama-blockwise.pcap'), '--coap-port', '56830', '--format', 'ndjson');
    const lines = messageRecords(r.stdout);
    expect(lines[0].coap.block1).toEqual({ num: 0, more: true, size: 64 });
    expect(lines[4].coap.reassembled).toEqual({ blocks: 3, length: 140, firstFrame: 1 });
  });

  it('the default summary counts messages, operations, endpoints and formats', () => {
    const r = run('analyze', capture('wakaama-register-dm.pcap'), '--coap-port', '56830');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/CoAP messages\s+46/);
    expect(r.stdout).toMatch(/write-attributes\s+6/);
    expect(r.stdout).toMatch(/endpoints\s+1/);
    expect(r.stdout).toContain('meter-0001');
    expect(r.stdout).toContain('110 application/senml+json');
  });

  it('reads pcapng too', () => {
    const r = run('analyze', join(root, 'test/fixtures/capture/wakaama-observe.pcapng'), '--coap-port', '56830', '--format', 'ndjson');
    expect(r.code).toBe(0);
    expect(messageRecords(r.stdout)).toHaveLength(21);
  });

  it('without --coap-port the heuristic still finds CoAP on the client port, and --no-heuristic turns it off', () => {
    const withHeuristic = run('analyze', capture('wakaama-observe.pcap'), '--format', 'ndjson');
    expect(messageRecords(withHeuristic.stdout)).toHaveLength(21);
    // Port 5683 is on one side of every datagram, so nothing is lost either way here:
    const without = run('analyze', capture('wakaama-observe.pcap'), '--format', 'ndjson', '--no-heuristic');
    expect(messageRecords(without.stdout)).toHaveLength(21);
  });
});

describe('errors are one line and exit 1', () => {
  const dir = mkdtempSync(join(tmpdir(), 'coapwatch-cli-'));

  it('a missing file', () => {
    const r = run('analyze', join(dir, 'nope.pcap'));
    expect(r.code).toBe(1);
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/nope\.pcap: cannot open \(no such file\)/);
  });

  it('a file that is not a capture', () => {
    const f = join(dir, 'notes.txt');
    writeFileSync(f, 'Hello, this is not a capture file at all\n');
    const r = run('analyze', f);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/not a pcap or pcapng file/);
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
  });

  it('a bad flag value and an unknown flag', () => {
    const port = run('analyze', capture('wakaama-observe.pcap'), '--coap-port', '99999');
    expect(port.code).toBe(1);
    expect(port.stderr).toMatch(/"99999" is not a port number/);
    const format = run('analyze', capture('wakaama-observe.pcap'), '--format', 'xml');
    expect(format.code).toBe(1);
    expect(format.stderr).toMatch(/xml/);
    const unknown = run('analyze', capture('wakaama-observe.pcap'), '--frobnicate');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/unknown option '--frobnicate'/);
  });

  it('a truncated capture is read up to the damage, with a warning', () => {
    const f = join(dir, 'cut.pcap');
    const whole = readFileSync(capture('wakaama-observe.pcap'));
    writeFileSync(f, whole.subarray(0, whole.length - 10));
    const r = run('analyze', f, '--format', 'ndjson', '--coap-port', '56830');
    expect(r.code).toBe(0);
    expect(messageRecords(r.stdout)).toHaveLength(20);
    expect(r.stderr).toMatch(/warning: .*truncated/);
  });

  it('--help tells the options', () => {
    const r = run('analyze', '--help');
    expect(r.code).toBe(0);
    for (const opt of ['--format', '--coap-port', '--no-heuristic', '--no-progress']) expect(r.stdout).toContain(opt);
  });
});
