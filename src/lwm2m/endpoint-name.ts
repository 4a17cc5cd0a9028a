import { createHash } from 'node:crypto';
import { isUtf8 } from 'node:buffer';

/**
 * Longest endpoint name kept whole, in UTF-16 units: names live as long as their endpoint, in
 * every table and record, so they are bounded. A longer name is cut to fit with a hash of all
 * its bytes (see endpointName).
 */
export const MAX_ENDPOINT_NAME = 256;

const BACKSLASH = 0x5c;
/** 128 bits: telling two cut names apart must not be a birthday search an attacker can afford. */
const HASH_HEX_DIGITS = 32;
const CUT_MARK = '\\…#';
/** Prefix kept of a cut name, so that prefix, mark and hash make MAX_ENDPOINT_NAME units. */
const KEPT_UNITS = MAX_ENDPOINT_NAME - CUT_MARK.length - HASH_HEX_DIGITS;

/**
 * The one name an endpoint goes by in every record (messages, events, observations, the
 * endpoint table, the database), made from the bytes of the Endpoint Client Name (the `ep`
 * query of Register and Bootstrap-Request).
 *
 * Two different names on the wire never become the same name here:
 * - valid UTF-8 is kept as text, except that a backslash is written `\\`;
 * - each byte that is not part of valid UTF-8 is written `\xHH` (lower-case hex), so `x\xff`
 *   and `x\xfe` stay apart where a decoder's U+FFFD would merge them;
 * - a name longer than MAX_ENDPOINT_NAME is cut, at a character or escape boundary, and ends in
 *   `\…#` and 32 hex digits of the SHA-256 of all its bytes.
 * A backslash is always followed by `\`, `x` or `…`, so the escapes cannot be confused with text.
 *
 * Runs once per Register or Bootstrap-Request, not per packet; ASCII and UTF-8 names without
 * a backslash that fit (every name seen in practice) come back as decoded.
 */
export function endpointName(bytes: Uint8Array): string {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  // UTF-16 units never outnumber UTF-8 bytes: a name of at most MAX_ENDPOINT_NAME bytes fits.
  if (buf.length <= MAX_ENDPOINT_NAME && !buf.includes(BACKSLASH) && isUtf8(buf)) return buf.toString('utf8');
  let text = '';
  /** Length of `text` at the last character or escape boundary within KEPT_UNITS. */
  let kept = 0;
  for (let pos = 0; pos < buf.length; ) {
    const length = utf8SequenceLength(buf, pos);
    if (length === 0) text += `\\x${buf[pos].toString(16).padStart(2, '0')}`;
    else if (buf[pos] === BACKSLASH) text += '\\\\';
    else text += buf.toString('utf8', pos, pos + length);
    pos += length === 0 ? 1 : length;
    if (text.length <= KEPT_UNITS) kept = text.length;
    else if (text.length > MAX_ENDPOINT_NAME) break;
  }
  if (text.length <= MAX_ENDPOINT_NAME) return text;
  const hash = createHash('sha256').update(buf).digest('hex').slice(0, HASH_HEX_DIGITS);
  return text.slice(0, kept) + CUT_MARK + hash;
}

/**
 * Bytes of the valid UTF-8 sequence at buf[pos], or 0 when the byte there starts none (the
 * WHATWG Encoding Standard's rules: no overlong forms, surrogates or code points past U+10FFFF).
 */
function utf8SequenceLength(buf: Buffer, pos: number): number {
  const lead = buf[pos];
  if (lead < 0x80) return 1;
  let length: number;
  let low = 0x80;
  let high = 0xbf;
  if (lead >= 0xc2 && lead <= 0xdf) length = 2;
  else if (lead >= 0xe0 && lead <= 0xef) {
    length = 3;
    if (lead === 0xe0) low = 0xa0;
    else if (lead === 0xed) high = 0x9f;
  } else if (lead >= 0xf0 && lead <= 0xf4) {
    length = 4;
    if (lead === 0xf0) low = 0x90;
    else if (lead === 0xf4) high = 0x8f;
  } else return 0;
  if (pos + length > buf.length) return 0;
  if (buf[pos + 1] < low || buf[pos + 1] > high) return 0;
  for (let i = 2; i < length; i++) if (buf[pos + i] < 0x80 || buf[pos + i] > 0xbf) return 0;
  return length;
}
