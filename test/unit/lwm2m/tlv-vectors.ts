/** TLV examples of the LwM2M core spec (1.0 TS 6.4.3 / 1.1 core 7.4.3), with the path each was read from. */
export const hex = (text: string) => Buffer.from(text.replace(/\s+/g, ''), 'hex');

/** Read of the Device object instance /3/0 (121 bytes). */
export const DEVICE_INSTANCE = hex(`
  C8 00 14 4F 70 65 6E 20 4D 6F 62 69 6C 65 20 41 6C 6C 69 61 6E 63 65
  C8 01 16 4C 69 67 68 74 77 65 69 67 68 74 20 4D 32 4D 20 43 6C 69 65 6E 74
  C8 02 09 33 34 35 30 30 30 31 32 33
  C3 03 31 2E 30
  86 06 41 00 01 41 01 05
  88 07 08 42 00 0E D8 42 01 13 88
  87 08 41 00 7D 42 01 03 84
  C1 09 64
  C1 0A 0F
  83 0B 41 00 00
  C4 0D 51 82 42 8F
  C6 0E 2B 30 32 3A 30 30
  C1 10 55`);

/** The same instance wrapped in its object instance TLV: Read /3. */
export const DEVICE_OBJECT = Buffer.concat([hex('08 00 79'), DEVICE_INSTANCE]);

/** Read /2: two Access Control object instances. */
export const ACCESS_CONTROL_OBJECT = hex(`
  08 00 0E  C1 00 01  C1 01 00  83 02 41 7F 07  C1 03 7F
  08 02 12  C1 00 03  C1 01 00  87 02 41 7F 07 61 01 36 01  C1 03 7F`);

/** Read /1: one Server object instance. */
export const SERVER_OBJECT = hex('08 00 0F  C1 00 01  C4 01 00 01 51 80  C1 06 01  C1 07 55');

/** Read /66/0 of the object-link example. */
export const OBJLNK_INSTANCE = hex(`
  88 00 0C 44 00 00 42 00 00 44 01 00 42 00 01
  C8 01 0D 38 36 31 33 38 30 30 37 35 35 35 30 30
  C4 02 12 34 56 78`);

export const SPEC_EXAMPLES: ReadonlyArray<{ path: string; body: Buffer }> = [
  { path: '/3/0', body: DEVICE_INSTANCE },
  { path: '/3', body: DEVICE_OBJECT },
  { path: '/2', body: ACCESS_CONTROL_OBJECT },
  { path: '/1', body: SERVER_OBJECT },
  { path: '/66/0', body: OBJLNK_INSTANCE },
  { path: '/3/0/0', body: DEVICE_INSTANCE.subarray(0, 23) },
  { path: '/3/0/6', body: hex('86 06 41 00 01 41 01 05') },
  { path: '/3/0/7', body: hex('88 07 08 42 00 0E D8 42 01 13 88') },
  { path: '/3/0/6', body: hex('41 00 01 41 01 05') },
  { path: '/3/0/6/1', body: hex('41 01 05') },
];
