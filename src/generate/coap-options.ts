import type { Option } from 'coap-packet';

/** A CoAP uint option value: big-endian in as few bytes as it takes, 0 being empty (RFC 7252 §3.2). */
function uintOption(value: number): Buffer {
  const length = value === 0 ? 0 : value <= 0xff ? 1 : value <= 0xffff ? 2 : value <= 0xffffff ? 3 : 4;
  const out = Buffer.allocUnsafe(length);
  if (length > 0) out.writeUIntBE(value, 0, length);
  return out;
}

export const contentFormat = (format: number): Option => ({ name: 'Content-Format', value: uintOption(format) });
export const accept = (format: number): Option => ({ name: 'Accept', value: uintOption(format) });
export const observe = (sequence: number): Option => ({ name: 'Observe', value: uintOption(sequence) });
export const uriQuery = (query: string): Option => ({ name: 'Uri-Query', value: Buffer.from(query, 'latin1') });

/** One Uri-Path option per segment of `/a/b/c`. */
export function uriPath(path: string): Option[] {
  return path.split('/').filter((s) => s !== '').map((s) => ({ name: 'Uri-Path', value: Buffer.from(s, 'latin1') }));
}

/** One Location-Path option per segment of `/rd/7`. */
export function locationPath(path: string): Option[] {
  return path.split('/').filter((s) => s !== '').map((s) => ({ name: 'Location-Path', value: Buffer.from(s, 'latin1') }));
}
