import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';

/**
 * A throwaway PostgreSQL server for the tests: initdb and pg_ctl (Debian's `postgresql`
 * package) in a temporary folder, listening on a Unix socket in it only (no TCP), user
 * `coapwatch` with a password (SCRAM), so that the ways of giving it are tested. Null when
 * PostgreSQL is not installed: the tests that need it are skipped.
 */
export interface ThrowawayPostgres {
  /** postgres://coapwatch@localhost/DB?host=SOCKET_DIR (no password), for a database created by createDatabase. */
  url(database: string): string;
  /** The user's password (random per server). */
  password: string;
  createDatabase(name: string): void;
  /** SQL through psql, rows as tab-separated lines. */
  psql(database: string, sql: string): string;
  dir: string;
  stop(): void;
}

/** A PostgreSQL program: on PATH, else in Debian's /usr/lib/postgresql/VERSION/bin (newest first). */
export function postgresProgram(name: string): string | null {
  for (const dir of (process.env.PATH ?? '').split(':')) {
    if (dir && existsSync(join(dir, name))) return join(dir, name);
  }
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return null;
  const versions = readdirSync(root).filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a));
  for (const v of versions) if (existsSync(join(root, v, 'bin', name))) return join(root, v, 'bin', name);
  return null;
}

export function startPostgres(): ThrowawayPostgres | null {
  const initdb = postgresProgram('initdb');
  const pgCtl = postgresProgram('pg_ctl');
  const psqlBin = postgresProgram('psql');
  if (!initdb || !pgCtl || !psqlBin) return null;
  const dir = mkdtempSync(join(tmpdir(), 'coapwatch-pg-'));
  // PostgreSQL refuses to run as root: as root, the server runs as the `postgres` user.
  const asRoot = userInfo().uid === 0;
  const owner = asRoot ? lookupUser('postgres') : null;
  if (asRoot && owner === null) return null;
  if (owner) chownSync(dir, owner.uid, owner.gid);
  const run = (program: string, args: string[]) => {
    const r = owner
      ? spawnSync('runuser', ['-u', 'postgres', '--', program, ...args], { encoding: 'utf8', cwd: dir })
      : spawnSync(program, args, { encoding: 'utf8', cwd: dir });
    if (r.status !== 0) throw new Error(`${program} ${args.join(' ')}: ${r.stderr || r.stdout}`);
    return r.stdout;
  };
  const data = join(dir, 'data');
  const password = `pw-${randomBytes(8).toString('hex')}`;
  const pwfile = join(dir, 'pwfile');
  writeFileSync(pwfile, `${password}\n`, { mode: 0o644 });
  run(initdb, ['-D', data, '-U', 'coapwatch', '-A', 'scram-sha-256', `--pwfile=${pwfile}`, '--no-sync', '-E', 'UTF8', '--locale', 'C']);
  rmSync(pwfile);
  run(pgCtl, ['-D', data, '-l', join(dir, 'server.log'), '-w', '-o', `-k ${dir} -c listen_addresses= -c fsync=off`, 'start']);
  const psql = (database: string, sql: string) => {
    const r = spawnSync(psqlBin, ['-h', dir, '-U', 'coapwatch', '-d', database, '-X', '-A', '-t', '-F', '\t', '-v', 'ON_ERROR_STOP=1', '-c', sql], { encoding: 'utf8', env: { ...process.env, PGPASSWORD: password } });
    if (r.status !== 0) throw new Error(`psql: ${r.stderr}`);
    return r.stdout;
  };
  return {
    dir,
    password,
    url: (database) => `postgres://coapwatch@localhost/${database}?host=${encodeURIComponent(dir)}`,
    createDatabase: (name) => void psql('postgres', `CREATE DATABASE ${name}`),
    psql,
    stop: () => {
      try {
        run(pgCtl, ['-D', data, '-m', 'immediate', '-w', 'stop']);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

function lookupUser(name: string): { uid: number; gid: number } | null {
  const r = spawnSync('id', ['-u', name], { encoding: 'utf8' });
  const g = spawnSync('id', ['-g', name], { encoding: 'utf8' });
  if (r.status !== 0 || g.status !== 0) return null;
  return { uid: Number(r.stdout.trim()), gid: Number(g.stdout.trim()) };
}
