/*
 * Number to text for the NDJSON writer, exactly as String(n) and n.toFixed(6) write it, but
 * faster for the numbers a capture is full of. V8 formats a non-integer double in ~300 ns on
 * our machines (shortest round-trip digits), while meter readings and timestamps mostly have a
 * few decimals: when n·10^k is an integer r with r / 10^k === n, the decimal r·10^-k is the
 * text (see below) and integer formatting is cheap. Everything else goes to V8.
 * test/unit/format/decimal.test.ts checks both against V8 on random and edge-case doubles.
 */

const SCALE = 1e4;
/** Below this magnitude two decimals 10^-4 apart can never round to the same double (ulp < 2e-5). */
const FAST_LIMIT = 1e11;
const LEADING_ZEROS = '000';

/**
 * String(n) for a finite number. Why the shortcut is exact: if r / 10^4 === n for an integer r,
 * the decimal d = r·10^-4 parses to n (division is correctly rounded), so d round-trips; any
 * other decimal of at most 4 places differs from d by ≥ 10^-4, far more than n's ulp below
 * 1e11, so it cannot parse to n: d with its trailing zeros removed is the shortest text.
 * Numbers below 1e-6 are excluded as String() writes them with an exponent.
 */
export function shortDecimal(n: number): string {
  if (Number.isInteger(n)) return String(n);
  const magnitude = n < 0 ? -n : n;
  if (magnitude >= FAST_LIMIT || magnitude < 1e-6) return String(n);
  const r = Math.round(magnitude * SCALE);
  if (r / SCALE !== magnitude) return String(n);
  const whole = Math.floor(r / SCALE);
  // 1..9999 (n is no integer); its trailing zeros go, its leading ones stay.
  let fraction = r - whole * SCALE;
  let places = 4;
  while (fraction % 10 === 0) {
    fraction /= 10;
    places--;
  }
  const digits = String(fraction);
  return (n < 0 ? '-' : '') + whole + '.' + LEADING_ZEROS.slice(0, places - digits.length) + digits;
}

const MICROS = 1e6;
const MICRO_PAD = ['000000', '00000', '0000', '000', '00', '0', ''];

/**
 * n.toFixed(6) for a non-negative n below 2^53 µs (timestamps, durations). Exact when
 * us / 10^6 === n: n is then within half an ulp of us·10^-6, so that is the 6-place rounding
 * toFixed makes; otherwise (a nanosecond timestamp) V8 decides.
 */
export function fixed6(n: number): string {
  const us = Math.round(n * MICROS);
  if (n < 0 || us / MICROS !== n || us > Number.MAX_SAFE_INTEGER) return n.toFixed(6);
  const whole = Math.floor(us / MICROS);
  const fraction = String(us - whole * MICROS);
  return whole + '.' + MICRO_PAD[fraction.length] + fraction;
}
