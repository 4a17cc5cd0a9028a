import { describe, expect, it } from 'vitest';
import { contentFormatName, decodePayload, hasDecoder } from '../../../src/lwm2m/payload/index.js';

const TEXT = 0;
const OCTETS = 42;
const text = (value: string, basePath: string | null) => decodePayload(TEXT, Buffer.from(value), basePath);

describe('text/plain (0)', () => {
  it('types the value from the registry', () => {
    const cases: Array<[string, string, string, unknown]> = [
      ['/3/0/9', '55', 'integer', 55],
      ['/3/0/9', '-3', 'integer', -3],
      ['/3303/0/5700', '-12.5e1', 'float', -125],
      ['/3303/0/5700', '21', 'float', 21],
      ['/1/0/6', '1', 'boolean', true],
      ['/1/0/6', '0', 'boolean', false],
      ['/3/0/13', '1367491215', 'time', 1367491215],
      ['/1/0/11', '255', 'unsigned', 255],
      ['/1/0/10', '11:0', 'objlnk', '11:0'],
      ['/0/0/3', 'AQID', 'opaque', '010203'],
      ['/3/0/0', 'Open Mobile Alliance', 'string', 'Open Mobile Alliance'],
      ['/3/0/4', '5,"x"', 'none', '5,"x"'],
      ['/31024/10/1', '77', 'string', '77'],
      ['/3/0/6/1', '5', 'integer', 5],
    ];
    for (const [path, value, type, expected] of cases) {
      expect(text(value, path), path).toMatchObject({ records: [{ path, type, value: expected }], error: null });
    }
    expect(text('55', '/3/0/9').records[0].name).toBe('Battery Level');
  });

  it('keeps values that do not parse as their type as strings, with an error', () => {
    for (const [path, value, type] of [['/3/0/9', '5x', 'integer'], ['/1/0/6', 'true', 'boolean'], ['/1/0/11', '-1', 'unsigned'], ['/1/0/10', '11', 'objlnk'], ['/0/0/3', '%%', 'opaque'], ['/3303/0/5700', '1.2.3', 'float']]) {
      expect(text(value, path)).toEqual({
        records: [{ path, name: expect.any(String), type: 'string', value }],
        error: `text/plain value for ${type} resource ${path} does not parse`,
      });
    }
  });

  it('keeps control characters in the value', () => {
    expect(text('a\u001b[31mb\u0000', '/3/0/0').records[0].value).toBe('a\u001b[31mb\u0000');
  });

  it('returns text outside a resource path as data', () => {
    expect(text('2024-01-01 12:00', '/time')).toEqual({ records: [], data: '2024-01-01 12:00', error: null });
    expect(text('x', '/3/0')).toEqual({ records: [], data: 'x', error: null });
    expect(text('x', null)).toEqual({ records: [], data: 'x', error: null });
  });
});

describe('octet-stream (42)', () => {
  it('is one opaque record at the resource path', () => {
    expect(decodePayload(OCTETS, Buffer.from([0, 1, 0xff]), '/5/0/0')).toEqual({
      records: [{ path: '/5/0/0', name: 'Package', type: 'opaque', value: '0001ff' }],
      error: null,
    });
  });

  it('returns hex as data outside a resource path', () => {
    expect(decodePayload(OCTETS, Buffer.from([0xab]), '/example_data')).toEqual({ records: [], data: 'ab', error: null });
  });
});

describe('decodePayload dispatch', () => {
  it('reads a body without Content-Format as text/plain on a resource path only', () => {
    expect(decodePayload(null, Buffer.from('55'), '/3/0/9').records).toEqual([{ path: '/3/0/9', name: 'Battery Level', type: 'integer', value: 55 }]);
    expect(decodePayload(null, Buffer.from('55'), '/3/0')).toEqual({ records: [], error: null });
    expect(decodePayload(null, Buffer.from('55'), null)).toEqual({ records: [], error: null });
    expect(decodePayload(null, Buffer.alloc(0), '/3/0/9')).toEqual({ records: [], error: null });
  });

  it('decodes nothing, without an error, for formats it does not know', () => {
    for (const cf of [41, 47, 50, 65000]) {
      expect(hasDecoder(cf)).toBe(false);
      expect(decodePayload(cf, Buffer.from('{"a":1}'), '/3/0/9')).toEqual({ records: [], error: null });
    }
    for (const cf of [0, 40, 42, 60, 110, 112, 1542, 1543, 11542, 11543, 11544]) expect(hasDecoder(cf)).toBe(true);
  });

  it('names content formats by the IANA registry', () => {
    expect(contentFormatName(0)).toBe('text/plain;charset=utf-8');
    expect(contentFormatName(40)).toBe('application/link-format');
    expect(contentFormatName(41)).toBe('application/xml');
    expect(contentFormatName(42)).toBe('application/octet-stream');
    expect(contentFormatName(47)).toBe('application/exi');
    expect(contentFormatName(50)).toBe('application/json');
    expect(contentFormatName(60)).toBe('application/cbor');
    expect(contentFormatName(110)).toBe('application/senml+json');
    expect(contentFormatName(112)).toBe('application/senml+cbor');
    expect(contentFormatName(11542)).toBe('application/vnd.oma.lwm2m+tlv');
    expect(contentFormatName(11543)).toBe('application/vnd.oma.lwm2m+json');
    expect(contentFormatName(11544)).toBe('application/vnd.oma.lwm2m+cbor');
    expect(contentFormatName(1542)).toMatch(/^application\/vnd\.oma\.lwm2m\+tlv/);
    expect(contentFormatName(1543)).toMatch(/^application\/vnd\.oma\.lwm2m\+json/);
    expect(contentFormatName(65000)).toBe('unknown');
  });
});
