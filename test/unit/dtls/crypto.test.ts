import { createCipheriv, createHash, createHmac, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  decryptRecord, keyBlock, masterSecret, parseHandshakes, parseRecords, prf, pskPremasterSecret, suiteCipher, type DirectionKeys,
} from '../../../src/dtls/index.js';
import { frameBytes } from './vectors.js';

describe('TLS 1.2 PRF (P_SHA256)', () => {
  it('the published test vector (also what `openssl kdf TLS1-PRF` gives)', () => {
    const out = prf(Buffer.from('9bbe436ba940f017b17652849a71db35', 'hex'), 'test label', Buffer.from('a0ba9f936cda311827a6f796ffd5198c', 'hex'), 100);
    expect(out.toString('hex')).toBe(
      'e3f229ba727be17b8d122620557cd453c2aab21d07c3d495329b52d4e61edb5a6b301791e90d35c9c9a46b4e14baf9af0fa022f7077def17abfd3797c0564bab'
      + '4fbc91666e9def9b97fce34f796789baa48082d122ee42c5a72e5a5110fff70187347b66',
    );
  });

  it('RFC 4279 PSK premaster secret', () => {
    expect(pskPremasterSecret(Buffer.from('736573616d65', 'hex')).toString('hex')).toBe('0006000000000000' + '0006736573616d65');
  });
});

/** The session hash (RFC 7627) and keys of the capture's part 3, derived step by step from the frames. */
function captureKeys() {
  const handshake = (frame: number) => parseRecords(frameBytes(frame)).records.filter((r) => r.epoch === 0 && r.contentType === 22)
    .flatMap((r) => parseHandshakes(r.fragment).messages);
  const full = (m: { msgType: number; length: number; messageSeq: number; body: Buffer }) => {
    const h = Buffer.alloc(12);
    h[0] = m.msgType;
    h.writeUIntBE(m.length, 1, 3);
    h.writeUInt16BE(m.messageSeq, 4);
    h.writeUIntBE(m.length, 9, 3);
    return Buffer.concat([h, m.body]);
  };
  // The ClientHello with the cookie (frame 30), the server's flight (31) and the ClientKeyExchange (32).
  const msgs = [...handshake(30), ...handshake(31), ...handshake(32)];
  const sessionHash = createHash('sha256').update(Buffer.concat(msgs.map(full))).digest();
  const clientRandom = msgs[0].body.subarray(2, 34);
  const serverRandom = msgs[1].body.subarray(2, 34);
  const ms = masterSecret(pskPremasterSecret(Buffer.from('sesame')), clientRandom, serverRandom, sessionHash);
  const kb = keyBlock(ms, clientRandom, serverRandom, 0, 16, 4);
  const cipher = suiteCipher(0xc0a8)!;
  const client: DirectionKeys = { cipher, key: kb.clientKey, iv: kb.clientIv, macKey: kb.clientMacKey, encryptThenMac: false };
  const server: DirectionKeys = { cipher, key: kb.serverKey, iv: kb.serverIv, macKey: kb.serverMacKey, encryptThenMac: false };
  return { client, server };
}

describe('AES-128-CCM-8 (TLS_PSK_WITH_AES_128_CCM_8) on the capture', () => {
  it('decrypts both Finished messages and the CoAP Register and its answer', () => {
    const { client, server } = captureKeys();
    const open = (keys: DirectionKeys, frame: number, index = 0) => {
      const r = parseRecords(frameBytes(frame)).records[index];
      return decryptRecord(keys, r.epoch, r.sequence, r.contentType, r.version, r.fragment);
    };
    const clientFinished = open(client, 34);
    expect(clientFinished.error).toBeNull();
    expect(clientFinished.plaintext!.subarray(0, 4).toString('hex')).toBe('1400000c'); // Finished, 12 bytes of verify_data
    expect(open(server, 35, 1).plaintext!.subarray(0, 4).toString('hex')).toBe('1400000c');
    const register = open(client, 36).plaintext!;
    expect(register[0] >> 6).toBe(1); // CoAP version 1
    expect(register[1]).toBe(0x02); // POST
    expect(register.readUInt16BE(2)).toBe(12854); // tshark's coap.mid
    expect(register.includes(Buffer.from('ep=wk-dtls-ep'))).toBe(true);
    const answer = open(server, 37).plaintext!;
    expect(answer[1]).toBe(0x84); // 4.04
    expect(open(server, 38).plaintext!.toString('hex')).toBe('0100'); // warning close_notify
  });

  it('a wrong key fails authentication instead of giving garbage', () => {
    const { client } = captureKeys();
    const wrong = { ...client, key: Buffer.alloc(16, 1) };
    const r = parseRecords(frameBytes(36)).records[0];
    const out = decryptRecord(wrong, r.epoch, r.sequence, r.contentType, r.version, r.fragment);
    expect(out.plaintext).toBeNull();
    expect(out.error).toMatch(/authentication failed/);
  });

  it('a record too short for nonce and tag', () => {
    const { client } = captureKeys();
    expect(decryptRecord(client, 1, 1, 23, 0xfefd, Buffer.alloc(10)).error).toMatch(/too short/);
  });
});

