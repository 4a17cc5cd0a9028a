import { describe, expect, it } from 'vitest';
import { decodePayload } from '../../../src/lwm2m/payload/index.js';
import { ACCESS_CONTROL_OBJECT, DEVICE_INSTANCE, DEVICE_OBJECT, hex, OBJLNK_INSTANCE, SERVER_OBJECT } from './tlv-vectors.js';

const TLV = 11542;

const pathValues = (records: { path: string; value: unknown }[]) => records.map((r) => [r.path, r.value]);

const DEVICE_RECORDS = [
  ['/3/0/0', 'Manufacturer', 'string', 'Open Mobile Alliance'],
  ['/3/0/1', 'Model Number', 'string', 'Lightweight M2M Client'],
  ['/3/0/2', 'Serial Number', 'string', '345000123'],
  ['/3/0/3', 'Firmware Version', 'string', '1.0'],
  ['/3/0/6/0', 'Available Power Sources', 'integer', 1],
  ['/3/0/6/1', 'Available Power Sources', 'integer', 5],
  ['/3/0/7/0', 'Power Source Voltage', 'integer', 3800],
  ['/3/0/7/1', 'Power Source Voltage', 'integer', 5000],
  ['/3/0/8/0', 'Power Source Current', 'integer', 125],
  ['/3/0/8/1', 'Power Source Current', 'integer', 900],
  ['/3/0/9', 'Battery Level', 'integer', 100],
  ['/3/0/10', 'Memory Free', 'integer', 15],
  ['/3/0/11/0', 'Error Code', 'integer', 0],
  ['/3/0/13', 'Current Time', 'time', 1367491215],
  ['/3/0/14', 'UTC Offset', 'string', '+02:00'],
  ['/3/0/16', 'Supported Binding and Modes', 'string', 'U'],
].map(([path, name, type, value]) => ({ path, name, type, value }));

describe('LwM2M TLV: core spec examples', () => {
  it('decodes the Device object instance read of /3/0', () => {
    expect(DEVICE_INSTANCE.length).toBe(121);
    expect(decodePayload(TLV, DEVICE_INSTANCE, '/3/0')).toEqual({ records: DEVICE_RECORDS, error: null });
  });

  it('decodes the same instance wrapped in its object instance TLV (Read /3: 08 00 79 ...)', () => {
    const body = DEVICE_OBJECT;
    expect(decodePayload(TLV, body, '/3')).toEqual({ records: DEVICE_RECORDS, error: null });
    // The legacy pre-registration number decodes the same way.
    expect(decodePayload(1542, body, '/3').records).toEqual(DEVICE_RECORDS);
  });

  it('decodes the two Access Control object instances of a Read /2', () => {
    const result = decodePayload(TLV, ACCESS_CONTROL_OBJECT, '/2');
    expect(result.error).toBeNull();
    expect(pathValues(result.records)).toEqual([
      ['/2/0/0', 1], ['/2/0/1', 0], ['/2/0/2/127', 7], ['/2/0/3', 127],
      ['/2/2/0', 3], ['/2/2/1', 0], ['/2/2/2/127', 7], ['/2/2/2/310', 1], ['/2/2/3', 127],
    ]);
    expect(result.records[2]).toMatchObject({ name: 'ACL', type: 'integer' });
  });

  it('decodes the Server object instance of a Read /1 with exact types (boolean, not the npm integer)', () => {
    expect(decodePayload(TLV, SERVER_OBJECT, '/1')).toEqual({
      records: [
        { path: '/1/0/0', name: 'Short Server ID', type: 'integer', value: 1 },
        { path: '/1/0/1', name: 'Lifetime', type: 'integer', value: 86400 },
        { path: '/1/0/6', name: 'Notification Storing When Disabled or Offline', type: 'boolean', value: true },
        { path: '/1/0/7', name: 'Binding', type: 'string', value: 'U' },
      ],
      error: null,
    });
  });

  it('decodes the object-link example (object 66, in no registry: values stay hex)', () => {
    const result = decodePayload(TLV, OBJLNK_INSTANCE, '/66/0');
    expect(result.error).toBeNull();
    expect(result.records).toEqual([
      { path: '/66/0/0/0', name: null, type: 'unknown', value: '00420000' },
      { path: '/66/0/0/1', name: null, type: 'unknown', value: '00420001' },
      { path: '/66/0/1', name: null, type: 'unknown', value: Buffer.from('8613800755500').toString('hex') },
      { path: '/66/0/2', name: null, type: 'unknown', value: '12345678' },
    ]);
  });

  it('decodes single-resource reads: a resource, a multiple resource, resource instances', () => {
    expect(pathValues(decodePayload(TLV, hex('C8 00 14 4F 70 65 6E 20 4D 6F 62 69 6C 65 20 41 6C 6C 69 61 6E 63 65'), '/3/0/0').records))
      .toEqual([['/3/0/0', 'Open Mobile Alliance']]);
    expect(pathValues(decodePayload(TLV, hex('86 06 41 00 01 41 01 05'), '/3/0/6').records))
      .toEqual([['/3/0/6/0', 1], ['/3/0/6/1', 5]]);
    expect(pathValues(decodePayload(TLV, hex('88 07 08 42 00 0E D8 42 01 13 88'), '/3/0/7').records))
      .toEqual([['/3/0/7/0', 3800], ['/3/0/7/1', 5000]]);
    // Resource instances without their multiple-resource TLV, as some clients send them.
    expect(pathValues(decodePayload(TLV, hex('41 00 01 41 01 05'), '/3/0/6').records))
      .toEqual([['/3/0/6/0', 1], ['/3/0/6/1', 5]]);
    expect(pathValues(decodePayload(TLV, hex('41 01 05'), '/3/0/6/1').records)).toEqual([['/3/0/6/1', 5]]);
  });
});

