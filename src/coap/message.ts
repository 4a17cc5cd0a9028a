export type CoapType = 'CON' | 'NON' | 'ACK' | 'RST';
export const COAP_TYPES: readonly CoapType[] = ['CON', 'NON', 'ACK', 'RST'];

/** A decoded option. Value: uint as number, string as text, opaque as lower-case hex, empty as "". */
export interface CoapOption {
  number: number;
  name: string;
  value: number | string;
}

/** Block1/Block2/Q-Block value (RFC 7959 section 2.2). */
export interface BlockValue {
  num: number;
  more: boolean;
  size: number;
}

/** One CoAP message as found on the wire, before matching. */
export interface CoapMessage {
  /** null over TCP (RFC 8323 has no type or message ID). */
  type: CoapType | null;
  /** Raw code byte: class << 5 | detail. */
  code: number;
  mid: number | null;
  /** Lower-case hex, "" when the token is empty. */
  token: string;
  options: CoapOption[];
  /** "/a/b" joined from Uri-Path options; "/" for a request with none; null when not a request. */
  uriPath: string | null;
  uriQuery: string[];
  /**
   * uriQuery decodes options as UTF-8, which turns every invalid byte into U+FFFD: the bytes of
   * each Uri-Query whose text has a U+FFFD, at its index in uriQuery (null when none has), so
   * that names made from a query stay apart. The others' bytes are their text's UTF-8.
   */
  uriQueryRaw: Buffer[] | null;
  locationPath: string | null;
  contentFormat: number | null;
  accept: number | null;
  observe: number | null;
  block1: BlockValue | null;
  block2: BlockValue | null;
  size1: number | null;
  size2: number | null;
  /** Request-Tag as hex (RFC 9175), null when absent: part of a Block1 body's identity. */
  requestTag: string | null;
  /** Payload bytes after the 0xFF marker (a view into the packet: copy before keeping). */
  payload: Buffer;
  /** Why the message breaks RFC 7252 (fields decoded before the fault are kept), or null. */
  error: string | null;
}

export const CODE_CLASS_REQUEST = 0;

/** "c.dd" for every code byte, precomputed: codes are formatted for every message. */
export const CODE_STRINGS: readonly string[] = Array.from(
  { length: 256 },
  (_, c) => `${c >> 5}.${String(c & 31).padStart(2, '0')}`,
);

export function isRequestCode(code: number): boolean {
  return code >> 5 === 0 && code !== 0;
}

export function isResponseCode(code: number): boolean {
  const cls = code >> 5;
  return cls >= 2 && cls <= 5;
}

export const METHOD = { GET: 1, POST: 2, PUT: 3, DELETE: 4, FETCH: 5, PATCH: 6, IPATCH: 7 } as const;
