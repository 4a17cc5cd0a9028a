import { describe, expect, it } from 'vitest';
import { decodeCoapTcp, decodeCoapUdp } from '../../../src/coap/decode.js';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const ascii = (s: string) => Buffer.from(s, 'ascii').toString('hex');

describe('decodeCoapUdp: RFC 7252 appendix A examples', () => {
  it('A.1 confirmable GET with Uri-Path "temperature", no token', () => {
    const m = decodeCoapUdp(hex(`40 01 7d 34 bb ${ascii('temperature')}`));
    expect(m.error).toBeNull();
    expect(m.type).toBe('CON');
    expect(m.code).toBe(1);
    expect(m.mid).toBe(0x7d34);
    expect(m.token).toBe('');
    expect(m.options).toEqual([{ number: 11, name: 'Uri-Path', value: 'temperature' }]);
    expect(m.uriPath).toBe('/temperature');
    expect(m.payload.length).toBe(0);
  });

  it('A.1 piggybacked 2.05 response with payload "22.3 C"', () => {
    const m = decodeCoapUdp(hex(`60 45 7d 34 ff ${ascii('22.3 C')}`));
    expect(m.error).toBeNull();
    expect(m.type).toBe('ACK');
    expect(m.code).toBe(0x45);
    expect(m.payload.toString()).toBe('22.3 C');
    expect(m.uriPath).toBeNull();
  });

  it('A.2 GET with a one-byte token', () => {
    const m = decodeCoapUdp(hex(`41 01 7d 34 20 bb ${ascii('temperature')}`));
    expect(m.token).toBe('20');
    expect(m.uriPath).toBe('/temperature');
  });

  it('request without Uri-Path addresses the root', () => {
    expect(decodeCoapUdp(hex('40 01 00 01')).uriPath).toBe('/');
  });

  it('empty message (ping) and reset', () => {
    const ping = decodeCoapUdp(hex('40 00 12 34'));
    expect(ping.error).toBeNull();
    expect(ping.code).toBe(0);
    const rst = decodeCoapUdp(hex('70 00 12 34'));
    expect(rst.type).toBe('RST');
  });
});

describe('decodeCoapUdp: option encodings', () => {
  it('extended delta (13) and extended length (13, 14)', () => {
    // Option 60 (Size1): delta 60 = 13 + 47 → nibble 13, ext byte 0x2f; value 2 bytes 0x01e0 (480)
    const m = decodeCoapUdp(hex('40 02 00 01 d2 2f 01 e0'));
    expect(m.error).toBeNull();
    expect(m.options).toEqual([{ number: 60, name: 'Size1', value: 480 }]);
    expect(m.size1).toBe(480);
    // Uri-Path of 20 bytes: length nibble 13, ext 7
    const seg = 'a'.repeat(20);
    const m2 = decodeCoapUdp(hex(`40 01 00 01 bd 07 ${ascii(seg)}`));
    expect(m2.uriPath).toBe('/' + seg);
    // Uri-Path of 300 bytes: length nibble 14, ext = 300 - 269 = 31
    const long = 'b'.repeat(300);
    const m3 = decodeCoapUdp(hex(`40 01 00 01 be 00 1f ${ascii(long)}`));
    expect(m3.error).toBeNull();
    expect(m3.uriPath).toBe('/' + long);
  });

  it('extended delta 14 reaches Echo (252), No-Response (258) and Request-Tag (292)', () => {
    // 252 = 13 + 239 → d 13 ext 0xef; Echo opaque 2 bytes
    // then 258 - 252 = 6 → d 6, No-Response uint 1 byte 0x02
    // then 292 - 258 = 34 = 13 + 21 → d 13 ext 0x15; Request-Tag 1 byte 0xab
    const m = decodeCoapUdp(hex('40 01 00 01 d2 ef 12 34 61 02 d1 15 ab'));
    expect(m.error).toBeNull();
    expect(m.options).toEqual([
      { number: 252, name: 'Echo', value: '1234' },
      { number: 258, name: 'No-Response', value: 2 },
      { number: 292, name: 'Request-Tag', value: 'ab' },
    ]);
    expect(m.requestTag).toBe('ab');
    // Delta nibble 14: option 269 + 0 = 269 (unregistered, odd: critical), value kept as hex
    const u = decodeCoapUdp(hex('40 01 00 01 e1 00 00 ff'));
    expect(u.options).toEqual([{ number: 269, name: 'Unknown-269', value: 'ff' }]);
  });

  it('Observe, Block1/Block2 (RFC 7959 2.2), Content-Format, Accept, Uri-Query, Location-Path', () => {
    // Observe(6)=0x0102 (len 2); Location-Path(8) "rd"; Uri-Path(11) "3"; Content-Format(12)=11542 (0x2d16);
    // Uri-Query(15) "pmin=1"; Accept(17)=40; Block2(23)=num 5 M=1 SZX 2 → 0x5a; Block1(27)=num 1 M=0 SZX 6 → 0x16
    const m = decodeCoapUdp(hex(`41 45 00 07 aa 62 01 02 22 ${ascii('rd')} 31 ${ascii('3')} 12 2d 16 36 ${ascii('pmin=1')} 21 28 61 5a 41 16 ff 00`));
    expect(m.error).toBeNull();
    expect(m.observe).toBe(0x0102);
    expect(m.locationPath).toBe('/rd');
    expect(m.contentFormat).toBe(11542);
    expect(m.uriQuery).toEqual(['pmin=1']);
    expect(m.accept).toBe(40);
    expect(m.block2).toEqual({ num: 5, more: true, size: 64 });
    expect(m.block1).toEqual({ num: 1, more: false, size: 1024 });
    expect(m.payload).toEqual(hex('00'));
  });

  it('zero-length uint option is 0 (Observe register)', () => {
    const m = decodeCoapUdp(hex('40 01 00 01 60'));
    expect(m.observe).toBe(0);
    expect(m.options[0]).toEqual({ number: 6, name: 'Observe', value: 0 });
  });

  it('If-None-Match is an empty option', () => {
    expect(decodeCoapUdp(hex('40 03 00 01 50')).options[0]).toEqual({ number: 5, name: 'If-None-Match', value: '' });
  });
});

