import { Encoder } from 'cbor-x';
import { describe, expect, it } from 'vitest';
import { MAX_CBOR_DEPTH, nestedDeeperThan } from '../../../src/lwm2m/payload/cbor.js';
import { decodePayload } from '../../../src/lwm2m/payload/index.js';

const hex = (text: string) => Buffer.from(text.replace(/\s+/g, ''), 'hex');
/** `depth` one-element arrays around the integer 1: 0x81 … 0x81 0x01. */
const nestedArrays = (depth: number) => Buffer.concat([Buffer.alloc(depth, 0x81), hex('01')]);

const CBOR_FORMATS = [[60, 'CBOR'], [112, 'SenML CBOR'], [11544, 'LwM2M CBOR']] as const;

describe('CBOR nesting limit', () => {
  for (const [format, label] of CBOR_FORMATS) {
    it(`${label}: a 5,000-deep body is a payload error, not a stack overflow`, () => {
      for (const depth of [MAX_CBOR_DEPTH + 1, 5000, 60_000]) {
        expect(decodePayload(format, nestedArrays(depth), '/3/0')).toEqual({ records: [], error: `${label}: nested deeper than ${MAX_CBOR_DEPTH} levels` });
      }
      // Maps, tags and indefinite-length containers count as levels too.
      expect(decodePayload(format, Buffer.concat([Buffer.from('a100'.repeat(5000), 'hex'), hex('01')]), null).error).toBe(`${label}: nested deeper than ${MAX_CBOR_DEPTH} levels`);
      expect(decodePayload(format, Buffer.concat([Buffer.from('d864'.repeat(5000), 'hex'), hex('01')]), null).error).toBe(`${label}: nested deeper than ${MAX_CBOR_DEPTH} levels`);
      expect(decodePayload(format, Buffer.concat([Buffer.alloc(5000, 0x9f), Buffer.alloc(5000, 0xff)]), null).error).toBe(`${label}: nested deeper than ${MAX_CBOR_DEPTH} levels`);
    });
  }

  it('lets the limit itself through', () => {
    const result = decodePayload(60, nestedArrays(MAX_CBOR_DEPTH), null);
    // Rendering cuts at its own, shallower depth; the body itself decodes.
    expect(result.error).toMatch(/^CBOR: nested deeper than 32 or shared values/);
  });

  it('measures depth as the CBOR structure nests, not by counting container bytes', () => {
    const encoder = new Encoder({ useRecords: false, mapsAsObjects: false, useTag259ForMaps: false } as ConstructorParameters<typeof Encoder>[0]);
    // Wide but shallow: many containers side by side, strings that contain container bytes.
    const wide = Buffer.from(encoder.encode(Array.from({ length: 500 }, (_, i) => [[i, Buffer.alloc(70, 0x81)], new Map([['k', [1, 2]]])])));
    // The deepest path: outer array, pair, map, [1, 2].
    expect(nestedDeeperThan(wide, 4)).toBe(false);
    expect(nestedDeeperThan(wide, 3)).toBe(true);
    let value: unknown = 1;
    for (let depth = 1; depth <= 70; depth++) value = depth % 2 === 0 ? [0, value, 'x'] : new Map([[depth, value]]);
    const deep = Buffer.from(encoder.encode(value));
    expect(nestedDeeperThan(deep, 70)).toBe(false);
    expect(nestedDeeperThan(deep, 69)).toBe(true);
    // Indefinite-length arrays closed by breaks, and nested after a closed one.
    const indefinite = hex('9f 9f 01 ff 9f 9f 02 ff ff ff');
    expect(nestedDeeperThan(indefinite, 3)).toBe(false);
    expect(nestedDeeperThan(indefinite, 2)).toBe(true);
    // Malformed or cut-off input stops the walk; cbor-x then says what is wrong with it.
    expect(nestedDeeperThan(hex('81 81 1c'), 1)).toBe(true);
    expect(nestedDeeperThan(hex('1c 81 81 81'), 1)).toBe(false);
    expect(decodePayload(60, Buffer.concat([Buffer.alloc(100, 0x81), hex('1c')]), null).error).toMatch(/nested deeper than 64 levels/);
  });
});

describe('other recursive formats', () => {
  it('SenML JSON and LwM2M JSON: deeply nested JSON is parsed without recursion and walked only one level down', () => {
    const deep = '['.repeat(100_000) + ']'.repeat(100_000);
    expect(decodePayload(110, Buffer.from(`[{"n":"/3/0/9","v":1},${deep}]`), null)).toMatchObject({ records: [{ value: 1 }], error: 'SenML JSON record 1: not a map of labels' });
    expect(decodePayload(110, Buffer.from(`[{"n":"/3/0/9","v":${deep}}]`), null).error).toBe('SenML JSON record 0: v is not a number');
    const oma = `{"bn":"/3/0/","e":[{"n":"9","v":1},{"n":"0","sv":${deep}},${deep}]}`;
    expect(decodePayload(11543, Buffer.from(oma), null)).toMatchObject({ records: [{ path: '/3/0/9', value: 1 }], error: 'LwM2M JSON record 1: vs is not a string' });
  });

  it('TLV: containers nested past object instance / resource are not walked', () => {
    // Object instance 0 { object instance 0 { … 1000 levels … { resource 9 = 55 } } }, each level
    // a 4-byte header with a 16-bit length.
    let inner = hex('c1 09 37');
    for (let level = 0; level < 1000; level++) inner = Buffer.concat([hex('10 00'), Buffer.from([inner.length >> 8, inner.length & 255]), inner]);
    expect(decodePayload(11542, inner, '/3')).toEqual({ records: [], error: 'TLV /3/0: object instance not allowed in object instance' });
  });

  it('link-format is read by a loop, whatever the body', () => {
    const body = Buffer.from(`${'</1/0>;a="\\"'.repeat(2000)}`);
    expect(decodePayload(40, body, null).error).toMatch(/^link-format: /);
  });
});
