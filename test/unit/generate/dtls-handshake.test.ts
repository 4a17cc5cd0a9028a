import { describe, expect, it } from 'vitest';
import {
  alert, ALERT_FATAL, ALERT_HANDSHAKE_FAILURE, CLIENT_HELLO, CLIENT_KEY_EXCHANGE, clientHello, CONTENT_ALERT, CONTENT_APPLICATION_DATA,
  CONTENT_CHANGE_CIPHER_SPEC, CONTENT_HANDSHAKE, DtlsSide, protect, pskClientKeyExchange, SERVER_HELLO, SERVER_HELLO_DONE, serverHello,
  TLS_PSK_WITH_3DES_EDE_CBC_SHA, TLS_PSK_WITH_AES_128_CCM_8, TLS_PSK_WITH_NULL_SHA256,
} from '../../../src/generate/dtls-handshake.js';
import { Rng } from '../../../src/generate/prng.js';
import { parseHandshake, parseRecords } from './dtls-parse.js';

describe('DTLS 1.2 handshake records', () => {
  const rng = new Rng(7);

  it('writes a ClientHello an RFC 6347 parser reads field by field', () => {
    const side = new DtlsSide();
    const random = rng.bytes(32);
    const [record] = parseRecords(side.handshake(CLIENT_HELLO, clientHello(random, [TLS_PSK_WITH_AES_128_CCM_8, TLS_PSK_WITH_NULL_SHA256])));
    expect(record).toMatchObject({ type: CONTENT_HANDSHAKE, version: 0xfefd, epoch: 0, sequence: 0 });
    const { msgType, messageSeq, body } = parseHandshake(record.fragment);
    expect([msgType, messageSeq]).toEqual([CLIENT_HELLO, 0]);
    expect(body.readUInt16BE(0)).toBe(0xfefd);
    expect(body.subarray(2, 34).equals(random)).toBe(true);
    let pos = 34;
    expect(body[pos++]).toBe(0); // session id
    expect(body[pos++]).toBe(0); // cookie
    const suitesLength = body.readUInt16BE(pos);
    pos += 2;
    expect([body.readUInt16BE(pos), body.readUInt16BE(pos + 2)]).toEqual([TLS_PSK_WITH_AES_128_CCM_8, TLS_PSK_WITH_NULL_SHA256]);
    pos += suitesLength;
    expect([...body.subarray(pos, pos + 2)]).toEqual([1, 0]); // one compression method: null
    expect(body.readUInt16BE(pos + 2)).toBe(0); // extensions
    expect(body.length).toBe(pos + 4);
  });

  it('numbers records per epoch and handshake messages across the handshake', () => {
    const server = new DtlsSide();
    const flight = Buffer.concat([server.handshake(SERVER_HELLO, serverHello(rng.bytes(32), TLS_PSK_WITH_3DES_EDE_CBC_SHA)), server.handshake(SERVER_HELLO_DONE, Buffer.alloc(0))]);
    const records = parseRecords(flight);
    expect(records.map((r) => [r.epoch, r.sequence])).toEqual([[0, 0], [0, 1]]);
    const hello = parseHandshake(records[0].fragment);
    expect(hello.body.readUInt16BE(2 + 32 + 1)).toBe(TLS_PSK_WITH_3DES_EDE_CBC_SHA);
    expect(hello.body.length).toBe(2 + 32 + 1 + 2 + 1 + 2);
    expect(parseHandshake(records[1].fragment)).toMatchObject({ msgType: SERVER_HELLO_DONE, messageSeq: 1 });

    const client = new DtlsSide();
    client.handshake(CLIENT_HELLO, clientHello(rng.bytes(32), [TLS_PSK_WITH_NULL_SHA256]));
    const third = parseRecords(Buffer.concat([client.handshake(CLIENT_KEY_EXCHANGE, pskClientKeyExchange('meter-00001')), client.changeCipherSpec(), client.finished(TLS_PSK_WITH_NULL_SHA256, rng)]));
    expect(third.map((r) => [r.type, r.epoch, r.sequence])).toEqual([[CONTENT_HANDSHAKE, 0, 1], [CONTENT_CHANGE_CIPHER_SPEC, 0, 2], [CONTENT_HANDSHAKE, 1, 0]]);
    const cke = parseHandshake(third[0].fragment);
    expect(cke.body.readUInt16BE(0)).toBe(11);
    expect(cke.body.subarray(2).toString()).toBe('meter-00001');
    expect([...third[1].fragment]).toEqual([1]);
    // NULL_SHA256 leaves Finished readable: its handshake header, 12 bytes of verify_data, a 32-byte MAC.
    expect(parseHandshake(third[2].fragment.subarray(0, third[2].fragment.length - 32))).toMatchObject({ msgType: 20, messageSeq: 2 });
    expect(parseRecords(client.record(CONTENT_APPLICATION_DATA, Buffer.alloc(5)))[0]).toMatchObject({ epoch: 1, sequence: 1 });
  });

  it('sizes protected fragments as each suite would', () => {
    const plaintext = Buffer.alloc(50);
    expect(protect(TLS_PSK_WITH_NULL_SHA256, plaintext, rng).length).toBe(50 + 32);
    const cbc = protect(TLS_PSK_WITH_3DES_EDE_CBC_SHA, plaintext, rng).length;
    expect(cbc % 8).toBe(0);
    expect(cbc).toBeGreaterThanOrEqual(8 + 50 + 20 + 1);
    expect(cbc).toBeLessThan(8 + 50 + 20 + 1 + 8);
    expect(protect(TLS_PSK_WITH_AES_128_CCM_8, plaintext, rng).length).toBe(8 + 50 + 8);
  });

  it('writes an alert as level and description', () => {
    const [record] = parseRecords(new DtlsSide().record(CONTENT_ALERT, alert(ALERT_FATAL, ALERT_HANDSHAKE_FAILURE)));
    expect(record).toMatchObject({ type: CONTENT_ALERT, epoch: 0 });
    expect([...record.fragment]).toEqual([2, 40]);
  });
});