/*
 * Independent encryption, written here from RFC 5246 6.2.3 and RFC 6655 (not with the code
 * under test), to check the decryptor round trip for the suites the capture does not use.
 */
function seqHeader(epoch: number, seq: number, type: number, length: number): Buffer {
  const b = Buffer.alloc(13);
  b.writeUInt16BE(epoch, 0);
  b.writeUIntBE(seq, 2, 6);
  b[8] = type;
  b.writeUInt16BE(0xfefd, 9);
  b.writeUInt16BE(length, 11);
  return b;
}

function sealCbc(key: Buffer, macKey: Buffer, epoch: number, seq: number, type: number, content: Buffer, etm: boolean): Buffer {
  const iv = randomBytes(16);
  const cipher = (plain: Buffer) => {
    const pad = 15 - (plain.length % 16);
    const padded = Buffer.concat([plain, Buffer.alloc(pad + 1, pad)]);
    const c = createCipheriv('aes-128-cbc', key, iv);
    c.setAutoPadding(false);
    return Buffer.concat([iv, c.update(padded), c.final()]);
  };
  if (!etm) {
    const mac = createHmac('sha256', macKey).update(seqHeader(epoch, seq, type, content.length)).update(content).digest();
    return cipher(Buffer.concat([content, mac]));
  }
  const body = cipher(content);
  const mac = createHmac('sha256', macKey).update(seqHeader(epoch, seq, type, body.length)).update(body).digest();
  return Buffer.concat([body, mac]);
}

function sealAead(algorithm: 'aes-128-ccm' | 'aes-128-gcm', tagLength: number, key: Buffer, salt: Buffer, epoch: number, seq: number, type: number, content: Buffer): Buffer {
  const explicit = randomBytes(8);
  const c = createCipheriv(algorithm as 'aes-128-ccm', key, Buffer.concat([salt, explicit]), { authTagLength: tagLength });
  c.setAAD(seqHeader(epoch, seq, type, content.length), { plaintextLength: content.length });
  const out = Buffer.concat([c.update(content), c.final()]);
  return Buffer.concat([explicit, out, c.getAuthTag()]);
}

describe('round trips with independently written encryption', () => {
  const key = randomBytes(16);
  const macKey = randomBytes(32);
  const coap = Buffer.from('4401303900b1612d0a62', 'hex');

  for (const etm of [false, true]) {
    it(`AES-128-CBC-SHA256 (TLS_PSK_WITH_AES_128_CBC_SHA256)${etm ? ' with encrypt-then-MAC' : ''}`, () => {
      const keys: DirectionKeys = { cipher: suiteCipher(0x00ae)!, key, iv: Buffer.alloc(0), macKey, encryptThenMac: etm };
      for (const content of [coap, Buffer.alloc(0), randomBytes(16), randomBytes(300)]) {
        const sealed = sealCbc(key, macKey, 1, 7, 23, content, etm);
        const out = decryptRecord(keys, 1, 7, 23, 0xfefd, sealed);
        expect(out.error).toBeNull();
        expect(out.plaintext!.equals(content)).toBe(true);
      }
      const sealed = sealCbc(key, macKey, 1, 7, 23, coap, etm);
      // Wrong sequence number: the MAC covers it.
      expect(decryptRecord(keys, 1, 8, 23, 0xfefd, sealed).error).toMatch(/MAC check failed|bad padding/);
      // A flipped ciphertext bit.
      const flipped = Buffer.from(sealed);
      flipped[20] ^= 1;
      expect(decryptRecord(keys, 1, 7, 23, 0xfefd, flipped).plaintext).toBeNull();
      // Not a whole number of blocks.
      expect(decryptRecord(keys, 1, 7, 23, 0xfefd, sealed.subarray(0, sealed.length - 3)).plaintext).toBeNull();
    });
  }

  it('AES-128-CCM-8 and AES-128-CCM', () => {
    const salt = randomBytes(4);
    for (const [suite, tag] of [[0xc0a8, 8], [0xc0a4, 16]] as const) {
      const keys: DirectionKeys = { cipher: suiteCipher(suite)!, key, iv: salt, macKey: Buffer.alloc(0), encryptThenMac: false };
      const sealed = sealAead('aes-128-ccm', tag, key, salt, 1, 3, 23, coap);
      expect(decryptRecord(keys, 1, 3, 23, 0xfefd, sealed).plaintext!.equals(coap)).toBe(true);
      expect(decryptRecord(keys, 1, 4, 23, 0xfefd, sealed).plaintext).toBeNull();
    }
  });

  it('AES-128-GCM', () => {
    const salt = randomBytes(4);
    const keys: DirectionKeys = { cipher: suiteCipher(0x00a8)!, key, iv: salt, macKey: Buffer.alloc(0), encryptThenMac: false };
    const sealed = sealAead('aes-128-gcm', 16, key, salt, 1, 3, 23, coap);
    expect(decryptRecord(keys, 1, 3, 23, 0xfefd, sealed).plaintext!.equals(coap)).toBe(true);
    expect(decryptRecord(keys, 1, 3, 22, 0xfefd, sealed).plaintext).toBeNull();
  });
});
