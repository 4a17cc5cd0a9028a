/** How an option's value is rendered: RFC 7252 section 3.2 value formats. */
export type OptionFormat = 'empty' | 'opaque' | 'uint' | 'string';

export interface OptionDefinition {
  name: string;
  format: OptionFormat;
}

/**
 * Every option registered for the protocols coapwatch dissects:
 * RFC 7252 (core), 7641 (Observe), 7959 (Block), 7967 (No-Response), 8613 (OSCORE),
 * 8768 (Hop-Limit), 9175 (Echo, Request-Tag), 9177 (Q-Block), 9668 (EDHOC).
 */
const DEFINITIONS: ReadonlyArray<[number, string, OptionFormat]> = [
  [1, 'If-Match', 'opaque'],
  [3, 'Uri-Host', 'string'],
  [4, 'ETag', 'opaque'],
  [5, 'If-None-Match', 'empty'],
  [6, 'Observe', 'uint'],
  [7, 'Uri-Port', 'uint'],
  [8, 'Location-Path', 'string'],
  [9, 'OSCORE', 'opaque'],
  [11, 'Uri-Path', 'string'],
  [12, 'Content-Format', 'uint'],
  [14, 'Max-Age', 'uint'],
  [15, 'Uri-Query', 'string'],
  [16, 'Hop-Limit', 'uint'],
  [17, 'Accept', 'uint'],
  [19, 'Q-Block1', 'uint'],
  [20, 'Location-Query', 'string'],
  [21, 'EDHOC', 'empty'],
  [23, 'Block2', 'uint'],
  [27, 'Block1', 'uint'],
  [28, 'Size2', 'uint'],
  [31, 'Q-Block2', 'uint'],
  [35, 'Proxy-Uri', 'string'],
  [39, 'Proxy-Scheme', 'string'],
  [60, 'Size1', 'uint'],
  [252, 'Echo', 'opaque'],
  [258, 'No-Response', 'uint'],
  [292, 'Request-Tag', 'opaque'],
];

export const OPTION = {
  IF_MATCH: 1, URI_HOST: 3, ETAG: 4, IF_NONE_MATCH: 5, OBSERVE: 6, URI_PORT: 7,
  LOCATION_PATH: 8, OSCORE: 9, URI_PATH: 11, CONTENT_FORMAT: 12, MAX_AGE: 14,
  URI_QUERY: 15, HOP_LIMIT: 16, ACCEPT: 17, Q_BLOCK1: 19, LOCATION_QUERY: 20,
  EDHOC: 21, BLOCK2: 23, BLOCK1: 27, SIZE2: 28, Q_BLOCK2: 31, PROXY_URI: 35,
  PROXY_SCHEME: 39, SIZE1: 60, ECHO: 252, NO_RESPONSE: 258, REQUEST_TAG: 292,
} as const;

const byNumber = new Map<number, OptionDefinition>(
  DEFINITIONS.map(([number, name, format]) => [number, { name, format }]),
);
const unknownNames = new Map<number, OptionDefinition>();

/** Definition of an option number; unknown options are kept as opaque with a generated name. */
export function optionDefinition(number: number): OptionDefinition {
  const known = byNumber.get(number);
  if (known) return known;
  let unknown = unknownNames.get(number);
  if (!unknown) {
    unknown = { name: `Unknown-${number}`, format: 'opaque' };
    if (unknownNames.size < 4096) unknownNames.set(number, unknown);
  }
  return unknown;
}

/**
 * RFC 7252 section 5.4.6: odd option numbers are critical, and 5.4.1: a critical option the
 * receiver does not know makes a request rejected with 4.02.
 */
export function isCritical(number: number): boolean {
  return (number & 1) === 1;
}
