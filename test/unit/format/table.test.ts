import { describe, expect, it } from 'vitest';
import { DEFAULT_MAX_WIDTH, fitCell, isoTime, WIDTH_SAMPLE_ROWS, writeTable, type TableColumn } from '../../../src/cli/format/table.js';

interface Row {
  name: string;
  n: number | null;
}

const columns: Array<TableColumn<Row>> = [
  { header: 'NAME', cell: (r) => r.name },
  { header: 'N', cell: (r) => r.n },
];

function table(rows: Iterable<Row>, cols = columns): string[] {
  const out: string[] = [];
  writeTable((text) => out.push(text), cols, rows);
  return out.join('').split('\n').slice(0, -1);
}

describe('fitCell', () => {
  it('shows null as "-" and short text as it is', () => {
    expect(fitCell(null, 10)).toBe('-');
    expect(fitCell(42, 10)).toBe('42');
    expect(fitCell('meter-0001', 10)).toBe('meter-0001');
  });

  it('replaces control characters (text off the network) before cutting, so the cut counts what is shown', () => {
    expect(fitCell('a\u001b[31mb\u202e', 20)).toBe('a\uFFFD[31mb\uFFFD');
    const escapes = '\u001b'.repeat(30);
    expect(fitCell(escapes, 10)).toBe('\uFFFD'.repeat(9) + '…');
  });

  it('cuts long text to maxWidth characters, the cut marked with an ellipsis, keeping the start or the end', () => {
    const long = 'x'.repeat(60_000) + 'tail';
    expect(fitCell(long, 12)).toBe('xxxxxxxxxxx…');
    expect(fitCell(long, 12, 'end')).toBe('…xxxxxxxtail');
    expect(fitCell('abcdefghijkl', 12)).toBe('abcdefghijkl');
    expect(fitCell('abcdefghijklm', 12)).toBe('abcdefghijk…');
  });

  it('counts characters, not UTF-16 units: a surrogate pair is never split', () => {
    const meters = '📟'.repeat(12); // 24 UTF-16 units, 12 characters
    expect(fitCell(meters, 12)).toBe(meters);
    expect(fitCell(meters + '📟', 12)).toBe('📟'.repeat(11) + '…');
    expect(fitCell('a' + meters, 12, 'end')).toBe('…' + '📟'.repeat(11));
  });
});

describe('writeTable', () => {
  it('aligns columns to the widest cell; the last column is not padded', () => {
    expect(table([{ name: 'meter-0001', n: 1 }, { name: 'm2', n: null }])).toEqual([
      'NAME        N',
      'meter-0001  1',
      'm2          -',
    ]);
  });

  it('caps a column at its maxWidth: one 60 kB name does not pad every row', () => {
    const rows = [{ name: 'y'.repeat(60_000), n: 1 }, ...Array.from({ length: 50 }, (_, i) => ({ name: `meter-${i}`, n: i }))];
    const lines = table(rows);
    expect(lines).toHaveLength(52);
    expect(lines[1]).toBe('y'.repeat(DEFAULT_MAX_WIDTH - 1) + '…  1');
    for (const line of lines) expect(line.length).toBeLessThanOrEqual(DEFAULT_MAX_WIDTH + 2 + 2);
  });

  it('the header and rows only, for no rows', () => {
    expect(table([])).toEqual(['NAME  N']);
  });

  it('reads no more than the width sample before writing, then writes each row before reading the next', () => {
    const total = WIDTH_SAMPLE_ROWS + 500;
    const written: string[] = [];
    // For each row, how many rows before it were read but not yet written when it was read.
    const ahead: number[] = [];
    function* rows(): Generator<Row> {
      for (let i = 0; i < total; i++) {
        ahead.push(i - Math.max(0, written.length - 1)); // written[0] is the header
        yield { name: `meter-${i}`, n: i };
      }
    }
    writeTable((text) => written.push(text), columns, rows());
    expect(written).toHaveLength(total + 1);
    expect(ahead.slice(0, WIDTH_SAMPLE_ROWS + 1)).toEqual(Array.from({ length: WIDTH_SAMPLE_ROWS + 1 }, (_, i) => i));
    expect(ahead.slice(WIDTH_SAMPLE_ROWS + 1).every((n) => n === 0)).toBe(true);
  });

  it('a cell wider than the sample (within its cap) pushes the rest of its own row, uncut', () => {
    const rows = [...Array.from({ length: WIDTH_SAMPLE_ROWS }, (_, i) => ({ name: `m${i % 10}`, n: i })), { name: 'meter-long-name', n: 7 }];
    const lines = table(rows);
    expect(lines[0]).toBe('NAME  N');
    expect(lines.at(-1)).toBe('meter-long-name  7');
  });

  it('a failure while writing releases the rows being read (the database statement)', () => {
    let released = false;
    function* rows(): Generator<Row> {
      try {
        for (let i = 0; ; i++) yield { name: `meter-${i}`, n: i };
      } finally {
        released = true;
      }
    }
    const failing: Array<TableColumn<Row>> = [{ header: 'N', cell: (r) => { if (r.n === 5) throw new Error('cell'); return r.n; } }];
    expect(() => table(rows(), failing)).toThrow('cell');
    expect(released).toBe(true);
  });
});

describe('isoTime', () => {
  it('ISO 8601 UTC to the second; a value that is no time is shown as it is', () => {
    expect(isoTime(1795415452.39)).toBe('2026-11-23T06:30:52Z');
    expect(isoTime(null)).toBeNull();
    expect(isoTime(Number.NaN)).toBe('NaN');
    expect(isoTime(1e20)).toBe('100000000000000000000');
    expect(isoTime('soon' as unknown as number)).toBe('soon');
  });
});
