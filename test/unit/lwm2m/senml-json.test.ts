import { describe, expect, it } from 'vitest';
import { decodePayload } from '../../../src/lwm2m/payload/index.js';

const SENML_JSON = 110;
const decode = (json: string, basePath: string | null = null) => decodePayload(SENML_JSON, Buffer.from(json), basePath);

describe('SenML JSON: RFC 8428 section 5 examples (names that are not LwM2M paths stay as they are)', () => {
  it('5.1.1 single datapoint', () => {
    expect(decode('[{"n":"urn:dev:ow:10e2073a01080063","u":"Cel","v":23.1}]')).toEqual({
      records: [{ path: 'urn:dev:ow:10e2073a01080063', name: null, type: 'float', value: 23.1 }],
      error: null,
    });
  });

  it('5.1.2 multiple datapoints under a base name', () => {
    const result = decode(`[
      {"bn":"urn:dev:ow:10e2073a01080063:","n":"voltage","u":"V","v":120.1},
      {"n":"current","u":"A","v":1.2}
    ]`);
    expect(result.records.map((r) => [r.path, r.value])).toEqual([
      ['urn:dev:ow:10e2073a01080063:voltage', 120.1],
      ['urn:dev:ow:10e2073a01080063:current', 1.2],
    ]);
  });

  it('5.1.3 multiple measurements: base time plus relative offsets give absolute times', () => {
    const result = decode(`[
      {"bn":"urn:dev:ow:10e2073a0108006:","bt":1.276020076001e+09,"bu":"A","bver":5,"n":"voltage","u":"V","v":120.1},
      {"n":"current","t":-5,"v":1.2},
      {"n":"current","t":-4,"v":1.3},
      {"n":"current","t":-3,"v":1.4},
      {"n":"current","t":-2,"v":1.5},
      {"n":"current","t":-1,"v":1.6},
      {"n":"current","v":1.7}
    ]`);
    expect(result.error).toBeNull();
    expect(result.records).toHaveLength(7);
    expect(result.records[0].time).toBeCloseTo(1276020076.001, 3);
    expect(result.records[1].time).toBeCloseTo(1276020071.001, 3);
    expect(result.records[6].time).toBeCloseTo(1276020076.001, 3);
    expect(result.records.some((r) => r.timeRelative)).toBe(false);
  });

  it('5.1.5 multiple data types: vs, vb and vd (base64url to hex)', () => {
    const result = decode(`[
      {"bn":"urn:dev:ow:10e2073a01080063:","n":"temp","u":"Cel","v":23.1},
      {"n":"label","vs":"Machine Room"},
      {"n":"open","vb":false},
      {"n":"nfc-reader","vd":"aGkgCg"}
    ]`);
    expect(result.records.map((r) => [r.type, r.value])).toEqual([
      ['float', 23.1], ['string', 'Machine Room'], ['boolean', false], ['opaque', '6869200a'],
    ]);
  });

  it('times below 2^28 are relative to now', () => {
    expect(decode('[{"n":"/3303/0/5700","v":21,"t":-5},{"n":"/3303/0/5700","v":22,"bt":1700000000}]').records).toEqual([
      { path: '/3303/0/5700', name: 'Sensor Value', type: 'float', value: 21, time: -5, timeRelative: true },
      { path: '/3303/0/5700', name: 'Sensor Value', type: 'float', value: 22, time: 1700000000 },
    ]);
  });
});

