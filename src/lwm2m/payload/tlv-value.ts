import { hex } from './encoding.js';
import type { Lwm2mRecord, ResourceType } from './types.js';

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * The value of a TLV resource (instance) of the given registry type (LwM2M 1.1 core
 * 7.4.3.1): integers are 1, 2, 4 or 8-byte big-endian two's complement, floats 4 or 8
 * bytes, booleans one byte 0/1, Objlnk two 16-bit ids. Null when the bytes cannot be a
 * value of that type (wrong size, boolean 2).
 */
export function tlvValue(
  type: ResourceType | undefined,
  bytes: Uint8Array,
): { type: ResourceType; value: Lwm2mRecord['value'] } | null {
  switch (type) {
    case 'integer':
    case 'time': {
      const value = signedInteger(bytes);
      return value === null ? null : { type, value };
    }
    case 'unsigned': {
      const value = unsignedInteger(bytes);
      return value === null ? null : { type, value };
    }
    case 'float':
      if (bytes.length === 4) return { type, value: viewOf(bytes).getFloat32(0) };
      if (bytes.length === 8) return { type, value: viewOf(bytes).getFloat64(0) };
      return null;
    case 'boolean':
      return bytes.length === 1 && bytes[0] <= 1 ? { type, value: bytes[0] === 1 } : null;
    case 'objlnk':
      return bytes.length === 4 ? { type, value: `${(bytes[0] << 8) | bytes[1]}:${(bytes[2] << 8) | bytes[3]}` } : null;
    case 'string':
    case 'corelnk':
      try {
        return { type, value: utf8.decode(bytes) };
      } catch {
        // The npm registry types Opaque resources as string; bytes that are not UTF-8 are that.
        return { type: 'opaque', value: hex(bytes) };
      }
    case 'opaque':
    case 'none':
      return { type, value: hex(bytes) };
    default:
      return { type: 'unknown', value: hex(bytes) };
  }
}

function viewOf(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

// 1, 2 and 4-byte integers are read by hand: a DataView per value costs more than the rest of the decode.
function signedInteger(bytes: Uint8Array): number | null {
  switch (bytes.length) {
    case 1:
      return (bytes[0] << 24) >> 24;
    case 2:
      return (((bytes[0] << 8) | bytes[1]) << 16) >> 16;
    case 4:
      return (bytes[0] << 24) | (bytes[1] << 16) | (bytes[2] << 8) | bytes[3];
    case 8:
      // Beyond 2^53 this loses precision; records carry plain numbers.
      return Number(viewOf(bytes).getBigInt64(0));
    default:
      return null;
  }
}

function unsignedInteger(bytes: Uint8Array): number | null {
  switch (bytes.length) {
    case 1:
      return bytes[0];
    case 2:
      return (bytes[0] << 8) | bytes[1];
    case 4:
      return ((bytes[0] << 24) | (bytes[1] << 16) | (bytes[2] << 8) | bytes[3]) >>> 0;
    case 8:
      return Number(viewOf(bytes).getBigUint64(0));
    default:
      return null;
  }
}
