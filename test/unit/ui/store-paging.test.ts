import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildBigDatabase } from '../../../src/bench/big-database.js';
import { ENDPOINT_SORT_KEYS } from '../../../src/ui/source.js';
import { StoreSource } from '../../../src/ui/store-source.js';

/*
 * StoreSource reads a page next to the last one from its boundary row, and other pages from the
 * nearer end of the list. Whichever way a page is read, it must be the same rows as that slice of
 * the whole list read in one go: walked here forwards, backwards, by pages and by jumps.
 */
const N = 3000;
let path: string;

beforeAll(() => {
  path = join(mkdtempSync(join(tmpdir(), 'coapwatch-paging-')), 'fleet.db');
  buildBigDatabase(path, { endpoints: N });
});

/** Offsets as the keys reach them: one down, a page down, the end, one up, a page up, a jump back. */
function walk(total: number, page: number): number[] {
  const last = Math.max(0, total - page);
  return [0, 1, 2, page, 2 * page, 2 * page + 1, last, last - 1, last - page, last - 3 * page, Math.floor(total / 2), Math.floor(total / 2) + 1,
    Math.floor(total / 2) - 1, Math.floor(total / 2) - page, Math.floor(total / 2) + page - 3, 5, 0].filter((o) => o >= 0 && o <= last);
}

describe('StoreSource pages', () => {
  it('endpoints: every sort, both directions, a filter: each page is its slice of the whole list', () => {
    const source = StoreSource.open(path);
    try {
      for (const sort of ENDPOINT_SORT_KEYS) {
        for (const descending of [true, false]) {
          for (const filter of ['', 'state:expired', 'meter-00012', 'state:registered 0001']) {
            const q = { sort, descending, filter };
            const whole = source.endpoints({ ...q, offset: 0, limit: N }).rows;
            const all = whole.map((r) => r.name);
            if (sort === 'events') {
              // The order itself, independently: by count, then by name, both in the direction asked.
              const sign = descending ? -1 : 1;
              for (let i = 1; i < whole.length; i++) {
                const [a, b] = [whole[i - 1], whole[i]];
                expect(Math.sign(b.events - a.events) === sign || (b.events === a.events && Math.sign(b.name.localeCompare(a.name, 'en')) !== -sign)).toBe(true);
              }
              if (filter === '') expect(whole.filter((r) => r.events > 0).length).toBeGreaterThan(100);
            }
            expect(all.length).toBe(filter ? source.endpoints({ ...q, offset: 0, limit: 0 }).total : N);
            for (const offset of walk(all.length, 25)) {
              const page = source.endpoints({ ...q, offset, limit: 25 });
              expect(page.rows.map((r) => r.name), `${sort} ${descending ? 'desc' : 'asc'} ${filter} @${offset}`).toEqual(all.slice(offset, offset + 25));
            }
          }
        }
      }
    } finally {
      source.close();
    }
  });

  it('events: newest first, any severity floor, each page its slice of the whole list', () => {
    const source = StoreSource.open(path);
    try {
      for (const minSeverity of ['info', 'high']) {
        const q = { minSeverity, filter: '' };
        const total = source.events({ ...q, offset: 0, limit: 0 }).total;
        expect(total).toBeGreaterThan(100);
        const all = source.events({ ...q, offset: 0, limit: total }).rows.map((e) => e.id);
        expect(all.length).toBe(total);
        for (const offset of walk(total, 20)) {
          expect(source.events({ ...q, offset, limit: 20 }).rows.map((e) => e.id), `${minSeverity} @${offset}`).toEqual(all.slice(offset, offset + 20));
        }
      }
    } finally {
      source.close();
    }
  });
});