describe('SenML JSON: LwM2M rules', () => {
  it('adds the base value to v', () => {
    expect(decode('[{"bn":"/3303/0/","bv":20,"n":"5700","v":1.5},{"n":"5601","v":-2}]').records.map((r) => r.value)).toEqual([21.5, 18]);
  });

  it('reads vlo as an object link and types values from the registry', () => {
    expect(decode('[{"bn":"/1/0/","n":"10","vlo":"11:0"},{"n":"12","v":1700000000},{"n":"11","v":3}]').records).toEqual([
      { path: '/1/0/10', name: 'APN Link', type: 'objlnk', value: '11:0' },
      { path: '/1/0/12', name: 'Last Bootstrapped', type: 'time', value: 1700000000 },
      { path: '/1/0/11', name: 'TLS-DTLS Alert Code', type: 'unsigned', value: 3 },
    ]);
  });

  it('decodes read-composite request bodies: paths without values', () => {
    expect(decode('[{"n":"/3/0/0"},{"n":"/1/0/1"},{"n":"/3"},{"n":"/31024/10/1"}]').records).toEqual([
      { path: '/3/0/0', name: 'Manufacturer', type: 'string', value: null },
      { path: '/1/0/1', name: 'Lifetime', type: 'integer', value: null },
      { path: '/3', name: 'Device', type: 'unknown', value: null },
      { path: '/31024/10/1', name: null, type: 'unknown', value: null },
    ]);
  });

  it('resolves names without a base name against the request path and normalises paths', () => {
    expect(decode('[{"n":"9","v":55},{"n":"6/1","v":5}]', '/3/0').records.map((r) => r.path)).toEqual(['/3/0/9', '/3/0/6/1']);
    expect(decode('[{"v":55}]', '/3/0/9').records.map((r) => r.path)).toEqual(['/3/0/9']);
    expect(decode('[{"bn":"/3/0/","n":""}]').records.map((r) => r.path)).toEqual(['/3/0']);
    expect(decode('[{"n":"/3/0/9/"}]').records.map((r) => r.path)).toEqual(['/3/0/9']);
  });

  it('keeps an opaque value sent as base64 text when the registry says Opaque', () => {
    expect(decode('[{"n":"/0/0/3","vs":"AQID"}]').records[0]).toMatchObject({ type: 'opaque', value: '010203' });
  });
});

describe('SenML JSON: malformed input', () => {
  it('reports invalid JSON', () => {
    const result = decode('[{"n":');
    expect(result.records).toEqual([]);
    expect(result.error).toMatch(/^SenML JSON: /);
  });

  it('reports a pack that is not an array', () => {
    expect(decode('{"n":"/3/0/9","v":1}')).toEqual({ records: [], error: 'SenML JSON: not an array of records' });
  });

  it('skips records with wrong SenML types and keeps the rest', () => {
    const result = decode('[{"n":"/3/0/9","v":"55"},1,{"bn":5},{"n":"/3/0/9","v":55,"vs":"x"},{"n":"/3/0/9","vd":"!!"},{"n":"/1/0/10","vlo":"x"},{"n":7},{"n":"/3/0/9","v":56}]');
    expect(result.records.map((r) => r.value)).toEqual([56]);
    expect(result.error).toBe('SenML JSON record 0: v is not a number');
    for (const [json, error] of [
      ['[1]', 'record 0: not a map of labels'],
      ['[{"bn":5}]', 'record 0: bn is not a string'],
      ['[{"n":"/3/0/9","v":55,"vs":"x"}]', 'record 0: 2 value fields'],
      ['[{"n":"/3/0/9","vd":"!!"}]', 'record 0: vd is not data'],
      ['[{"n":"/1/0/10","vlo":"x"}]', 'record 0: vlo is not an object link'],
      ['[{"n":7}]', 'record 0: n is not a string'],
      ['[{"n":"/3/0/9","vb":1}]', 'record 0: vb is not a boolean'],
      ['[{"n":"/3/0/9","v":1,"t":"now"}]', 'record 0: t is not a number'],
      ['[{"v":1}]', 'record 0: no name'],
    ]) {
      expect(decode(json).error).toBe(`SenML JSON ${error}`);
    }
  });

  it('survives deep nesting', () => {
    const result = decode('['.repeat(100000) + ']'.repeat(100000));
    expect(result.records).toEqual([]);
    expect(result.error).toBe('SenML JSON record 0: not a map of labels');
  });

  it('keeps a __proto__ label harmless', () => {
    expect(decode('[{"__proto__":{"v":1},"n":"/3/0/9","v":2}]').records.map((r) => r.value)).toEqual([2]);
  });
});