describe('LwM2M TLV: layouts and value types', () => {
  it('reads 16-bit identifiers and 8, 16 and 24-bit lengths', () => {
    const float = Buffer.alloc(4);
    float.writeFloatBE(20.5);
    const sensor = Buffer.concat([hex('E4 16 44'), float]); // resource 5700, 16-bit id, length 4 in the type byte
    expect(decodePayload(TLV, sensor, '/3303/0').records)
      .toEqual([{ path: '/3303/0/5700', name: 'Sensor Value', type: 'float', value: 20.5 }]);

    const units = hex('E8 16 45 03 43 65 6C'); // 5701, 8-bit length field
    expect(pathValues(decodePayload(TLV, units, '/3303/0').records)).toEqual([['/3303/0/5701', 'Cel']]);

    const image = Buffer.alloc(300, 0xab);
    const package16 = Buffer.concat([hex('D0 00 01 2C'), image]); // /5/0/0, 16-bit length 300
    expect(decodePayload(TLV, package16, '/5/0').records)
      .toEqual([{ path: '/5/0/0', name: 'Package', type: 'opaque', value: image.toString('hex') }]);

    const big = Buffer.alloc(70000, 1);
    const package24 = Buffer.concat([hex('D8 00 01 11 70'), big]); // 24-bit length 70000
    const result = decodePayload(TLV, package24, '/5/0');
    expect(result.error).toBeNull();
    expect(result.records[0].value).toHaveLength(140000);
  });

  it('types values from the registry: objlnk, unsigned, float64, opaque, negative and 8-byte integers', () => {
    const latitude = Buffer.alloc(8);
    latitude.writeDoubleBE(-43.5723);
    const body = Buffer.concat([hex('C4 0A 00 0B 00 00'), hex('C1 0B FF')]); // APN Link 11:0, TLS alert 255 (unsigned)
    expect(decodePayload(TLV, body, '/1/0').records).toEqual([
      { path: '/1/0/10', name: 'APN Link', type: 'objlnk', value: '11:0' },
      { path: '/1/0/11', name: 'TLS-DTLS Alert Code', type: 'unsigned', value: 255 },
    ]);
    expect(decodePayload(TLV, Buffer.concat([hex('C8 00 08'), latitude]), '/6/0').records[0])
      .toMatchObject({ type: 'float', value: -43.5723 });
    expect(decodePayload(TLV, hex('C3 03 01 02 FF'), '/0/1').records[0])
      .toEqual({ path: '/0/1/3', name: 'Public Key or Identity', type: 'opaque', value: '0102ff' });
    expect(decodePayload(TLV, hex('C1 09 FE C2 09 FF 38 C4 09 80 00 00 00 C4 09 7F FF FF FF'), '/3/0').records.map((r) => r.value))
      .toEqual([-2, -200, -2147483648, 2147483647]);
    expect(decodePayload(TLV, hex('C2 0B FF FF C4 0B FF FF FF FF C8 0B 08 00 00 00 01 00 00 00 00'), '/1/0').records.map((r) => r.value))
      .toEqual([65535, 4294967295, 4294967296]);
    expect(decodePayload(TLV, hex('C8 0D 08 00 00 00 00 51 82 42 8F'), '/3/0').records[0])
      .toMatchObject({ type: 'time', value: 1367491215 });
  });

  it('falls back to opaque hex for string bytes that are not UTF-8 (npm types Opaque as string)', () => {
    expect(decodePayload(TLV, hex('C2 03 FF FE'), '/3/0').records[0]).toMatchObject({ path: '/3/0/3', type: 'opaque', value: 'fffe' });
  });

  it('keeps control characters in strings (the terminal layer strips them)', () => {
    expect(decodePayload(TLV, hex('C3 00 41 1B 5B'), '/3/0').records[0].value).toBe('A\u001b[');
  });

  it('gives unknown resources type unknown and hex values', () => {
    expect(decodePayload(TLV, hex('C1 01 4D'), '/31024/10').records)
      .toEqual([{ path: '/31024/10/1', name: null, type: 'unknown', value: '4d' }]);
  });

  it('decodes an empty body to nothing', () => {
    expect(decodePayload(TLV, Buffer.alloc(0), '/3/0')).toEqual({ records: [], error: null });
  });
});

