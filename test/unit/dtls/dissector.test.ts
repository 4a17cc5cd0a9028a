import { describe, expect, it } from 'vitest';
import {
  parseAlert, parseClientHello, parseHandshakes, parseRecords, parseServerHello, suiteName,
} from '../../../src/dtls/index.js';
import { frameBytes } from './vectors.js';

/* The record and handshake dissector (generated from dissectors/dtls.ksy) on bytes of the real capture. */

describe('DTLS records', () => {
  it('one ClientHello record (frame 28): header fields as tshark shows them', () => {
    const { records, error } = parseRecords(frameBytes(28));
    expect(error).toBeNull();
    expect(records).toHaveLength(1);
    const r = records[0];
    expect([r.contentType, r.version, r.epoch, r.sequence, r.fragment.length, r.unified]).toEqual([22, 0xfeff, 0, 0, 64, false]);
  });

  it('three records in one datagram (frame 31: ServerHello, ServerKeyExchange, ServerHelloDone)', () => {
    const { records, error } = parseRecords(frameBytes(31));
    expect(error).toBeNull();
    expect(records.map((r) => [r.contentType, r.version, r.epoch, r.sequence, r.fragment.length])).toEqual([
      [22, 0xfefd, 0, 1, 93], [22, 0xfefd, 0, 2, 24], [22, 0xfefd, 0, 3, 12],
    ]);
    expect(records.flatMap((r) => parseHandshakes(r.fragment).messages.map((m) => m.msgType))).toEqual([2, 12, 14]);
  });

  it('ChangeCipherSpec then the encrypted Finished (frame 35, epochs 0 and 1)', () => {
    const { records } = parseRecords(frameBytes(35));
    expect(records.map((r) => [r.contentType, r.epoch, r.sequence, r.fragment.length])).toEqual([[20, 0, 4, 1], [22, 1, 0, 40]]);
  });

  it('a 48-bit sequence number above 2^32', () => {
    const b = Buffer.from('17fefd00020000ffffff010002aabb', 'hex');
    const [r] = parseRecords(b).records;
    expect([r.epoch, r.sequence]).toEqual([2, 0xffffff01]);
    const big = Buffer.from('17fefd0002123456789abc0000', 'hex');
    expect(parseRecords(big).records[0].sequence).toBe(0x123456789abc);
  });

  it('a connection-ID record (type 25, RFC 9146) with the negotiated CID length', () => {
    const b = Buffer.from('19fefd00010000000000070a0b0c0003010203', 'hex');
    const { records, error } = parseRecords(b, 3);
    expect(error).toBeNull();
    expect(records[0].contentType).toBe(25);
    expect(records[0].connectionId!.toString('hex')).toBe('0a0b0c');
    expect(records[0].fragment.toString('hex')).toBe('010203');
  });

  it('a DTLS 1.3 unified header (001CSLEE) is recognised', () => {
    // C=0, S=1 (16-bit sequence), L=1 (length), epoch bits 3
    const b = Buffer.from('2f12340003aabbcc', 'hex');
    const { records, error } = parseRecords(b);
    expect(error).toBeNull();
    expect(records[0]).toMatchObject({ unified: true, epoch: 3, sequence: 0x1234 });
    expect(records[0].fragment.length).toBe(3);
  });

  it('a record running past the datagram keeps the records before it and names the fault', () => {
    const b = Buffer.concat([frameBytes(33), frameBytes(32).subarray(0, 20)]);
    const { records, error } = parseRecords(b);
    expect(records).toHaveLength(1);
    expect(error).toMatch(/record at offset 14: runs past the end/);
  });
});

describe('DTLS handshake messages', () => {
  it('ClientHello with cookie (frame 30): suites, cookie, extensions', () => {
    const [r] = parseRecords(frameBytes(30)).records;
    const [h] = parseHandshakes(r.fragment).messages;
    expect([h.msgType, h.length, h.messageSeq, h.fragmentOffset, h.body.length]).toEqual([1, 84, 1, 0, 84]);
    const ch = parseClientHello(h.body);
    expect(ch.error).toBeNull();
    expect(ch.value!.version).toBe(0xfefd);
    expect(ch.value!.random.toString('hex')).toBe('87452c4021710528c58175b77d5af01c7c4a9b9d55eabd57d6e8e864e74f9c13');
    expect(ch.value!.cookie.toString('hex')).toBe('c677ca30b46895c93f6b9e55de365eede8ad9d25157cb37ccbf793cbdf32fd29');
    expect(ch.value!.cipherSuites.map(suiteName)).toEqual(['TLS_PSK_WITH_AES_128_CCM_8', 'TLS_PSK_WITH_AES_128_CCM', 'TLS_EMPTY_RENEGOTIATION_INFO_SCSV']);
    expect(ch.value!.extensions.map((e) => e.type)).toEqual([23]);
  });

  it('ServerHello (frame 31): the chosen suite and extensions', () => {
    const [r] = parseRecords(frameBytes(31)).records;
    const sh = parseServerHello(parseHandshakes(r.fragment).messages[0].body);
    expect(sh.error).toBeNull();
    expect(sh.value!.cipherSuite).toBe(0xc0a8);
    expect(sh.value!.sessionId.length).toBe(32);
    expect(sh.value!.extensions.map((e) => e.type)).toEqual([65281, 23]);
  });

  it('a truncated ClientHello is an error, not an exception', () => {
    const [r] = parseRecords(frameBytes(30)).records;
    const body = parseHandshakes(r.fragment).messages[0].body;
    const cut = parseClientHello(body.subarray(0, 50));
    expect(cut.value).toBeNull();
    expect(cut.error).toMatch(/ClientHello: runs past the end/);
  });

  it('a fragment claiming more than its message length', () => {
    // length 16, fragment at offset 12 of length 10
    const bad = Buffer.from('01000010000000000c00000a' + '00'.repeat(10), 'hex');
    expect(parseHandshakes(bad).error).toMatch(/runs past its message length/);
    const short = Buffer.from('0100001000000000000000ff00', 'hex');
    expect(parseHandshakes(short).error).toMatch(/handshake message at offset 0: runs past the end/);
  });

  it('plaintext alert', () => {
    expect(parseAlert(Buffer.from('0228', 'hex')).value).toEqual({ level: 2, description: 40 });
    expect(parseAlert(Buffer.from('02', 'hex')).error).toMatch(/alert/);
  });
});