describe('decodeCoapUdp: malformed messages are reported, never thrown', () => {
  const cases: Array<[string, string, RegExp]> = [
    ['shorter than the header', '40 01', /shorter than the 4-byte header/],
    ['wrong version', '80 01 00 01', /version 2/],
    ['token length > 8', '49 01 00 01 01 02 03 04 05 06 07 08 09', /token length 9 is reserved/],
    ['token runs past the end', '44 01 00 01 aa', /token of 4 bytes runs past the end/],
    ['option delta nibble 15', '40 01 00 01 f1 00', /reserved option delta nibble 15/],
    ['option length nibble 15', '40 01 00 01 bf', /reserved option length nibble 15/],
    ['option value past the end', '40 01 00 01 b5 61 62', /option 11 \(Uri-Path\) runs 3 bytes past the end/],
    ['extended delta byte missing', '40 01 00 01 d0', /option header after option 0 runs past the end/],
    ['payload marker with no payload', '40 01 00 01 ff', /payload marker with no payload/],
    ['empty message with a token', '41 00 00 01 aa', /empty message/],
  ];
  for (const [what, bytes, reason] of cases) {
    it(what, () => {
      const m = decodeCoapUdp(hex(bytes));
      expect(m.error).toMatch(reason);
    });
  }

  it('keeps options decoded before the fault', () => {
    const m = decodeCoapUdp(hex(`40 01 00 01 b2 ${ascii('rd')} 4f`));
    expect(m.error).toMatch(/nibble 15/);
    expect(m.options).toHaveLength(1);
    expect(m.uriPath).toBe('/rd');
  });
});

describe('decodeCoapTcp (RFC 8323 3.2)', () => {
  it('decodes a GET with token and Uri-Path', () => {
    // Len = 3 (option b2 'rd'), TKL 1; code 0.01; token 0x42
    const m = decodeCoapTcp(hex(`31 01 42 b2 ${ascii('rd')}`));
    expect(m.error).toBeNull();
    expect(m.type).toBeNull();
    expect(m.mid).toBeNull();
    expect(m.token).toBe('42');
    expect(m.uriPath).toBe('/rd');
  });

  it('decodes extended length 13 with payload, and a CSM signal (7.01)', () => {
    const payload = 'x'.repeat(20);
    // body = ff + 20 bytes = 21 = 13 + 8
    const m = decodeCoapTcp(hex(`d0 08 45 ff ${ascii(payload)}`));
    expect(m.error).toBeNull();
    expect(m.code).toBe(0x45);
    expect(m.payload.toString()).toBe(payload);
    const csm = decodeCoapTcp(hex('00 e1'));
    expect(csm.code).toBe(0xe1);
    expect(csm.error).toBeNull();
  });
});
