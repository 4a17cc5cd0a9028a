import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const bin = join(import.meta.dirname, '../../bin/coapwatch.js');

describe('coapwatch generate --live', () => {
  it('runs server and meters as loopback peers whose counts agree', () => {
    const port = 40_000 + Math.floor(Math.random() * 20_000);
    const r = spawnSync(process.execPath, [bin, 'generate', '--live', '--meters', '4', '--households', '2', '--duration', '600', '--speed', '600', '--server', `127.0.0.1:${port}`], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const { server, meters } = JSON.parse(r.stdout);
    expect(server.registrations).toBe(4);
    expect(meters.registrations).toBe(4);
    expect(server.observations).toBe(4);
    expect(meters.reads).toBe(server.reads);
    expect(meters.updates).toBe(server.updates);
    expect(meters.notifications).toBe(server.notifications);
    expect(server.notifications).toBeGreaterThan(4);
  });

  it('stays on loopback', () => {
    const r = spawnSync(process.execPath, [bin, 'generate', '--live', '--server', '10.0.0.1:5683'], { encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/loopback/);
  });
});
