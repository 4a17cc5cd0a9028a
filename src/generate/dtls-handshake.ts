import type { Rng } from './prng.js';

/**
 * DTLS 1.2 (RFC 6347) records in the standard wire format, enough to write the handshake a passive
 * observer sees: ClientHello, ServerHello, ServerHelloDone, a PSK ClientKeyExchange (RFC 4279),
 * ChangeCipherSpec, alerts, and protected (epoch ≥ 1) records whose contents are seeded noise of
 * the size the negotiated suite gives them.
 */
export const DTLS_1_2 = 0xfefd;
export const CONTENT_CHANGE_CIPHER_SPEC = 20;
export const CONTENT_ALERT = 21;
export const CONTENT_HANDSHAKE = 22;
export const CONTENT_APPLICATION_DATA = 23;

export const CLIENT_HELLO = 1;
export const SERVER_HELLO = 2;
export const SERVER_HELLO_DONE = 14;
export const CLIENT_KEY_EXCHANGE = 16;
export const FINISHED = 20;

export const ALERT_FATAL = 2;
export const ALERT_BAD_RECORD_MAC = 20;
export const ALERT_HANDSHAKE_FAILURE = 40;

/** Cipher suites (IANA TLS registry) the meters and servers name. */
export const TLS_PSK_WITH_AES_128_CCM_8 = 0xc0a8;
export const TLS_PSK_WITH_AES_128_CBC_SHA256 = 0x00ae;
export const TLS_PSK_WITH_3DES_EDE_CBC_SHA = 0x008b;
export const TLS_PSK_WITH_NULL_SHA256 = 0x00b0;

/** type(1) version(2) epoch(2) sequence_number(6) length(2). */
export const RECORD_HEADER = 13;
/** msg_type(1) length(3) message_seq(2) fragment_offset(3) fragment_length(3). */
export const HANDSHAKE_HEADER = 12;
const RANDOM = 32;

/** One record: the header, then `fragment` as is. */
export function dtlsRecord(type: number, epoch: number, sequence: number, fragment: Buffer): Buffer {
  const out = Buffer.allocUnsafe(RECORD_HEADER + fragment.length);
  out[0] = type;
  out.writeUInt16BE(DTLS_1_2, 1);
  out.writeUInt16BE(epoch, 3);
  out.writeUIntBE(sequence, 5, 6);
  out.writeUInt16BE(fragment.length, 11);
  fragment.copy(out, RECORD_HEADER);
  return out;
}

/** One handshake message, unfragmented (offset 0, fragment length = length). */
export function handshakeMessage(msgType: number, messageSeq: number, body: Buffer): Buffer {
  const out = Buffer.allocUnsafe(HANDSHAKE_HEADER + body.length);
  out[0] = msgType;
  out.writeUIntBE(body.length, 1, 3);
  out.writeUInt16BE(messageSeq, 4);
  out.writeUIntBE(0, 6, 3);
  out.writeUIntBE(body.length, 9, 3);
  body.copy(out, HANDSHAKE_HEADER);
  return out;
}

const uint16 = (value: number) => Buffer.from([value >> 8, value & 0xff]);

/** ClientHello body: version, random, empty session id, empty cookie, the suites, compression [null], no extensions. */
export function clientHello(random: Buffer, suites: number[]): Buffer {
  return Buffer.concat([
    uint16(DTLS_1_2), random.subarray(0, RANDOM),
    Buffer.from([0]), // session_id<0..32>
    Buffer.from([0]), // cookie<0..2^8-1>
    uint16(suites.length * 2), ...suites.map(uint16),
    Buffer.from([1, 0]), // compression_methods<1..2^8-1>: null
    uint16(0), // extensions<0..2^16-1>
  ]);
}

/** ServerHello body: version, random, empty session id (not resumable), the chosen suite, null compression, no extensions. */
export function serverHello(random: Buffer, suite: number): Buffer {
  return Buffer.concat([uint16(DTLS_1_2), random.subarray(0, RANDOM), Buffer.from([0]), uint16(suite), Buffer.from([0]), uint16(0)]);
}

/** ClientKeyExchange body in a PSK suite (RFC 4279 §2): the PSK identity, a uint16-length string. */
export function pskClientKeyExchange(identity: string): Buffer {
  const id = Buffer.from(identity, 'utf8');
  return Buffer.concat([uint16(id.length), id]);
}

/** ChangeCipherSpec's whole fragment. */
export const CHANGE_CIPHER_SPEC = Buffer.from([1]);

export function alert(level: number, description: number): Buffer {
  return Buffer.from([level, description]);
}

/**
 * The fragment of a record protected with `suite`: the plaintext itself and a 32-byte MAC under
 * NULL_SHA256; an 8-byte IV and the CBC-padded ciphertext of plaintext + SHA-1 MAC under 3DES;
 * an 8-byte explicit nonce, the ciphertext and an 8-byte tag under CCM_8 (the default). Ciphertext,
 * MACs and tags are noise from `rng`.
 */
export function protect(suite: number, plaintext: Buffer, rng: Rng): Buffer {
  switch (suite) {
    case TLS_PSK_WITH_NULL_SHA256:
      return Buffer.concat([plaintext, rng.bytes(32)]);
    case TLS_PSK_WITH_3DES_EDE_CBC_SHA:
    case TLS_PSK_WITH_AES_128_CBC_SHA256: {
      const [block, mac] = suite === TLS_PSK_WITH_3DES_EDE_CBC_SHA ? [8, 20] : [16, 32];
      // At least one byte of padding (its length byte), up to a whole number of blocks.
      return rng.bytes(block + Math.ceil((plaintext.length + mac + 1) / block) * block);
    }
    default:
      return Buffer.concat([rng.bytes(8), rng.bytes(plaintext.length + 8)]);
  }
}

/** Records of one side of a session: sequence numbers per epoch, handshake message_seq across the handshake. */
export class DtlsSide {
  private epoch = 0;
  private sequence = 0;
  private messageSeq = 0;

  record(type: number, fragment: Buffer): Buffer {
    return dtlsRecord(type, this.epoch, this.sequence++, fragment);
  }

  handshake(msgType: number, body: Buffer): Buffer {
    return this.record(CONTENT_HANDSHAKE, handshakeMessage(msgType, this.messageSeq++, body));
  }

  /** ChangeCipherSpec, after which records go out at the next epoch, numbered from 0. */
  changeCipherSpec(): Buffer {
    const out = this.record(CONTENT_CHANGE_CIPHER_SPEC, CHANGE_CIPHER_SPEC);
    this.epoch++;
    this.sequence = 0;
    return out;
  }

  /** Finished, protected: its 12-byte verify_data is noise. */
  finished(suite: number, rng: Rng): Buffer {
    const message = handshakeMessage(FINISHED, this.messageSeq++, rng.bytes(12));
    return this.record(CONTENT_HANDSHAKE, protect(suite, message, rng));
  }
}
