import { describe, expect, it } from 'vitest';
import { decodePayload } from '../../../src/lwm2m/payload/index.js';

/*
 * Real payloads from the Wakaama captures in /work/shared/captures (extracted with
 * `tshark -r NAME.pcap -d udp.port==56830,coap -T fields -e udp.payload`), checked against
 * the values tshark's JSON / text dissection shows in NAME.tshark.txt.
 */
const SENML_JSON = 110;
const LINK_FORMAT = 40;
const TEXT_PLAIN = 0;
const hex = (text: string) => Buffer.from(text, 'hex');
const pathValues = (records: { path: string; value: unknown }[]) => records.map((r) => [r.path, r.value]);

describe('Wakaama wakaama-register-dm.pcap', () => {
  it('frame 4: SenML JSON read response of /3/0', () => {
    const body = hex(
      '5b7b22626e223a222f332f302f222c226e223a2230222c227673223a224f70656e204d6f62696c6520416c6c69616e6365227d2c7b226e223a2231222c227673223a224c69676874776569676874204d324d20436c69656e74227d2c7b226e223a2232222c227673223a22333435303030313233227d2c7b226e223a2233222c227673223a22312e30227d2c7b226e223a22362f30222c2276223a317d2c7b226e223a22362f31222c2276223a357d2c7b226e223a22372f30222c2276223a333830307d2c7b226e223a22372f31222c2276223a353030307d2c7b226e223a22382f30222c2276223a3132357d2c7b226e223a22382f31222c2276223a3930307d2c7b226e223a2239222c2276223a3130307d2c7b226e223a223130222c2276223a31357d2c7b226e223a2231312f30222c2276223a307d2c7b226e223a223133222c2276223a333136323930363632367d2c7b226e223a223134222c227673223a222b30313a3030227d2c7b226e223a223135222c227673223a224575726f70652f4265726c696e227d2c7b226e223a223136222c227673223a2255227d5d',
    );
    expect(body.length).toBe(416);
    const result = decodePayload(SENML_JSON, body, '/3/0');
    expect(result.error).toBeNull();
    expect(pathValues(result.records)).toEqual([
      ['/3/0/0', 'Open Mobile Alliance'], ['/3/0/1', 'Lightweight M2M Client'], ['/3/0/2', '345000123'], ['/3/0/3', '1.0'],
      ['/3/0/6/0', 1], ['/3/0/6/1', 5], ['/3/0/7/0', 3800], ['/3/0/7/1', 5000], ['/3/0/8/0', 125], ['/3/0/8/1', 900],
      ['/3/0/9', 100], ['/3/0/10', 15], ['/3/0/11/0', 0], ['/3/0/13', 3162906626],
      ['/3/0/14', '+01:00'], ['/3/0/15', 'Europe/Berlin'], ['/3/0/16', 'U'],
    ]);
    expect(result.records[13]).toEqual({ path: '/3/0/13', name: 'Current Time', type: 'time', value: 3162906626 });
    expect(result.records[4]).toMatchObject({ name: 'Available Power Sources', type: 'integer' });
  });

  it('frame 6: SenML JSON read of one resource, /3/0/0, named by bn alone', () => {
    const body = hex('5b7b22626e223a222f332f302f30222c227673223a224f70656e204d6f62696c6520416c6c69616e6365227d5d');
    expect(decodePayload(SENML_JSON, body, '/3/0/0')).toEqual({
      records: [{ path: '/3/0/0', name: 'Manufacturer', type: 'string', value: 'Open Mobile Alliance' }],
      error: null,
    });
  });

  it('frame 8: SenML JSON read of /1/0 with booleans', () => {
    const body = hex(
      '5b7b22626e223a222f312f302f222c226e223a2230222c2276223a3132337d2c7b226e223a2231222c2276223a3132307d2c7b226e223a2232222c2276223a307d2c7b226e223a2233222c2276223a307d2c7b226e223a2235222c2276223a307d2c7b226e223a2236222c227662223a66616c73657d2c7b226e223a2237222c227673223a2255227d2c7b226e223a223233222c227662223a66616c73657d5d',
    );
    const result = decodePayload(SENML_JSON, body, '/1/0');
    expect(pathValues(result.records)).toEqual([
      ['/1/0/0', 123], ['/1/0/1', 120], ['/1/0/2', 0], ['/1/0/3', 0], ['/1/0/5', 0], ['/1/0/6', false], ['/1/0/7', 'U'], ['/1/0/23', false],
    ]);
    expect(result.records[7]).toEqual({ path: '/1/0/23', name: 'Mute Send', type: 'boolean', value: false });
  });

  it('frame 10: SenML JSON read of /3 with names relative to bn /3/', () => {
    const body = hex(
      '5b7b22626e223a222f332f222c226e223a22302f30222c227673223a224f70656e204d6f62696c6520416c6c69616e6365227d2c7b226e223a22302f31222c227673223a224c69676874776569676874204d324d20436c69656e74227d2c7b226e223a22302f32222c227673223a22333435303030313233227d2c7b226e223a22302f33222c227673223a22312e30227d2c7b226e223a22302f362f30222c2276223a317d2c7b226e223a22302f362f31222c2276223a357d2c7b226e223a22302f372f30222c2276223a333830307d2c7b226e223a22302f372f31222c2276223a353030307d2c7b226e223a22302f382f30222c2276223a3132357d2c7b226e223a22302f382f31222c2276223a3930307d2c7b226e223a22302f39222c2276223a3130307d2c7b226e223a22302f3130222c2276223a31357d2c7b226e223a22302f31312f30222c2276223a307d2c7b226e223a22302f3133222c2276223a333136323930363632387d2c7b226e223a22302f3134222c227673223a222b30313a3030227d2c7b226e223a22302f3135222c227673223a224575726f70652f4265726c696e227d2c7b226e223a22302f3136222c227673223a2255227d5d',
    );
    const result = decodePayload(SENML_JSON, body, '/3');
    expect(result.error).toBeNull();
    expect(result.records).toHaveLength(17);
    expect(result.records.map((r) => r.path).slice(0, 5)).toEqual(['/3/0/0', '/3/0/1', '/3/0/2', '/3/0/3', '/3/0/6/0']);
    expect(result.records[13]).toMatchObject({ path: '/3/0/13', type: 'time', value: 3162906628 });
  });

  it('frames 24, 31, 36: vendor object 31024 (no registry entry: names null, types from the payload)', () => {
    const read = hex('5b7b22626e223a222f33313032342f31302f33222c2276223a2d33302e307d5d');
    expect(decodePayload(SENML_JSON, read, '/31024/10/3').records).toEqual([{ path: '/31024/10/3', name: null, type: 'integer', value: -30 }]);
    const create = hex('5b7b22626e223a222f33313032342f222c226e223a2234352f31222c2276223a3132307d5d');
    expect(pathValues(decodePayload(SENML_JSON, create, '/31024').records)).toEqual([['/31024/45/1', 120]]);
    const instance = hex(
      '5b7b22626e223a222f33313032342f34352f222c226e223a2231222c2276223a3132307d2c7b226e223a2233222c2276223a302e307d2c7b226e223a2235222c227673223a22227d5d',
    );
    expect(decodePayload(SENML_JSON, instance, '/31024/45').records).toEqual([
      { path: '/31024/45/1', name: null, type: 'integer', value: 120 },
      { path: '/31024/45/3', name: null, type: 'integer', value: 0 },
      { path: '/31024/45/5', name: null, type: 'string', value: '' },
    ]);
  });

  it('frames 15, 17, 21: text/plain writes typed from the registry', () => {
    expect(decodePayload(TEXT_PLAIN, hex('2b30323a3030'), '/3/0/14').records).toEqual([{ path: '/3/0/14', name: 'UTC Offset', type: 'string', value: '+02:00' }]);
    expect(decodePayload(TEXT_PLAIN, hex('363030'), '/1/0/1').records).toEqual([{ path: '/1/0/1', name: 'Lifetime', type: 'integer', value: 600 }]);
    expect(decodePayload(TEXT_PLAIN, hex('3737'), '/31024/10/1').records).toEqual([{ path: '/31024/10/1', name: null, type: 'string', value: '77' }]);
  });

  it('frame 1: the link-format object list of the Register', () => {
    const body = hex(
      '3c2f3e3b72743d226f6d612e6c776d326d223b63743d3131302c3c2f313e3b7665723d312e312c3c2f312f303e2c3c2f322f303e2c3c2f332f303e2c3c2f342f303e2c3c2f352f303e2c3c2f362f303e2c3c2f372f303e2c3c2f33313032343e3b7665723d312e302c3c2f33313032342f31303e2c3c2f33313032342f31313e2c3c2f33313032342f31323e',
    );
    const result = decodePayload(LINK_FORMAT, body, null);
    expect(result.error).toBeNull();
    expect(result.records).toEqual([]);
    expect(result.links?.map((l) => l.uri)).toEqual([
      '/', '/1', '/1/0', '/2/0', '/3/0', '/4/0', '/5/0', '/6/0', '/7/0', '/31024', '/31024/10', '/31024/11', '/31024/12',
    ]);
    expect(result.links?.[0].attrs).toEqual({ rt: 'oma.lwm2m', ct: '110' });
    expect(result.links?.[1].attrs).toEqual({ ver: '1.1' });
    expect(result.links?.[9].attrs).toEqual({ ver: '1.0' });
  });

  it('frames 12, 14: Discover answers', () => {
    const instance = hex(
      '3c2f332f303e2c3c2f332f302f303e2c3c2f332f302f313e2c3c2f332f302f323e2c3c2f332f302f333e2c3c2f332f302f343e2c3c2f332f302f353e2c3c2f332f302f363e2c3c2f332f302f373e2c3c2f332f302f383e2c3c2f332f302f393e2c3c2f332f302f31303e2c3c2f332f302f31313e2c3c2f332f302f31323e2c3c2f332f302f31333e2c3c2f332f302f31343e2c3c2f332f302f31353e2c3c2f332f302f31363e',
    );
    const links = decodePayload(LINK_FORMAT, instance, '/3/0').links ?? [];
    expect(links).toHaveLength(18);
    expect(links[17]).toEqual({ uri: '/3/0/16', attrs: {} });
    const object = hex(
      '3c2f333e2c3c2f332f302f303e2c3c2f332f302f313e2c3c2f332f302f323e2c3c2f332f302f333e2c3c2f332f302f343e2c3c2f332f302f353e2c3c2f332f302f363e2c3c2f332f302f373e2c3c2f332f302f383e2c3c2f332f302f393e2c3c2f332f302f31303e2c3c2f332f302f31313e2c3c2f332f302f31323e2c3c2f332f302f31333e2c3c2f332f302f31343e2c3c2f332f302f31353e2c3c2f332f302f31363e',
    );
    expect(decodePayload(LINK_FORMAT, object, '/3').links?.[0].uri).toBe('/3');
  });

  it('frame 33: an Update body without Content-Format on /rd/0 is left alone', () => {
    const body = hex('3c2f3e3b72743d226f6d612e6c776d326d223b63743d3131302c3c2f313e3b7665723d312e31');
    expect(decodePayload(null, body, '/rd/0')).toEqual({ records: [], error: null });
  });
});