describe('LwM2M TLV: malformed input', () => {
  it('keeps the entries before a truncation and names where it broke', () => {
    const result = decodePayload(TLV, DEVICE_INSTANCE.subarray(0, 50), '/3/0');
    expect(pathValues(result.records)).toEqual([['/3/0/0', 'Open Mobile Alliance'], ['/3/0/1', 'Lightweight M2M Client']]);
    expect(result.error).toMatch(/^TLV entry at offset 48: requested \d+ bytes, but only \d+ bytes available$/);
  });

  it('reports lengths that run past the end, including a 16 MB 24-bit length, without allocating', () => {
    expect(decodePayload(TLV, hex('C8 00 FF 41'), '/3/0')).toMatchObject({ records: [], error: expect.stringMatching(/offset 0/) });
    expect(decodePayload(TLV, hex('D8 00 FF FF FF 00'), '/3/0')).toMatchObject({ records: [], error: expect.stringMatching(/16777215/) });
    // A resource instance whose length runs past its multiple resource.
    expect(decodePayload(TLV, hex('83 06 42 00 05'), '/3/0').error).toMatch(/offset 0/);
    // Header cut after the type byte.
    expect(decodePayload(TLV, hex('C1 09 64 E8'), '/3/0')).toMatchObject({ records: [{ path: '/3/0/9', value: 100 }], error: expect.stringMatching(/offset 3/) });
  });

  it('survives a nesting bomb: containers are parsed two levels deep and no further', () => {
    let body = hex('C1 00 01');
    for (let i = 0; i < 5000; i++) body = Buffer.concat([Buffer.from([0x18, 0, body.length >> 16, (body.length >> 8) & 255, body.length & 255]), body]);
    const result = decodePayload(TLV, body, '/3');
    expect(result.records).toEqual([]);
    expect(result.error).toBe('TLV /3/0: object instance not allowed in object instance');
  });

  it('rejects entries in the wrong place but keeps decoding the others', () => {
    const misplaced = decodePayload(TLV, hex('41 00 01 C1 09 64'), '/3/0');
    expect(pathValues(misplaced.records)).toEqual([['/3/0/9', 100]]);
    expect(misplaced.error).toBe('TLV resource instance 0 under /3/0: no resource id');
    expect(decodePayload(TLV, hex('C1 09 64'), '/3').error).toBe('TLV resource 9 under /3: no instance id');
    expect(decodePayload(TLV, hex('86 06 C1 00 01 C1 01 05'), '/3/0').error).toBe('TLV /3/0/6: resource not allowed in multiple resource');
  });

  it('marks values of the wrong size for their type and keeps them as hex', () => {
    const result = decodePayload(TLV, hex('C3 09 00 00 64 C1 06 02 C1 0A 0F'), '/1/0');
    expect(result.records).toEqual([
      { path: '/1/0/9', name: 'Bootstrap-Request Trigger', type: 'none', value: '000064' },
      { path: '/1/0/6', name: 'Notification Storing When Disabled or Offline', type: 'unknown', value: '02' },
      { path: '/1/0/10', name: 'APN Link', type: 'unknown', value: '0f' },
    ]);
    expect(result.error).toBe('TLV /1/0/6: 1-byte value is not a valid boolean');
    expect(decodePayload(TLV, hex('C3 09 00 00 64'), '/3/0').error).toBe('TLV /3/0/9: 3-byte value is not a valid integer');
  });

  it('needs an LwM2M path to place its ids', () => {
    expect(decodePayload(TLV, hex('C1 09 64'), '/rd/0')).toEqual({ records: [], error: 'TLV without an LwM2M object path: its ids cannot be placed' });
  });

  it('without the request (an observation begun before the capture) checks the framing only', () => {
    // Not a fault of the body: a sensor started on a running network sees such notifications from every meter.
    expect(decodePayload(TLV, hex('C1 09 64 C1 0A 0F'), null)).toEqual({ records: [], error: null });
    expect(decodePayload(TLV, hex('C1 09 64 C3 0A 0F'), null)).toEqual({ records: [], error: expect.stringMatching(/^TLV entry at offset 3: /) });
  });
});
