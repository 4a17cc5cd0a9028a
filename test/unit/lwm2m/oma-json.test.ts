import { describe, expect, it } from 'vitest';
import { decodePayload } from '../../../src/lwm2m/payload/index.js';

const OMA_JSON = 11543;
const decode = (json: string, basePath: string | null = null, cf = OMA_JSON) => decodePayload(cf, Buffer.from(json), basePath);

describe('OMA LwM2M JSON (11543, legacy 1543)', () => {
  it('decodes the LwM2M 1.0 core example: Read /3/0', () => {
    const result = decode(`{"bn":"/3/0/","e":[
      {"n":"0","sv":"Open Mobile Alliance"},{"n":"1","sv":"Lightweight M2M Client"},{"n":"2","sv":"345000123"},
      {"n":"3","sv":"1.0"},{"n":"6/0","v":1},{"n":"6/1","v":5},{"n":"7/0","v":3800},{"n":"7/1","v":5000},
      {"n":"8/0","v":125},{"n":"8/1","v":900},{"n":"9","v":100},{"n":"10","v":15},{"n":"11/0","v":0},
      {"n":"13","v":1367491215},{"n":"14","sv":"+02:00"},{"n":"16","sv":"U"}]}`, '/3/0');
    expect(result.error).toBeNull();
    expect(result.records.map((r) => [r.path, r.value])).toEqual([
      ['/3/0/0', 'Open Mobile Alliance'], ['/3/0/1', 'Lightweight M2M Client'], ['/3/0/2', '345000123'], ['/3/0/3', '1.0'],
      ['/3/0/6/0', 1], ['/3/0/6/1', 5], ['/3/0/7/0', 3800], ['/3/0/7/1', 5000], ['/3/0/8/0', 125], ['/3/0/8/1', 900],
      ['/3/0/9', 100], ['/3/0/10', 15], ['/3/0/11/0', 0], ['/3/0/13', 1367491215], ['/3/0/14', '+02:00'], ['/3/0/16', 'U'],
    ]);
    expect(result.records[13]).toMatchObject({ name: 'Current Time', type: 'time' });
  });

  it('reads sv, v, bv (a boolean here, not a base value) and ov; names that are no path stay as they are', () => {
    const result = decode('{"bn":"/3/0/","e":[{"n":"0","sv":"x"},{"n":"9","v":55},{"n":"11/0","v":0},{"n":"x","bv":true},{"n":"y","ov":"3:0"}]}');
    expect(result).toEqual({
      records: [
        { path: '/3/0/0', name: 'Manufacturer', type: 'string', value: 'x' },
        { path: '/3/0/9', name: 'Battery Level', type: 'integer', value: 55 },
        { path: '/3/0/11/0', name: 'Error Code', type: 'integer', value: 0 },
        { path: '/3/0/x', name: null, type: 'boolean', value: true },
        { path: '/3/0/y', name: null, type: 'objlnk', value: '3:0' },
      ],
      error: null,
    });
    expect(decode('{"e":[{"n":"6","bv":false}]}', '/1/0').records[0]).toMatchObject({ path: '/1/0/6', type: 'boolean', value: false });
  });

  it('resolves times: bt is absolute, t relative to it; t alone is relative to now', () => {
    const series = decode('{"bt":25462634,"e":[{"n":"5700","v":22.4,"t":-5},{"n":"5700","v":22.9,"t":-30}]}', '/3303/0');
    expect(series.records.map((r) => [r.path, r.value, r.time, r.timeRelative])).toEqual([
      ['/3303/0/5700', 22.4, 25462629, undefined],
      ['/3303/0/5700', 22.9, 25462604, undefined],
    ]);
    expect(decode('{"e":[{"n":"5700","v":1,"t":-5}]}', '/3303/0').records[0]).toMatchObject({ time: -5, timeRelative: true });
  });

  it('takes Opaque values as base64 in sv, and decodes the legacy number 1543 the same way', () => {
    expect(decode('{"e":[{"n":"3","sv":"AQID"}]}', '/0/0', 1543).records[0])
      .toEqual({ path: '/0/0/3', name: 'Public Key or Identity', type: 'opaque', value: '010203' });
  });

  it('reports malformed documents', () => {
    expect(decode('{"e":[').error).toMatch(/^LwM2M JSON: /);
    expect(decode('[{"n":"0","sv":"x"}]').error).toBe('LwM2M JSON: not an object with an "e" array');
    expect(decode('{"e":{}}').error).toBe('LwM2M JSON: not an object with an "e" array');
    const mixed = decode('{"bn":"/3/0/","e":[7,{"n":"9","v":"55"},{"n":"9","v":55}]}');
    expect(mixed.records.map((r) => [r.path, r.value])).toEqual([['/3/0/9', 55]]);
    expect(mixed.error).toBe('LwM2M JSON record 0: not a map of labels');
    expect(decode('{"bn":7,"e":[{"n":"9","v":55}]}').error).toBe('LwM2M JSON record 0: bn is not a string');
  });
});
