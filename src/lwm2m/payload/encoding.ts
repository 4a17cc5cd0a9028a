const BASE64 = /^[A-Za-z0-9+/_-]*={0,2}$/;

/**
 * Hex of a base64 or base64url string (SenML vd, LwM2M text/plain and JSON opaque
 * values); null when the text is not base64. Buffer.from alone would silently skip
 * invalid characters.
 */
export function base64ToHex(text: string): string | null {
  if (!BASE64.test(text) || text.replace(/=+$/, '').length % 4 === 1) return null;
  return Buffer.from(text, 'base64').toString('hex');
}

/** Lower-case hex of bytes, without copying them. */
export function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}
