import type { Lwm2mRecord, ResourceType } from './types.js';

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * The value in buf[start, end) of a TLV resource (instance) of the given registry type
 * (LwM2M 1.1 core 7.4.3.1): integers are 1, 2, 4 or 8-byte big-endian two's complement,
 * floats 4 or 8 bytes, booleans one byte 0/1, Objlnk two 16-bit ids. Null when the bytes
 * cannot be a value of that type (wrong size, boolean 2). Read in place: no copy or view
 * per value on this hot path.
 */
export function tlvValue(
  type: ResourceType | undefined,
  buf: Buffer,
  start: number,
  end: number,
): { type: ResourceType; value: Lwm2mRecord['value'] } | null {
  const length = end - start;
  switch (type) {
    case 'integer':
    case 'time': {
      const value = signedInteger(buf, start, length);
      return value === null ? null : { type, value };
    }
    case 'unsigned': {
      const value = unsignedInteger(buf, start, length);
      return value === null ? null : { type, value };
    }
    case 'float':
      if (length === 4) return { type, value: buf.readFloatBE(start) };
      if (length === 8) return { type, value: buf.readDoubleBE(start) };
      return null;
    case 'boolean':
      return length === 1 && buf[start] <= 1 ? { type, value: buf[start] === 1 } : null;
    case 'objlnk':
      return length === 4 ? { type, value: `${buf.readUInt16BE(start)}:${buf.readUInt16BE(start + 2)}` } : null;
    case 'string':
    case 'corelnk': {
      const value = utf8Text(buf, start, end);
      // The npm registry types Opaque resources as string; bytes that are not UTF-8 are that.
      return value === null ? { type: 'opaque', value: buf.toString('hex', start, end) } : { type, value };
    }
    case 'opaque':
    case 'none':
      return { type, value: buf.toString('hex', start, end) };
    default:
      return { type: 'unknown', value: buf.toString('hex', start, end) };
  }
}

/** UTF-8 text of buf[start, end), null when it is not valid UTF-8; ASCII (nearly every LwM2M string) without a view. */
function utf8Text(buf: Buffer, start: number, end: number): string | null {
  let i = start;
  while (i < end && buf[i] < 0x80) i++;
  if (i === end) return buf.toString('latin1', start, end);
  try {
    return utf8.decode(buf.subarray(start, end));
  } catch {
    return null;
  }
}

function signedInteger(buf: Buffer, start: number, length: number): number | null {
  switch (length) {
    case 1:
      return buf.readInt8(start);
    case 2:
      return buf.readInt16BE(start);
    case 4:
      return buf.readInt32BE(start);
    case 8:
      // Beyond 2^53 this loses precision; records carry plain numbers.
      return Number(buf.readBigInt64BE(start));
    default:
      return null;
  }
}

function unsignedInteger(buf: Buffer, start: number, length: number): number | null {
  switch (length) {
    case 1:
      return buf[start];
    case 2:
      return buf.readUInt16BE(start);
    case 4:
      return buf.readUInt32BE(start);
    case 8:
      return Number(buf.readBigUInt64BE(start));
    default:
      return null;
  }
}
