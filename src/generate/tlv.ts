/** OMA TLV type bits 7-6 (LwM2M 1.1 core, 7.4.3). */
export const TLV_OBJECT_INSTANCE = 0;
export const TLV_RESOURCE = 3;

/** One OMA TLV: type byte, 8- or 16-bit identifier, then the length inline or in 1-3 bytes. */
export function tlv(kind: number, id: number, value: Buffer): Buffer {
  const idBytes = id > 0xff ? 2 : 1;
  const length = value.length;
  const lengthBytes = length < 8 ? 0 : length <= 0xff ? 1 : length <= 0xffff ? 2 : 3;
  const out = Buffer.allocUnsafe(1 + idBytes + lengthBytes + length);
  out[0] = (kind << 6) | (idBytes === 2 ? 0x20 : 0) | (lengthBytes << 3) | (lengthBytes === 0 ? length : 0);
  out.writeUIntBE(id, 1, idBytes);
  if (lengthBytes > 0) out.writeUIntBE(length, 1 + idBytes, lengthBytes);
  value.copy(out, 1 + idBytes + lengthBytes);
  return out;
}

/** TLV integers are signed big-endian of 1, 2, 4 or 8 bytes; 4 covers what the fleet sends. */
export function tlvInt32(value: number): Buffer {
  const out = Buffer.allocUnsafe(4);
  out.writeInt32BE(value);
  return out;
}

export function tlvFloat64(value: number): Buffer {
  const out = Buffer.allocUnsafe(8);
  out.writeDoubleBE(value);
  return out;
}
