import { decodeCoapUdp } from './decode.js';
import type { CoapMessage } from './message.js';

/** DTLS record header (RFC 6347 4.1): content type 20-25, version 1.0 (fe ff) / 1.2 (fe fd) / 1.3 (fe fc). */
export function looksLikeDtls(payload: Buffer): boolean {
  if (payload.length < 13) return false;
  const type = payload[0];
  // 25 is the DTLS 1.2 connection-ID record (RFC 9146).
  return type >= 20 && type <= 25 && payload[1] === 0xfe && payload[2] >= 0xfc;
}

/** Valid code details per class (RFC 7252 12.1 and the IANA CoAP code registries). */
const VALID_DETAILS: Record<number, (d: number) => boolean> = {
  0: (d) => d <= 7,
  2: (d) => (d >= 1 && d <= 5) || d === 31,
  4: (d) => d <= 6 || d === 8 || d === 9 || d === 12 || d === 13 || d === 15 || d === 29,
  5: (d) => d <= 5 || d === 8,
};

/**
 * Heuristic for CoAP on a port that is not a known CoAP port: the whole datagram must decode
 * cleanly as CoAP with a registered code. Wireshark's heuristic is similar; like it, this can
 * be switched off because random UDP payloads pass it now and then.
 */
export function heuristicCoap(payload: Buffer): CoapMessage | null {
  if (payload.length < 4 || payload[0] >> 6 !== 1) return null;
  const code = payload[1];
  const valid = VALID_DETAILS[code >> 5];
  if (!valid || !valid(code & 31)) return null;
  const msg = decodeCoapUdp(payload);
  return msg.error === null ? msg : null;
}
