import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

/* The service files in packaging/: what systemd and logrotate make of them, and that they call coapwatch as it is. */
const root = join(import.meta.dirname, '../..');
const bin = join(root, 'bin/coapwatch.js');
const unit = readFileSync(join(root, 'packaging/coapwatch.service'), 'utf8');
const onPath = (name: string) => (process.env.PATH ?? '').split(':').some((p) => p !== '' && existsSync(join(p, name)));

/** The unit's directives (continuation lines joined), name → values in order. */
function directives(text: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const line of text.replace(/\\\n\s*/g, ' ').split('\n')) {
    const m = /^([A-Za-z]+)=(.*)$/.exec(line.trim());
    if (m) out.set(m[1], [...(out.get(m[1]) ?? []), m[2]]);
  }
  return out;
}

describe('packaging/coapwatch.service', () => {
  const d = directives(unit);

  it('runs as its own user with the two capture capabilities, bounded to them, no new privileges, a read-only system', () => {
    expect(d.get('User')).toEqual(['coapwatch']);
    expect(d.get('AmbientCapabilities')).toEqual(['CAP_NET_RAW CAP_NET_ADMIN']);
    expect(d.get('CapabilityBoundingSet')).toEqual(['CAP_NET_RAW CAP_NET_ADMIN']);
    expect(d.get('NoNewPrivileges')).toEqual(['yes']);
    expect(d.get('ProtectSystem')).toEqual(['strict']);
    // Writable: the database's and the logs' folders, nothing else.
    expect(d.get('StateDirectory')).toEqual(['coapwatch']);
    expect(d.get('LogsDirectory')).toEqual(['coapwatch']);
    expect(d.has('ReadWritePaths')).toBe(false);
    const exec = d.get('ExecStart')![0];
    expect(exec).toMatch(/--db \/var\/lib\/coapwatch\/\S+ /);
    expect(exec).toMatch(/--eve \/var\/log\/coapwatch\/\S+ /);
  });

  it('calls monitor with options monitor has; reload is SIGUSR2 (the rules)', () => {
    const help = spawnSync(process.execPath, [bin, 'monitor', '--help'], { encoding: 'utf8' }).stdout;
    const options = d.get('ExecStart')![0].match(/--[a-z-]+/g)!;
    expect(options).toEqual(['--db', '--eve', '--prune-older-than']);
    for (const o of options) expect(help, o).toContain(o);
    expect(d.get('ExecReload')).toEqual(['/bin/kill -USR2 $MAINPID']);
  });

  it.skipIf(!onPath('systemd-analyze'))(`systemd-analyze verify finds nothing wrong${onPath('systemd-analyze') ? '' : ' (skipped: no systemd-analyze)'}`, () => {
    // The unit names where `npm install -g` puts coapwatch; here it is run from the repository.
    const dir = mkdtempSync(join(tmpdir(), 'coapwatch-unit-'));
    const file = join(dir, 'coapwatch.service');
    writeFileSync(file, unit.replace('ExecStart=/usr/local/bin/coapwatch ', `ExecStart=${process.execPath} ${bin} `));
    const r = spawnSync('systemd-analyze', ['verify', file], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });
});

describe('packaging/coapwatch.logrotate', () => {
  const conf = readFileSync(join(root, 'packaging/coapwatch.logrotate'), 'utf8');

  it('moves the EVE file and sends SIGHUP to the service (no copytruncate, which loses lines)', () => {
    expect(conf).toMatch(/^\/var\/log\/coapwatch\/eve\.json \{$/m);
    expect(conf).not.toMatch(/^\s*copytruncate/m);
    expect(conf).toMatch(/postrotate\n\s*systemctl kill --signal=HUP --kill-whom=main coapwatch\.service/);
  });

  it.skipIf(!onPath('logrotate'))(`logrotate rotates it: the file moved, a new one created${onPath('logrotate') ? '' : ' (skipped: no logrotate)'}`, () => {
    const dir = mkdtempSync(join(tmpdir(), 'coapwatch-logrotate-'));
    mkdirSync(join(dir, 'log'));
    writeFileSync(join(dir, 'log/eve.json'), '{"event_type":"stats"}\n');
    const user = spawnSync('id', ['-un'], { encoding: 'utf8' }).stdout.trim();
    const group = spawnSync('id', ['-gn'], { encoding: 'utf8' }).stdout.trim();
    const local = conf.replace(/^\/var\/log\/coapwatch\/eve\.json \{$/m, `${join(dir, 'log/eve.json')} {`).replace('create 0640 coapwatch coapwatch', `create 0640 ${user} ${group}`)
      .replace(/systemctl kill [^\n]*/, `touch ${join(dir, 'signalled')}`);
    writeFileSync(join(dir, 'coapwatch'), local);
    const r = spawnSync('logrotate', ['--force', '--state', join(dir, 'state'), join(dir, 'coapwatch')], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(readFileSync(join(dir, 'log/eve.json.1'), 'utf8')).toBe('{"event_type":"stats"}\n');
    expect(readFileSync(join(dir, 'log/eve.json'), 'utf8')).toBe('');
    expect(existsSync(join(dir, 'signalled'))).toBe(true);
  });
});
