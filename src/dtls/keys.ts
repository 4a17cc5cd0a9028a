import { suiteCipher } from './cipher.js';
import { keyBlock, masterSecret, pskPremasterSecret } from './prf.js';
import type { Tracked } from './sessions.js';
import { isEphemeralSuite } from './suites.js';
import type { PskKeys } from './types.js';

const EXT_ENCRYPT_THEN_MAC = 22;
const EXT_EXTENDED_MASTER_SECRET = 23;

/**
 * The key schedule (RFC 5246 8.1 and 6.3, RFC 4279, RFC 7627): from the PSK given for the
 * session's identity and the handshake it saw, the record keys of both directions, set on the
 * session's sides. Whatever is missing goes into `decryptionError` instead.
 */
export function deriveKeys(t: Tracked, keys: PskKeys): void {
  const s = t.s;
  if (s.pskIdentity === null) {
    s.decryptionError = t.clientHello ? 'no PSK identity seen' : 'handshake not seen: keys cannot be derived';
    return;
  }
  const psk = keys.get(s.pskIdentity);
  if (psk === undefined) {
    s.decryptionError = 'no key given for this PSK identity';
    return;
  }
  const cipher = s.cipherSuiteId === null ? null : suiteCipher(s.cipherSuiteId);
  if (cipher === null || s.cipherSuite === null) {
    s.decryptionError = s.cipherSuite !== null && isEphemeralSuite(s.cipherSuite)
      ? `${s.cipherSuite} is forward secret: the PSK alone does not give the keys`
      : `decryption of ${s.cipherSuite ?? 'this suite'} is not supported`;
    return;
  }
  if (t.clientRandom === null || t.serverRandom === null) {
    s.decryptionError = 'hello randoms not seen';
    return;
  }
  const ems = t.clientExtensions.has(EXT_EXTENDED_MASTER_SECRET) && t.serverExtensions.has(EXT_EXTENDED_MASTER_SECRET);
  if (ems && t.sessionHash === null) {
    s.decryptionError = 'extended master secret: handshake messages missing';
    return;
  }
  const master = masterSecret(pskPremasterSecret(psk), t.clientRandom, t.serverRandom, ems ? t.sessionHash : null);
  const kb = keyBlock(master, t.clientRandom, t.serverRandom, cipher.macLength, cipher.keyLength, cipher.fixedIvLength);
  const etm = cipher.algorithm === 'aes-128-cbc' && t.clientExtensions.has(EXT_ENCRYPT_THEN_MAC) && t.serverExtensions.has(EXT_ENCRYPT_THEN_MAC);
  t.client.keys = { cipher, key: kb.clientKey, iv: kb.clientIv, macKey: kb.clientMacKey, encryptThenMac: etm };
  t.server.keys = { cipher, key: kb.serverKey, iv: kb.serverIv, macKey: kb.serverMacKey, encryptThenMac: etm };
  s.decryptionError = null;
}
