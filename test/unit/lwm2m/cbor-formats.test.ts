import { Encoder, Tag } from 'cbor-x';
import { describe, expect, it } from 'vitest';
import { decodePayload } from '../../../src/lwm2m/payload/index.js';

const SENML_CBOR = 112;
const LWM2M_CBOR = 11544;
const CBOR = 60;

// Maps as CBOR maps (not tag 259), so integer SenML labels and array keys go on the wire as they are.
const cbor = new Encoder({ useRecords: false, mapsAsObjects: false, useTag259ForMaps: false } as ConstructorParameters<typeof Encoder>[0]);
const encode = (value: unknown) => Buffer.from(cbor.encode(value));
const hex = (text: string) => Buffer.from(text.replace(/\s+/g, ''), 'hex');
const senml = (...records: Array<Array<[number | string, unknown]>>) => encode(records.map((r) => new Map(r)));

describe('SenML CBOR (RFC 8428 section 6 labels)', () => {
  it('decodes the same records as SenML JSON, with integer labels', () => {
    const body = senml(
      [[-2, '/3/0/'], [-3, 1700000000], [0, '0'], [3, 'Open Mobile Alliance']],
      [[0, '9'], [2, 55], [6, -10]],
      [[0, '6/1'], [2, 5]],
      [[-2, ''], [0, '/1/0/6'], [4, true]],
      [[0, '/5/0/0'], [8, Buffer.from([1, 2, 0xff])]],
      [[0, '/1/0/10'], ['vlo', '11:0']],
    );
    expect(decodePayload(SENML_CBOR, body, '/3/0')).toEqual({
      records: [
        { path: '/3/0/0', name: 'Manufacturer', type: 'string', value: 'Open Mobile Alliance', time: 1700000000 },
        { path: '/3/0/9', name: 'Battery Level', type: 'integer', value: 55, time: 1699999990 },
        { path: '/3/0/6/1', name: 'Available Power Sources', type: 'integer', value: 5, time: 1700000000 },
        { path: '/1/0/6', name: 'Notification Storing When Disabled or Offline', type: 'boolean', value: true, time: 1700000000 },
        { path: '/5/0/0', name: 'Package', type: 'opaque', value: '0102ff', time: 1700000000 },
        { path: '/1/0/10', name: 'APN Link', type: 'objlnk', value: '11:0', time: 1700000000 },
      ],
      error: null,
    });
  });

  it('reads the base value label and ignores unit, version and update-time labels', () => {
    const body = senml([[-1, 10], [-2, '/3303/0/'], [-4, 'Cel'], [-5, 20], [0, '5700'], [1, 'Cel'], [2, 1.5], [7, 60]]);
    expect(decodePayload(SENML_CBOR, body, null).records).toEqual([{ path: '/3303/0/5700', name: 'Sensor Value', type: 'float', value: 21.5 }]);
  });

  it('reports malformed CBOR, non-array packs, wrong types and trailing bytes', () => {
    const good = senml([[0, '/3/0/9'], [2, 55]]);
    expect(decodePayload(SENML_CBOR, good.subarray(0, good.length - 2), null)).toMatchObject({ records: [], error: expect.stringMatching(/^SenML CBOR: /) });
    expect(decodePayload(SENML_CBOR, encode(new Map([[0, 'x']])), null).error).toBe('SenML CBOR: not an array of records');
    expect(decodePayload(SENML_CBOR, senml([[0, '/3/0/9'], [2, '55']], [[0, '/3/0/9'], [2, 56]]), null))
      .toMatchObject({ records: [{ value: 56 }], error: 'SenML CBOR record 0: v is not a number' });
    expect(decodePayload(SENML_CBOR, senml([[0, '/3/0/0'], [8, 'not bytes']]), null).error).toBe('SenML CBOR record 0: vd is not data');
    expect(decodePayload(SENML_CBOR, encode([1, 2]), null).error).toBe('SenML CBOR record 0: not a map of labels');
    expect(decodePayload(SENML_CBOR, Buffer.concat([good, hex('00')]), null).error).toMatch(/^SenML CBOR: /);
    expect(decodePayload(SENML_CBOR, Buffer.alloc(0), null).error).toMatch(/^SenML CBOR: /);
  });

  it('cuts off a value-sharing bomb (one shared map referenced thousands of times)', () => {
    const entries = 3000;
    const refs = 3000;
    const map = [hex('d8 1c b9'), Buffer.from([entries >> 8, entries & 255])];
    for (let k = 0; k < entries; k++) map.push(Buffer.from([0x19, (k + 100) >> 8, (k + 100) & 255, 0]));
    const body = Buffer.concat([hex('9a'), Buffer.from([0, 0, (refs + 1) >> 8, (refs + 1) & 255]), ...map, ...Array.from({ length: refs }, () => hex('d8 1d 00'))]);
    const result = decodePayload(SENML_CBOR, body, null);
    expect(result.error).toBe('SenML CBOR: shared values expand far past the body size');
  });
});

