import { createDecipheriv, createHmac, timingSafeEqual } from 'node:crypto';

/** How a suite protects records; only suites whose keys follow from the PSK alone are listed. */
export interface SuiteCipher {
  algorithm: 'aes-128-ccm' | 'aes-128-gcm' | 'aes-128-cbc';
  /** AEAD tag bytes (0 for CBC). */
  tagLength: number;
  /** HMAC-SHA256 bytes (0 for AEAD). */
  macLength: number;
  keyLength: number;
  /** Implicit nonce part from the key block (the 4-byte salt of AES-CCM/GCM). */
  fixedIvLength: number;
}

const CIPHERS: Record<number, SuiteCipher> = {
  0xc0a8: { algorithm: 'aes-128-ccm', tagLength: 8, macLength: 0, keyLength: 16, fixedIvLength: 4 }, // TLS_PSK_WITH_AES_128_CCM_8
  0xc0a4: { algorithm: 'aes-128-ccm', tagLength: 16, macLength: 0, keyLength: 16, fixedIvLength: 4 }, // TLS_PSK_WITH_AES_128_CCM
  0x00a8: { algorithm: 'aes-128-gcm', tagLength: 16, macLength: 0, keyLength: 16, fixedIvLength: 4 }, // TLS_PSK_WITH_AES_128_GCM_SHA256
  0x00ae: { algorithm: 'aes-128-cbc', tagLength: 0, macLength: 32, keyLength: 16, fixedIvLength: 0 }, // TLS_PSK_WITH_AES_128_CBC_SHA256
};

export function suiteCipher(id: number): SuiteCipher | null {
  return CIPHERS[id] ?? null;
}

/** One direction's record protection keys. */
export interface DirectionKeys {
  cipher: SuiteCipher;
  key: Buffer;
  iv: Buffer;
  macKey: Buffer;
  /** RFC 7366 encrypt-then-MAC, negotiated by both hellos (CBC suites only). */
  encryptThenMac: boolean;
}

export type Decrypted = { plaintext: Buffer; error: null } | { plaintext: null; error: string };

const EXPLICIT_NONCE = 8;
const BLOCK = 16;

/** The 64-bit DTLS sequence number: epoch (16 bits) then sequence (48 bits), RFC 6347 4.1.2.1. */
function seqNum(epoch: number, seq: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeUInt16BE(epoch, 0);
  b.writeUIntBE(seq, 2, 6);
  return b;
}

/** seq_num + type + version + length: the AEAD additional data and the head of the MAC input. */
export function recordPseudoHeader(epoch: number, seq: number, type: number, version: number, length: number): Buffer {
  const b = Buffer.alloc(13);
  seqNum(epoch, seq).copy(b, 0);
  b[8] = type;
  b.writeUInt16BE(version, 9);
  b.writeUInt16BE(length, 11);
  return b;
}

/** Decrypts and authenticates one DTLS 1.2 record fragment; never throws. */
export function decryptRecord(keys: DirectionKeys, epoch: number, seq: number, type: number, version: number, fragment: Buffer): Decrypted {
  try {
    return keys.cipher.algorithm === 'aes-128-cbc'
      ? decryptCbc(keys, epoch, seq, type, version, fragment)
      : decryptAead(keys, epoch, seq, type, version, fragment);
  } catch {
    return { plaintext: null, error: 'authentication failed' };
  }
}

function decryptAead(keys: DirectionKeys, epoch: number, seq: number, type: number, version: number, fragment: Buffer): Decrypted {
  const tagLength = keys.cipher.tagLength;
  const length = fragment.length - EXPLICIT_NONCE - tagLength;
  if (length < 0) return { plaintext: null, error: `record of ${fragment.length} bytes is too short for its nonce and tag` };
  const nonce = Buffer.concat([keys.iv, fragment.subarray(0, EXPLICIT_NONCE)]);
  const ciphertext = fragment.subarray(EXPLICIT_NONCE, EXPLICIT_NONCE + length);
  const tag = fragment.subarray(EXPLICIT_NONCE + length);
  const aad = recordPseudoHeader(epoch, seq, type, version, length);
  if (keys.cipher.algorithm === 'aes-128-ccm') {
    const d = createDecipheriv('aes-128-ccm', keys.key, nonce, { authTagLength: tagLength });
    d.setAuthTag(tag);
    d.setAAD(aad, { plaintextLength: length });
    const out = d.update(ciphertext);
    d.final();
    return { plaintext: out, error: null };
  }
  const d = createDecipheriv('aes-128-gcm', keys.key, nonce, { authTagLength: tagLength });
  d.setAuthTag(tag);
  d.setAAD(aad);
  const out = Buffer.concat([d.update(ciphertext), d.final()]);
  return { plaintext: out, error: null };
}

function hmac(keys: DirectionKeys, header: Buffer, body: Buffer): Buffer {
  return createHmac('sha256', keys.macKey).update(header).update(body).digest().subarray(0, keys.cipher.macLength);
}

function decryptCbc(keys: DirectionKeys, epoch: number, seq: number, type: number, version: number, fragment: Buffer): Decrypted {
  const macLength = keys.cipher.macLength;
  let body = fragment;
  if (keys.encryptThenMac) {
    // RFC 7366: IV + ciphertext, then the MAC over them.
    if (fragment.length < BLOCK * 2 + macLength) return { plaintext: null, error: `record of ${fragment.length} bytes is too short` };
    body = fragment.subarray(0, fragment.length - macLength);
    const mac = fragment.subarray(fragment.length - macLength);
    const expected = hmac(keys, recordPseudoHeader(epoch, seq, type, version, body.length), body);
    if (!timingSafeEqual(mac, expected)) return { plaintext: null, error: 'MAC check failed' };
  }
  if (body.length < BLOCK * 2 || body.length % BLOCK !== 0) return { plaintext: null, error: `CBC record of ${body.length} bytes is not a whole number of blocks` };
  const d = createDecipheriv('aes-128-cbc', keys.key, body.subarray(0, BLOCK));
  d.setAutoPadding(false);
  const plain = Buffer.concat([d.update(body.subarray(BLOCK)), d.final()]);
  const pad = plain[plain.length - 1];
  const tail = pad + 1 + (keys.encryptThenMac ? 0 : macLength);
  if (tail > plain.length) return { plaintext: null, error: 'bad padding' };
  for (let i = plain.length - 1 - pad; i < plain.length - 1; i++) {
    if (plain[i] !== pad) return { plaintext: null, error: 'bad padding' };
  }
  const content = plain.subarray(0, plain.length - tail);
  if (!keys.encryptThenMac) {
    const mac = plain.subarray(content.length, content.length + macLength);
    const expected = hmac(keys, recordPseudoHeader(epoch, seq, type, version, content.length), content);
    if (!timingSafeEqual(mac, expected)) return { plaintext: null, error: 'MAC check failed' };
  }
  return { plaintext: content, error: null };
}
