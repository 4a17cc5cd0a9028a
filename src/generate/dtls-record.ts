import type { Rng } from './prng.js';

const CONTENT_APPLICATION_DATA = 23;
const DTLS_1_2 = 0xfefd;
/** AES-128-CCM-8, the cipher LwM2M's PSK and RPK modes name: an 8-byte explicit nonce and an 8-byte tag. */
const EXPLICIT_NONCE = 8;
const TAG = 8;
const HEADER = 13;

/**
 * DTLS 1.2 application-data records standing in for an encrypted session (established before the
 * capture began, epoch 1): right header and sizes; the "ciphertext" is seeded noise, as opaque
 * to a passive observer as the real thing.
 */
export class DtlsSession {
  private sequence = 0;

  constructor(private readonly rng: Rng) {}

  seal(plaintext: Buffer): Buffer {
    const length = EXPLICIT_NONCE + plaintext.length + TAG;
    const out = Buffer.allocUnsafe(HEADER + length);
    out[0] = CONTENT_APPLICATION_DATA;
    out.writeUInt16BE(DTLS_1_2, 1);
    out.writeUInt16BE(1, 3); // epoch
    out.writeUIntBE(this.sequence++, 5, 6);
    out.writeUInt16BE(length, 11);
    out.writeUIntBE(this.sequence, HEADER, 6); // explicit nonce: commonly the record sequence number
    out.writeUInt16BE(0, HEADER + 6);
    this.rng.bytes(plaintext.length + TAG).copy(out, HEADER + EXPLICIT_NONCE);
    return out;
  }
}
