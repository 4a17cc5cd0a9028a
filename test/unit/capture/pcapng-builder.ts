/**
 * Builds pcapng files byte by byte, for layouts Wireshark's tools do not write: big-endian
 * sections, power-of-2 resolutions, if_tsoffset, Simple and obsolete Packet Blocks.
 */

export function u16(value: number, le: boolean): Buffer {
  const b = Buffer.alloc(2);
  if (le) b.writeUInt16LE(value); else b.writeUInt16BE(value);
  return b;
}

export function u32(value: number, le: boolean): Buffer {
  const b = Buffer.alloc(4);
  if (le) b.writeUInt32LE(value); else b.writeUInt32BE(value);
  return b;
}

function i64(value: bigint, le: boolean): Buffer {
  const b = Buffer.alloc(8);
  if (le) b.writeBigInt64LE(value); else b.writeBigInt64BE(value);
  return b;
}

function padded(data: Buffer): Buffer {
  return Buffer.concat([data, Buffer.alloc((4 - (data.length % 4)) % 4)]);
}

export function block(le: boolean, type: number, ...body: Buffer[]): Buffer {
  const content = padded(Buffer.concat(body));
  const length = 12 + content.length;
  return Buffer.concat([u32(type, le), u32(length, le), content, u32(length, le)]);
}

function option(le: boolean, code: number, value: Buffer): Buffer {
  return Buffer.concat([u16(code, le), u16(value.length, le), padded(value)]);
}

export function sectionHeader(le: boolean): Buffer {
  const userAppl = option(le, 4, Buffer.from('coapwatch test'));
  return block(le, 0x0a0d0d0a, u32(0x1a2b3c4d, le), u16(1, le), u16(0, le), i64(-1n, le), userAppl, u32(0, le));
}

export interface InterfaceOptions {
  /** Raw if_tsresol byte. */
  tsresol?: number;
  /** if_tsoffset in seconds. */
  tsoffset?: bigint;
}

export function interfaceDescription(le: boolean, linkType: number, snaplen: number, opts: InterfaceOptions = {}): Buffer {
  const options: Buffer[] = [option(le, 2, Buffer.from('eth-test'))]; // if_name, to be skipped
  if (opts.tsresol !== undefined) options.push(option(le, 9, Buffer.from([opts.tsresol])));
  if (opts.tsoffset !== undefined) options.push(option(le, 14, i64(opts.tsoffset, le)));
  return block(le, 1, u16(linkType, le), u16(0, le), u32(snaplen, le), ...options, u32(0, le));
}

function timestamp(ticks: bigint, le: boolean): Buffer {
  return Buffer.concat([u32(Number(ticks >> 32n), le), u32(Number(ticks & 0xffffffffn), le)]);
}

export function enhancedPacket(le: boolean, interfaceId: number, ticks: bigint, data: Buffer, origLength = data.length): Buffer {
  return block(le, 6, u32(interfaceId, le), timestamp(ticks, le), u32(data.length, le), u32(origLength, le), padded(data));
}

export function obsoletePacket(le: boolean, interfaceId: number, ticks: bigint, data: Buffer): Buffer {
  return block(le, 2, u16(interfaceId, le), u16(0, le), timestamp(ticks, le), u32(data.length, le), u32(data.length, le), padded(data));
}

export function simplePacket(le: boolean, data: Buffer, origLength = data.length): Buffer {
  return block(le, 3, u32(origLength, le), padded(data));
}

/** Bytes 0, 1, 2, ... as a stand-in packet body. */
export function bytes(length: number, first = 0): Buffer {
  return Buffer.from(Array.from({ length }, (_, i) => (first + i) & 0xff));
}
