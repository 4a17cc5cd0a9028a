/*
 * A growable byte buffer that NDJSON lines are written into directly, as UTF-8, by the hot
 * writers (message lines). Why not strings: a ~960-byte line built by ~100 concatenations is a
 * rope that V8 must flatten (~1.6 µs here) and then encode again on write; bytes written in
 * place cost neither. Numbers are written as String(n) / n.toFixed(6) write them, by integer
 * arithmetic when that is exact: V8 formats a non-integer double in ~300 ns (shortest
 * round-trip digits), while meter readings and timestamps mostly have a few decimals.
 * test/unit/format/json-bytes.test.ts checks both against V8 on random and edge-case doubles.
 */

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const MINUS = 0x2d;
const DOT = 0x2e;
const ZERO = 0x30;

/** Four decimals: see number(). */
const SCALE = 1e4;
/** Below this magnitude two decimals 10^-4 apart can never round to the same double (ulp < 2e-5). */
const FAST_LIMIT = 1e11;
const MICROS = 1e6;

export class JsonBytes {
  buf: Buffer;
  /** Bytes written so far. */
  length = 0;

  constructor(capacity = 1 << 16) {
    this.buf = Buffer.allocUnsafe(capacity);
  }

  /** The bytes written so far, as a copy the caller may keep (the buffer is reused). */
  take(): Buffer {
    const out = Buffer.from(this.buf.subarray(0, this.length));
    this.length = 0;
    return out;
  }

  /** The bytes from `start` on as text. */
  textFrom(start: number): string {
    return this.buf.toString('utf8', start, this.length);
  }

  /** Room for `n` more bytes (the buffer doubles, keeping what was written). */
  reserve(n: number): void {
    const need = this.length + n;
    if (need <= this.buf.length) return;
    // From at least 64: a buffer made with no bytes would never double.
    let size = Math.max(this.buf.length * 2, 64);
    while (size < need) size *= 2;
    const bigger = Buffer.allocUnsafe(size);
    this.buf.copy(bigger, 0, 0, this.length);
    this.buf = bigger;
  }

  /** Text that is ASCII by construction (our own names, addresses built from numbers, hex): no checks. */
  ascii(s: string): this {
    const n = s.length;
    this.reserve(n);
    const buf = this.buf;
    let at = this.length;
    for (let i = 0; i < n; i++) buf[at++] = s.charCodeAt(i);
    this.length = at;
    return this;
  }

  /** Bytes made before (a constant piece of a line, a remembered record prefix). */
  raw(bytes: Uint8Array): this {
    const n = bytes.length;
    this.reserve(n);
    const buf = this.buf;
    let at = this.length;
    // A loop beats the call into TypedArray.set for short pieces only.
    if (n > 8) {
      buf.set(bytes, at);
      this.length = at + n;
      return this;
    }
    for (let i = 0; i < n; i++) buf[at++] = bytes[i];
    this.length = at;
    return this;
  }

  /** Any text, UTF-8 encoded as it is (already JSON). */
  text(s: string): this {
    this.reserve(3 * s.length);
    this.length += this.buf.write(s, this.length);
    return this;
  }

  /**
   * A string from the network as a JSON string. Printable ASCII without `"` or `\` (nearly
   * every string a capture holds) is copied as it is; anything else is written as
   * JSON.stringify writes it.
   */
  string(s: string): this {
    const n = s.length;
    this.reserve(n + 2);
    const buf = this.buf;
    let at = this.length;
    buf[at++] = QUOTE;
    for (let i = 0; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c < 0x20 || c >= 0x7f || c === QUOTE || c === BACKSLASH) return this.text(JSON.stringify(s));
      buf[at++] = c;
    }
    buf[at++] = QUOTE;
    this.length = at;
    return this;
  }

  stringOrNull(s: string | null): this {
    return s === null ? this.ascii('null') : this.string(s);
  }

  /** A list of network strings as a JSON array. */
  strings(list: readonly string[]): this {
    this.ascii('[');
    for (let i = 0; i < list.length; i++) {
      if (i > 0) this.ascii(',');
      this.string(list[i]);
    }
    return this.ascii(']');
  }

  /** A number as String(n) writes it. */
  number(n: number): this {
    if (Number.isSafeInteger(n)) return this.integer(n);
    const magnitude = n < 0 ? -n : n;
    // Also big integers, NaN and ±Infinity, which are not below the limit.
    if (!(magnitude < FAST_LIMIT) || magnitude < 1e-6) return this.ascii(String(n));
    // Why this is exact: if r / 10^4 === n for an integer r, the decimal d = r·10^-4 parses to n
    // (division is correctly rounded), so d round-trips; any other decimal of at most 4 places
    // differs from d by ≥ 10^-4, far more than n's ulp below 1e11, so it cannot parse to n: d
    // with its trailing zeros removed is the shortest text. Numbers below 1e-6 are excluded as
    // String() writes them with an exponent.
    const r = Math.round(magnitude * SCALE);
    if (r / SCALE !== magnitude) return this.ascii(String(n));
    const whole = Math.floor(r / SCALE);
    // 1..9999 (n is no integer): its trailing zeros go, its leading ones stay.
    let fraction = r - whole * SCALE;
    let places = 4;
    while (fraction % 10 === 0) {
      fraction /= 10;
      places--;
    }
    if (n < 0) this.byte(MINUS);
    this.integer(whole).byte(DOT);
    return this.digits(fraction, places);
  }

  /** A number as JSON writes it: non-finite values have no JSON form and become null, as JSON.stringify does. */
  jsonNumber(n: number): this {
    return Number.isFinite(n) ? this.number(n) : this.ascii('null');
  }

  numberOrNull(n: number | null): this {
    return n === null ? this.ascii('null') : this.number(n);
  }

  /**
   * n.toFixed(6) for a non-negative n below 2^53 µs (timestamps, durations). Exact when
   * us / 10^6 === n: n is then within half an ulp of us·10^-6, so that is the 6-place rounding
   * toFixed makes; otherwise (a nanosecond timestamp) V8 decides.
   */
  fixed6(n: number): this {
    const us = Math.round(n * MICROS);
    if (n < 0 || us / MICROS !== n || us > Number.MAX_SAFE_INTEGER) return this.ascii(n.toFixed(6));
    const whole = Math.floor(us / MICROS);
    this.integer(whole).byte(DOT);
    return this.digits(us - whole * MICROS, 6);
  }

  /** A time as the message lines write it (fixed6), or null. */
  fixed6OrNull(n: number | null): this {
    return n === null ? this.ascii('null') : this.fixed6(n);
  }

  boolean(b: boolean): this {
    return this.ascii(b ? 'true' : 'false');
  }

  private byte(c: number): this {
    this.reserve(1);
    this.buf[this.length++] = c;
    return this;
  }

  /** A safe integer (|n| < 2^53: every step below is exact in a double). */
  private integer(n: number): this {
    if (n < 0) {
      this.byte(MINUS);
      n = -n;
    }
    let width = 1;
    for (let p = 10; p <= n; p *= 10) width++;
    return this.digits(n, width);
  }

  /** 0 ≤ n < 10^width, as exactly `width` digits (zero-padded on the left). */
  private digits(n: number, width: number): this {
    this.reserve(width);
    const buf = this.buf;
    let at = this.length + width;
    this.length = at;
    for (let i = 0; i < width; i++) {
      const q = Math.floor(n / 10);
      buf[--at] = ZERO + (n - q * 10);
      n = q;
    }
    return this;
  }
}
