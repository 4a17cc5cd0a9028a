import Database from 'better-sqlite3';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

/* The built CLI with --psk / --psk-file on the DTLS reference capture (npm test builds dist/ first). */
const root = join(import.meta.dirname, '../..');
const bin = join(root, 'bin/coapwatch.js');
const pcap = join(root, 'captures/reference/libcoap-dtls-psk.pcap');
const dir = mkdtempSync(join(tmpdir(), 'coapwatch-e2e-dtls-'));
const KEY = '736573616d65';

function run(...args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
const ndjson = (stdout: string) => stdout.trimEnd().split('\n').filter(Boolean).map((l) => JSON.parse(l));

describe('analyze --psk', () => {
  it('--format ndjson: dtls records for every session change, and the decrypted CoAP as transport "dtls"', () => {
    const r = run('analyze', pcap, '--psk', `wk-dtls-ep:${KEY}`, '--format', 'ndjson', '--no-progress');
    expect(r.code).toBe(0);
    const lines = ndjson(r.stdout);
    const dtls = lines.filter((l) => l.kind === 'dtls');
    expect(dtls.map((l) => [l.session, l.change])).toEqual([
      [1, 'client-hello'], [1, 'server-hello'], [1, 'established'], [1, 'alert'], [1, 'closed'], [1, 'alert'],
      [2, 'client-hello'], [2, 'server-hello'], [2, 'handshake-failed'],
      [3, 'client-hello'], [3, 'server-hello'], [3, 'established'], [3, 'endpoint'], [3, 'alert'], [3, 'closed'],
    ]);
    const established = dtls.find((l) => l.session === 3 && l.change === 'established');
    expect(established).toMatchObject({
      kind: 'dtls', frame: 35, client: '127.0.0.1:56830', server: '127.0.0.1:5784', version: 'DTLS 1.2', state: 'established',
      cipherSuite: 'TLS_PSK_WITH_AES_128_CCM_8', cipherSuiteId: 0xc0a8, weakSuite: false, cbcSuite: false,
      offeredSuites: ['TLS_PSK_WITH_AES_128_CCM_8', 'TLS_PSK_WITH_AES_128_CCM', 'TLS_EMPTY_RENEGOTIATION_INFO_SCSV'],
      pskIdentity: 'wk-dtls-ep', pskIdentityHint: 'wk-dtls-ep', decryption: 'ok', handshakeSeen: true,
    });
    expect(dtls.at(-1)).toMatchObject({ endpoint: 'wk-dtls-ep', state: 'closed', alerts: [{ frame: 38, level: 'warning', description: 'close_notify' }] });
    const messages = lines.filter((l) => l.kind === 'message');
    expect(messages.map((m) => [m.frame, m.transport, m.coap.code, m.lwm2m.operation, m.lwm2m.endpoint])).toEqual([
      [36, 'dtls', '0.02', 'register', 'wk-dtls-ep'], [37, 'dtls', '4.04', 'register', 'wk-dtls-ep'],
    ]);
    // Every line in frame order (a record about an endpoint follows the message that caused it).
    const frames = lines.map((l) => l.frame).filter((f) => f !== null);
    expect(frames).toEqual([...frames].sort((a, b) => a - b));
    expect(r.stdout + r.stderr).not.toContain(KEY);
  });

  it('without a key the records still show, and no CoAP comes out of them', () => {
    const lines = ndjson(run('analyze', pcap, '--format', 'ndjson').stdout);
    expect(lines.filter((l) => l.kind === 'message')).toHaveLength(0);
    expect(lines.filter((l) => l.kind === 'dtls' && l.change === 'established').map((l) => [l.session, l.decryption])).toEqual([[1, null], [3, null]]);
  });

  it('the summary has a DTLS sessions line', () => {
    const r = run('analyze', pcap, '--psk', `wk-dtls-ep:${KEY}`, '--no-progress');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/DTLS records\s+51/);
    expect(r.stdout).toMatch(/DTLS sessions\s+3 \(2 established, 1 failed, 2 records decrypted\); suites: TLS_ECDHE_PSK_WITH_CHACHA20_POLY1305_SHA256 2, TLS_PSK_WITH_AES_128_CCM_8 1/);
  });

  it('--psk-file, with comments; an identity containing ":" splits on the last one', () => {
    const file = join(dir, 'keys.txt');
    // identity "urn:imei:4711", key 0011
    writeFileSync(file, `# LwM2M PSKs\n\nurn:imei:4711:0011\nwk-dtls-ep:${KEY}\n`);
    const r = run('analyze', pcap, '--psk-file', file, '--format', 'ndjson');
    expect(r.code).toBe(0);
    expect(ndjson(r.stdout).filter((l) => l.kind === 'message')).toHaveLength(2);
  });

  it('a wrong key: a per-session decryption-failed record, no messages', () => {
    const lines = ndjson(run('analyze', pcap, '--psk', 'wk-dtls-ep:00112233', '--format', 'ndjson').stdout);
    expect(lines.filter((l) => l.kind === 'message')).toHaveLength(0);
    const failed = lines.filter((l) => l.change === 'decryption-failed');
    expect(failed).toHaveLength(1);
    expect(failed[0]).toMatchObject({ session: 3, frame: 34, decryption: 'failed' });
  });

  it('bad values: one message naming the problem, exit 1, the key never echoed', () => {
    for (const [value, problem] of [
      ['no-colon-here', /expected IDENTITY:HEXKEY/],
      ['meter:notakey99', /key for PSK identity "meter" is not hex/],
      ['meter:abc', /odd number of hex digits/],
      [':abcd', /empty PSK identity/],
      ['meter:', /no key after ":"/],
    ] as const) {
      const r = run('analyze', pcap, '--psk', value);
      expect(r.code, value).toBe(1);
      expect(r.stderr, value).toMatch(problem);
      expect(r.stderr.split('\n')[0], value).toMatch(/^error: option '--psk/);
      if (value.includes(':') && value.split(':')[1].length > 0) expect(r.stderr).not.toContain(value.split(':').pop());
    }
    const missing = run('analyze', pcap, '--psk-file', join(dir, 'none.txt'));
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/cannot read .*none\.txt/);
    const bad = join(dir, 'bad.txt');
    writeFileSync(bad, '# ok\nmeter:zz\n');
    const r = run('analyze', pcap, '--psk-file', bad);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/bad\.txt: line 2: key for PSK identity "meter" is not hex/);
  });

  it('--help tells the flags', () => {
    const r = run('analyze', '--help');
    for (const opt of ['--psk <identity:hexkey>', '--psk-file <file>', '{"kind":"dtls",...}']) expect(r.stdout).toContain(opt);
  });

  it('--db: one dtls_sessions row per session', () => {
    const db = join(dir, 'dtls.db');
    expect(run('analyze', pcap, '--psk', `wk-dtls-ep:${KEY}`, '--db', db).code).toBe(0);
    const conn = new Database(db, { readonly: true });
    const rows = conn.prepare('SELECT * FROM dtls_sessions ORDER BY id').all() as Array<Record<string, unknown>>;
    conn.close();
    expect(rows.map((r) => [r.id, r.client, r.server, r.endpoint, r.version, r.state, r.cipher_suite, r.psk_identity, r.decryption, r.records])).toEqual([
      [1, '127.0.0.1:40855', '127.0.0.1:5684', null, 'DTLS 1.2', 'closed', 'TLS_ECDHE_PSK_WITH_CHACHA20_POLY1305_SHA256', 'meter-psk-1', null, 16],
      [2, '127.0.0.1:37638', '127.0.0.1:5684', null, 'DTLS 1.2', 'failed', 'TLS_ECDHE_PSK_WITH_CHACHA20_POLY1305_SHA256', 'meter-psk-1', null, 21],
      [3, '127.0.0.1:56830', '127.0.0.1:5784', 'wk-dtls-ep', 'DTLS 1.2', 'closed', 'TLS_PSK_WITH_AES_128_CCM_8', 'wk-dtls-ep', 'ok', 14],
    ]);
    expect(JSON.parse(rows[2].offered_suites as string)).toHaveLength(3);
    expect(JSON.parse(rows[2].alerts as string)).toMatchObject([{ frame: 38, level: 'warning', description: 'close_notify' }]);
    expect(rows[0].sni).toBe('127.0.0.1');
    expect(rows[2].app_data_bytes).toBe(240);
  });
});
