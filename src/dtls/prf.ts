import { createHmac } from 'node:crypto';

/** P_SHA256 (RFC 5246 5): HMAC-SHA256 expansion of `secret` over `seed` to `length` bytes. */
export function pSha256(secret: Buffer, seed: Buffer, length: number): Buffer {
  const out = Buffer.alloc(length);
  let a = seed;
  let filled = 0;
  while (filled < length) {
    a = createHmac('sha256', secret).update(a).digest();
    const block = createHmac('sha256', secret).update(a).update(seed).digest();
    filled += block.copy(out, filled);
  }
  return out;
}

/** The TLS 1.2 PRF with SHA-256 (every suite coapwatch decrypts uses it). */
export function prf(secret: Buffer, label: string, seed: Buffer, length: number): Buffer {
  return pSha256(secret, Buffer.concat([Buffer.from(label, 'latin1'), seed]), length);
}

/** RFC 4279 2: the premaster secret of a plain PSK suite: uint16 N, N zero bytes, uint16 N, the PSK. */
export function pskPremasterSecret(psk: Buffer): Buffer {
  const n = psk.length;
  const out = Buffer.alloc(4 + 2 * n);
  out.writeUInt16BE(n, 0);
  out.writeUInt16BE(n, 2 + n);
  psk.copy(out, 4 + n);
  return out;
}

/**
 * The master secret (RFC 5246 8.1), or with the extended master secret extension (RFC 7627 4)
 * the one bound to the hash of the handshake up to the ClientKeyExchange.
 */
export function masterSecret(premaster: Buffer, clientRandom: Buffer, serverRandom: Buffer, sessionHash: Buffer | null): Buffer {
  return sessionHash !== null
    ? prf(premaster, 'extended master secret', sessionHash, 48)
    : prf(premaster, 'master secret', Buffer.concat([clientRandom, serverRandom]), 48);
}

export interface KeyBlock {
  clientMacKey: Buffer;
  serverMacKey: Buffer;
  clientKey: Buffer;
  serverKey: Buffer;
  clientIv: Buffer;
  serverIv: Buffer;
}

/** RFC 5246 6.3: the key block cut into MAC keys, encryption keys and implicit IVs (salts). */
export function keyBlock(master: Buffer, clientRandom: Buffer, serverRandom: Buffer, macLength: number, keyLength: number, ivLength: number): KeyBlock {
  const block = prf(master, 'key expansion', Buffer.concat([serverRandom, clientRandom]), 2 * (macLength + keyLength + ivLength));
  let at = 0;
  const take = (n: number) => block.subarray(at, (at += n));
  return {
    clientMacKey: take(macLength),
    serverMacKey: take(macLength),
    clientKey: take(keyLength),
    serverKey: take(keyLength),
    clientIv: take(ivLength),
    serverIv: take(ivLength),
  };
}
