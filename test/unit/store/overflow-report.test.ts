import Database from 'better-sqlite3';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readCapture } from '../../../src/capture/index.js';
import { overflowWarning } from '../../../src/cli/format/summary.js';
import { AnalysisSession, type TableLimits } from '../../../src/cli/session.js';
import { openForWriting } from '../../../src/store/index.js';
import { MIGRATIONS } from '../../../src/store/schema.js';

/** The schema as coapwatch wrote it before runs.overflow (migration 5). */
const MIGRATIONS_BEFORE_OVERFLOW = MIGRATIONS.slice(0, 4);

const capture = join(import.meta.dirname, '../../../captures/reference/wakaama-observe.pcap');
const tmp = () => mkdtempSync(join(tmpdir(), 'coapwatch-overflow-'));

async function run(limits: TableLimits | undefined, db?: string): Promise<{ session: AnalysisSession; summary: string }> {
  const session = new AnalysisSession({ format: 'summary', coapPort: [56830], heuristic: true, source: 'test', db, state: true, limits });
  const info = await readCapture(capture, session.push);
  session.finish(info.packets);
  return { session, summary: session.summary.render('test', info.packets, [], session.overflows()) };
}

describe('reporting full tables', () => {
  it('a run whose tables stay below their bounds reports none: no summary section, [] in its runs row', async () => {
    const path = join(tmp(), 'none.db');
    const { session, summary } = await run(undefined, path);
    expect(session.overflows()).toEqual([]);
    expect(summary).not.toMatch(/reached their bound/);
    const db = new Database(path, { readonly: true });
    expect(db.prepare('SELECT overflow FROM runs').get()).toEqual({ overflow: '[]' });
    db.close();
  });

  it('a table at its bound is named with its bound and evictions in the summary, the runs row and the warning', async () => {
    const path = join(tmp(), 'full.db');
    const { session, summary } = await run({ coap: { exchanges: 2 }, state: { observations: 1 } }, path);
    const overflows = session.overflows();
    const names = overflows.map((o) => o.table);
    expect(names).toEqual(expect.arrayContaining(['coap.exchanges-by-mid', 'coap.exchanges-by-token', 'state.observations']));
    const observations = overflows.find((o) => o.table === 'state.observations')!;
    expect(observations).toEqual({ table: 'state.observations', bound: 1, evicted: 1 });
    expect(summary).toMatch(/Tables that reached their bound/);
    expect(summary).toMatch(/\n {2}state\.observations +1 +1\n/);
    const db = new Database(path, { readonly: true });
    const row = db.prepare('SELECT overflow FROM runs').get() as { overflow: string };
    expect(JSON.parse(row.overflow)).toEqual(overflows);
    db.close();
    expect(overflowWarning(observations)).toBe('coapwatch: warning: table state.observations reached its bound of 1: 1 entries evicted or not recorded (see docs/limits.md)\n');
  });

  it('a database from before the overflow column gets it; its old runs read null', () => {
    const path = join(tmp(), 'old.db');
    const db = new Database(path);
    for (const sql of MIGRATIONS_BEFORE_OVERFLOW) db.exec(sql);
    db.pragma(`user_version = ${MIGRATIONS_BEFORE_OVERFLOW.length}`);
    db.prepare('INSERT INTO runs (source, started_at) VALUES (?, ?)').run('old', 1);
    db.close();
    openForWriting(path).close();
    const after = new Database(path, { readonly: true });
    expect(after.prepare('SELECT source, overflow FROM runs').all()).toEqual([{ source: 'old', overflow: null }]);
    after.close();
  });
});
