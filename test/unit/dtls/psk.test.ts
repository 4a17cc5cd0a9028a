import { describe, expect, it } from 'vitest';
import { parsePskFile, parsePskSpec, pskKeys } from '../../../src/dtls/index.js';

describe('--psk IDENTITY:HEXKEY', () => {
  it('splits on the last ":", so identities may contain ":"', () => {
    expect(parsePskSpec('wk-dtls-ep:736573616d65')).toEqual({ identity: 'wk-dtls-ep', key: Buffer.from('sesame') });
    expect(parsePskSpec('urn:imei:490154203237518:0x0A0b')).toEqual({ identity: 'urn:imei:490154203237518', key: Buffer.from([10, 11]) });
  });

  it('names the problem and never the key', () => {
    for (const [spec, problem] of [
      ['nocolon', /no ":" found/], [':00', /empty PSK identity/], ['id:', /no key/], ['id:xyz1', /not hex/], ['id:123', /odd number/],
      ['id:' + '00'.repeat(1025), /longer than 1024 bytes/],
    ] as const) {
      expect(() => parsePskSpec(spec), spec).toThrow(problem);
      try {
        parsePskSpec(spec);
      } catch (err) {
        const key = spec.slice(spec.lastIndexOf(':') + 1);
        if (key.length > 0) expect((err as Error).message).not.toContain(key);
      }
    }
  });

  it('a file: comments, blank lines, CRLF, line numbers in errors; later entries win', () => {
    const entries = parsePskFile('# keys\r\n\r\na:01\r\n  b:02  \r\na:03\r\n');
    expect(pskKeys(entries)).toEqual(new Map([['a', Buffer.from([3])], ['b', Buffer.from([2])]]));
    expect(() => parsePskFile('a:01\n# x\nb:zz\n')).toThrow(/^line 3: key for PSK identity "b" is not hex$/);
  });
});
