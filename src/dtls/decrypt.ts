import type { Datagram } from '../decode/types.js';
import { decryptRecord } from './cipher.js';
import { deriveKeys } from './keys.js';
import type { DtlsRecord } from './parser.js';
import type { Side, Tracked } from './sessions.js';
import type { PskKeys } from './types.js';

/**
 * The plaintext of an encrypted record `r` of datagram `d`, sent by `sender`: a Buffer; null
 * when it cannot be decrypted (no keys given, an unsupported suite, decryption failed before);
 * undefined when decryption failed just now (the session is marked failed and its keys
 * dropped, so that one wrong key costs one failed attempt, not one per record).
 * Keys are derived on the first encrypted record, once the handshake has been seen.
 */
export function decryptSessionRecord(t: Tracked, d: Datagram, r: DtlsRecord, sender: Side, keys: PskKeys): Buffer | null | undefined {
  if (t.s.decryption === 'failed') return null;
  if (!t.keysTried && keys.size > 0) {
    t.keysTried = true;
    deriveKeys(t, keys);
  }
  if (sender.keys === null) return null;
  const out = decryptRecord(sender.keys, r.epoch, r.sequence, r.contentType, r.version, r.fragment);
  if (out.error !== null) {
    t.s.decryption = 'failed';
    t.s.decryptionError = `${d.src === t.s.client ? 'client' : 'server'} record (frame ${d.frame}, epoch ${r.epoch}, sequence ${r.sequence}): ${out.error} — wrong key for PSK identity ${JSON.stringify(t.s.pskIdentity)}?`;
    t.client.keys = null;
    t.server.keys = null;
    return undefined;
  }
  t.s.decryption = 'ok';
  return out.plaintext;
}