describe('LwM2M CBOR (LwM2M 1.2 core 7.4.7)', () => {
  it('decodes nested maps keyed by path ids, typed by CBOR type and registry', () => {
    const body = encode(new Map([[3, new Map([[0, new Map<number, unknown>([
      [0, 'Open Mobile Alliance'],
      [9, 55],
      [6, new Map([[0, 1], [1, 5]])],
      [13, 1367491215],
    ])]])]]));
    expect(decodePayload(LWM2M_CBOR, body, '/3/0')).toEqual({
      records: [
        { path: '/3/0/0', name: 'Manufacturer', type: 'string', value: 'Open Mobile Alliance' },
        { path: '/3/0/9', name: 'Battery Level', type: 'integer', value: 55 },
        { path: '/3/0/6/0', name: 'Available Power Sources', type: 'integer', value: 1 },
        { path: '/3/0/6/1', name: 'Available Power Sources', type: 'integer', value: 5 },
        { path: '/3/0/13', name: 'Current Time', type: 'time', value: 1367491215 },
      ],
      error: null,
    });
  });

  it('reads indefinite-length maps, as constrained encoders write them; paths are absolute whatever was requested', () => {
    // {_ 3: {_ 0: {_ 9: 55, 6: {_ 0: 1, 1: 5}}}}
    const body = hex('BF 03 BF 00 BF 09 18 37 06 BF 00 01 01 05 FF FF FF FF');
    for (const basePath of ['/3', '/3/0', '/3/0/9', null]) {
      expect(decodePayload(LWM2M_CBOR, body, basePath).records.map((r) => [r.path, r.value])).toEqual([['/3/0/9', 55], ['/3/0/6/0', 1], ['/3/0/6/1', 5]]);
    }
  });

  it('accepts arrays of ids as keys and every leaf kind', () => {
    const body = encode(new Map<unknown, unknown>([
      [[1, 0], new Map<number, unknown>([[6, true], [10, '11:0'], [1, null]])],
      [[5, 0, 0], Buffer.from([0xca, 0xfe])],
      [[3303, 0, 5700], 20.5],
      [[3, 0, 13], new Tag(1367491215, 1)],
      [[31024, 10, 3], -30],
      [[3, 0, 7, 1], 5000],
    ]));
    expect(decodePayload(LWM2M_CBOR, body, null).records).toEqual([
      { path: '/1/0/6', name: 'Notification Storing When Disabled or Offline', type: 'boolean', value: true },
      { path: '/1/0/10', name: 'APN Link', type: 'objlnk', value: '11:0' },
      { path: '/1/0/1', name: 'Lifetime', type: 'integer', value: null },
      { path: '/5/0/0', name: 'Package', type: 'opaque', value: 'cafe' },
      { path: '/3303/0/5700', name: 'Sensor Value', type: 'float', value: 20.5 },
      { path: '/3/0/13', name: 'Current Time', type: 'time', value: 1367491215 },
      { path: '/31024/10/3', name: null, type: 'integer', value: -30 },
      { path: '/3/0/7/1', name: 'Power Source Voltage', type: 'integer', value: 5000 },
    ]);
  });

  it('reports keys, nesting and values that do not fit the format, keeping the rest', () => {
    const body = encode(new Map<unknown, unknown>([
      ['3', 1],
      [[], 1],
      [[3, 0, 9, 0, 1], 1],
      [70000, new Map([[0, new Map([[0, 1]])]])],
      [3, new Map<unknown, unknown>([[0, 5], [1, new Map<unknown, unknown>([[9, [1, 2]], [6, new Map([[0, new Map([[1, 1]])]])], [2, 'ok']])]])],
    ]));
    const result = decodePayload(LWM2M_CBOR, body, null);
    expect(result.records).toEqual([{ path: '/3/1/2', name: 'Serial Number', type: 'string', value: 'ok' }]);
    expect(result.error).toBe('LwM2M CBOR: a key under / is not a path id or a list of ids that fits a path');
    const errors = [
      [new Map([[3, new Map([[0, 5]])]]), 'LwM2M CBOR /3/0: a value above resource level'],
      [new Map([[[3, 0, 9], [1, 2]]]), 'LwM2M CBOR /3/0/9: not an LwM2M value'],
      [new Map([[[3, 0, 6, 0], new Map([[1, 1]])]]), 'LwM2M CBOR /3/0/6/0: a map below a resource instance'],
      [[1, 2], 'LwM2M CBOR: not a map'],
    ] as const;
    for (const [value, error] of errors) expect(decodePayload(LWM2M_CBOR, encode(value), null).error).toBe(error);
    expect(decodePayload(LWM2M_CBOR, hex('a1 03 a1'), null).error).toMatch(/^LwM2M CBOR: /);
  });

  it('survives a self-referencing map (value-sharing tags) and deep nesting', () => {
    // tag 28 { 3: tag 29 (0) }: a map that contains itself.
    const cycle = decodePayload(LWM2M_CBOR, hex('d8 1c a1 03 d8 1d 00'), null);
    expect(cycle.records).toEqual([]);
    expect(cycle.error).not.toBeNull();
    // {0: {0: ... {0: 1}}}: 10 levels decode and the walk stops below a resource instance; 50000 overflow cbor-x.
    const nested = (depth: number) => Buffer.concat([Buffer.from('a100'.repeat(depth), 'hex'), hex('01')]);
    expect(decodePayload(LWM2M_CBOR, nested(10), null).error).toBe('LwM2M CBOR /0/0/0/0: a map below a resource instance');
    expect(decodePayload(LWM2M_CBOR, nested(50000), null)).toMatchObject({ records: [], error: expect.stringMatching(/^LwM2M CBOR: /) });
  });
});

