import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const bin = join(import.meta.dirname, '../../bin/coapwatch.js');
const dir = mkdtempSync(join(tmpdir(), 'coapwatch-e2e-generate-live-'));

function generate(...args: string[]) {
  return spawnSync(process.execPath, [bin, 'generate', ...args], { encoding: 'utf8', cwd: dir, timeout: 30_000 });
}

describe('coapwatch generate --live', () => {
  it('plays what --pcap writes, bootstrap, queue mode, Send and attacks included, each datagram received by its socket', () => {
    const port = 40_000 + Math.floor(Math.random() * 20_000);
    const shape = ['--meters', '12', '--households', '2', '--duration', '1200', '--bootstrap', '--queue-mode', '--attack', 'foreign-deregistration,registration-flood,silent-meter'];
    const live = generate('--live', ...shape, '--speed', '1200', '--server', `127.0.0.1:${port}`, '--truth', join(dir, 'live.truth.ndjson'));
    expect(live.stderr).toBe('');
    expect(live.status).toBe(0);
    const pcap = generate('--pcap', join(dir, 'same.pcap'), ...shape, '--server', `127.0.0.1:${port}`);
    expect(pcap.status).toBe(0);
    const sent = JSON.parse(live.stdout);
    const written = JSON.parse(pcap.stdout);
    // The same messages, by operation, in the same number; every one reached the socket it was sent to.
    expect(sent).toMatchObject({ server: `127.0.0.1:${port}`, packets: written.packets, received: written.packets, operations: written.operations, injected: written.injected });
    expect(sent.operations).toMatchObject({ 'bootstrap-request': 12, register: expect.any(Number), send: expect.any(Number) });

    // The truth: the pcap's labels, numbered in the order sent, at wall-clock times.
    const lines = (f: string) => readFileSync(f, 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l) as { frame: number | null; time: number; attack: string; endpoint: string });
    const liveTruth = lines(join(dir, 'live.truth.ndjson'));
    const pcapTruth = lines(join(dir, 'same.truth.ndjson'));
    expect(liveTruth.map((t) => [t.frame, t.attack, t.endpoint])).toEqual(pcapTruth.map((t) => [t.frame, t.attack, t.endpoint]));
    const now = Date.now() / 1000;
    expect(liveTruth.every((t) => t.time > now - 60 && t.time <= now)).toBe(true);
  });

  it('keeps up with a fleet\'s boot: 500 meters registering within a second, every datagram received', () => {
    const port = 40_000 + Math.floor(Math.random() * 20_000);
    const r = generate('--live', '--meters', '500', '--households', '1', '--duration', '60', '--speed', '60', '--server', `127.0.0.1:${port}`);
    expect(r.status).toBe(0);
    const sent = JSON.parse(r.stdout);
    expect(sent.operations.register).toBe(500);
    expect(sent.received).toBe(sent.packets);
  });

  it('stays on loopback, off the fleet\'s own addresses, and says why in one line', () => {
    const outside = generate('--live', '--server', '10.0.0.1:5683');
    expect(outside.status).toBe(1);
    expect(outside.stderr).toMatch(/^coapwatch: generate: --live stays on loopback.*\n$/);
    const meters = generate('--live', '--server', '127.1.0.1:5683');
    expect(meters.status).toBe(1);
    expect(meters.stderr).toBe('coapwatch: generate: --server 127.1.0.1 is among the meters\' addresses on loopback; use another, e.g. 127.0.0.1\n');
    const truth = generate('--pcap', join(dir, 'x.pcap'), '--truth', 'x');
    expect(truth.status).toBe(1);
  });

  it('a port in use: one line, exit 1', async () => {
    const { createSocket } = await import('node:dgram');
    const taken = createSocket('udp4');
    await new Promise<void>((resolve) => taken.bind(0, '127.0.0.1', resolve));
    try {
      const r = generate('--live', '--meters', '1', '--duration', '10', '--speed', '100', '--server', `127.0.0.1:${taken.address().port}`);
      expect(r.status).toBe(1);
      expect(r.stderr).toBe(`coapwatch: cannot bind 127.0.0.1:${taken.address().port} on loopback: address in use\n`);
    } finally {
      taken.close();
    }
  });
});
