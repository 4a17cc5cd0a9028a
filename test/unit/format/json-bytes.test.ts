import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { JsonBytes } from '../../../src/cli/format/json-bytes.js';

/** What one JsonBytes method writes, as text (a fresh small buffer, so growing is exercised too). */
function written(write: (out: JsonBytes) => void): string {
  const out = new JsonBytes(4);
  write(out);
  return out.textFrom(0);
}
const shortDecimal = (n: number) => written((o) => o.number(n));
const fixed6 = (n: number) => written((o) => o.fixed6(n));

/** Numbers as devices and captures produce them: few decimals, float32 widening, µs and ns times. */
const EDGES = [
  0, -0, 1, -1, 0.1, 0.2, 0.3, 0.1 + 0.2, 1e-4, 1e-5, 1e-6, 1e-7, 0.0001, 0.0005, 0.00051, 420.7711, -420.7711, 9920.477,
  9999.9999, 99999999999.9999, 1e11, 1e11 + 0.5, 123456789.0001, 2 ** 53, 2 ** 53 + 2, 1e21, 1.5e300, 5e-324,
  Math.fround(230.1), Math.fround(0.1), 1709251201.10155, 1709251201.101558, 1709251201.1015585, 1763880000.123456,
  Number.MAX_SAFE_INTEGER / 1e6, 0.000001, 0.0000015,
];

describe('JsonBytes.number', () => {
  it('writes what String() writes on edge cases', () => {
    for (const n of EDGES) expect(shortDecimal(n), String(n)).toBe(String(n));
  });

  it('writes what String() writes on random doubles and on few-decimal numbers', () => {
    fc.assert(fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (n) => shortDecimal(n) === String(n)), { numRuns: 20_000 });
    fc.assert(
      fc.property(fc.integer({ min: -1e12, max: 1e12 }), fc.integer({ min: 0, max: 6 }), (r, k) => {
        const n = r / 10 ** k;
        return shortDecimal(n) === String(n);
      }),
      { numRuns: 50_000 },
    );
    fc.assert(fc.property(fc.float({ noNaN: true, noDefaultInfinity: true }), (f) => shortDecimal(f) === String(f)), { numRuns: 20_000 });
  });
});

describe('JsonBytes.fixed6', () => {
  it('writes what toFixed(6) writes on edge cases', () => {
    for (const n of EDGES.filter((x) => x >= 0 && x < 1e15)) expect(fixed6(n), String(n)).toBe(n.toFixed(6));
  });

  it('writes what toFixed(6) writes on µs and ns timestamps and durations', () => {
    const seconds = fc.integer({ min: 0, max: 2 ** 32 - 1 });
    fc.assert(fc.property(seconds, fc.integer({ min: 0, max: 999_999 }), (s, us) => {
      const n = (s * 1e6 + us) / 1e6;
      return fixed6(n) === n.toFixed(6);
    }), { numRuns: 50_000 });
    fc.assert(fc.property(seconds, fc.integer({ min: 0, max: 999_999_999 }), (s, ns) => {
      const n = s + ns / 1e9;
      return fixed6(n) === n.toFixed(6);
    }), { numRuns: 50_000 });
    fc.assert(fc.property(fc.double({ min: 0, max: 1e6, noNaN: true }), (n) => fixed6(n) === n.toFixed(6)), { numRuns: 20_000 });
  });
});

describe('JsonBytes strings and pieces', () => {
  it('writes network strings as JSON.stringify does, escaping or not', () => {
    for (const s of ['', 'meter-1', 'a"b', 'back\\slash', 'tab\there', '\u0000\u001f\u007f', 'Zähler', '电表', '\ud800', '😀']) {
      expect(written((o) => o.string(s)), JSON.stringify(s)).toBe(JSON.stringify(s));
    }
    fc.assert(fc.property(fc.string({ unit: 'binary' }), (s) => written((o) => o.string(s)) === JSON.stringify(s)), { numRuns: 5_000 });
  });

  it('writes null, lists, booleans and non-finite numbers as JSON does', () => {
    expect(written((o) => (o.stringOrNull(null), o.numberOrNull(null)))).toBe('nullnull');
    expect(written((o) => o.strings(['a', 'b"', '']))).toBe(JSON.stringify(['a', 'b"', '']));
    expect(written((o) => o.strings([]))).toBe('[]');
    expect(written((o) => (o.boolean(true), o.boolean(false)))).toBe('truefalse');
    for (const n of [NaN, Infinity, -Infinity]) expect(written((o) => o.jsonNumber(n))).toBe(JSON.stringify(n));
    expect(written((o) => o.number(NaN))).toBe('NaN');
  });

  it('grows from no room at all', () => {
    const out = new JsonBytes(0);
    out.ascii('{"a":');
    out.raw(Buffer.from('[1,2]'));
    out.ascii('}');
    expect(out.textFrom(0)).toBe('{"a":[1,2]}');
  });

  it('keeps what was written when it grows, and take() hands over a copy and starts afresh', () => {
    const out = new JsonBytes(2);
    const piece = Buffer.from('{"path":"/3/0/0","value":', 'latin1');
    let expected = '';
    for (let i = 0; i < 200; i++) {
      out.raw(piece);
      out.number(i);
      out.ascii('}\n');
      expected += `{"path":"/3/0/0","value":${i}}\n`;
    }
    const taken = out.take();
    expect(taken.toString('utf8')).toBe(expected);
    expect(out.length).toBe(0);
    out.ascii('next');
    expect(taken.toString('utf8')).toBe(expected);
    expect(out.textFrom(0)).toBe('next');
  });
});