describe('plain CBOR (60): a JSON-safe rendering as data', () => {
  it('renders maps, byte strings, tags, big and odd numbers', () => {
    const body = encode(new Map<unknown, unknown>([
      [1, Buffer.from([0xde, 0xad])],
      ['list', [1.5, null, true, 'x']],
      [[3, 0], new Tag('unknown', 4000)],
      ['nan', NaN],
      ['big', 2n ** 70n],
      ['time', new Tag(0, 1)],
    ]));
    const result = decodePayload(CBOR, body, null);
    expect(result.error).toBeNull();
    expect(result.records).toEqual([]);
    expect(result.data).toEqual({
      1: 'dead',
      list: [1.5, null, true, 'x'],
      '[3,0]': { tag: 4000, value: 'unknown' },
      nan: 'NaN',
      big: '1180591620717411303424',
      time: '1970-01-01T00:00:00.000Z',
    });
    expect(JSON.parse(JSON.stringify(result.data))).toEqual(result.data);
  });

  it('cuts nesting deeper than 32 levels and reports it', () => {
    const body = Buffer.concat([Buffer.alloc(40, 0x81), hex('00')]);
    const result = decodePayload(CBOR, body, null);
    expect(result.error).toMatch(/nested deeper than 32/);
    let level: unknown = result.data;
    for (let i = 0; i < 33; i++) level = (level as unknown[])[0];
    expect(level).toBe('…');
  });

  it('reports undecodable CBOR', () => {
    expect(decodePayload(CBOR, hex('bf 01'), null)).toMatchObject({ records: [], error: expect.stringMatching(/^CBOR: /) });
    expect(decodePayload(CBOR, Buffer.alloc(100000, 0x81), null).error).toMatch(/^CBOR: /);
  });
});