describe('Wakaama wakaama-observe.pcap', () => {
  it('frames 4, 7-10: notifications of /3/0/9', () => {
    const values = ['5b7b22626e223a222f332f302f39222c2276223a3130307d5d', '5b7b22626e223a222f332f302f39222c2276223a35357d5d', '5b7b22626e223a222f332f302f39222c2276223a36307d5d', '5b7b22626e223a222f332f302f39222c2276223a34327d5d', '5b7b22626e223a222f332f302f39222c2276223a31377d5d']
      .map((h) => decodePayload(SENML_JSON, hex(h), '/3/0/9').records[0]);
    expect(values.map((r) => r.value)).toEqual([100, 55, 60, 42, 17]);
    expect(values[1]).toEqual({ path: '/3/0/9', name: 'Battery Level', type: 'integer', value: 55 });
  });

  it('frame 13: the answer to the cancelling GET, in text/plain', () => {
    expect(decodePayload(TEXT_PLAIN, hex('3137'), '/3/0/9').records).toEqual([{ path: '/3/0/9', name: 'Battery Level', type: 'integer', value: 17 }]);
  });

  it('frames 16, 18: Send to /dp (no request path: names are absolute)', () => {
    const one = hex('5b7b22626e223a222f332f302f222c226e223a2239222c2276223a357d5d');
    expect(pathValues(decodePayload(SENML_JSON, one, null).records)).toEqual([['/3/0/9', 5]]);
    const two = hex('5b7b22626e223a222f332f302f222c226e223a2230222c227673223a224f70656e204d6f62696c6520416c6c69616e6365227d2c7b226e223a2239222c2276223a357d5d');
    expect(pathValues(decodePayload(SENML_JSON, two, '/dp').records)).toEqual([['/3/0/0', 'Open Mobile Alliance'], ['/3/0/9', 5]]);
  });
});
