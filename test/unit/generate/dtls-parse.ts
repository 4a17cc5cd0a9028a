import { expect } from 'vitest';

export interface DtlsRecord {
  type: number;
  version: number;
  epoch: number;
  sequence: number;
  fragment: Buffer;
}

/** Splits a datagram into DTLS records by their length fields; every byte must belong to one. */
export function parseRecords(datagram: Buffer): DtlsRecord[] {
  const records: DtlsRecord[] = [];
  let pos = 0;
  while (pos < datagram.length) {
    expect(datagram.length - pos).toBeGreaterThanOrEqual(13);
    const length = datagram.readUInt16BE(pos + 11);
    expect(pos + 13 + length).toBeLessThanOrEqual(datagram.length);
    records.push({
      type: datagram[pos], version: datagram.readUInt16BE(pos + 1), epoch: datagram.readUInt16BE(pos + 3),
      sequence: datagram.readUIntBE(pos + 5, 6), fragment: datagram.subarray(pos + 13, pos + 13 + length),
    });
    pos += 13 + length;
  }
  return records;
}

/** A handshake fragment's header, checked: unfragmented, its lengths agreeing with the bytes. */
export function parseHandshake(fragment: Buffer): { msgType: number; messageSeq: number; body: Buffer } {
  const length = fragment.readUIntBE(1, 3);
  expect(fragment.readUIntBE(6, 3)).toBe(0);
  expect(fragment.readUIntBE(9, 3)).toBe(length);
  expect(fragment.length).toBe(12 + length);
  return { msgType: fragment[0], messageSeq: fragment.readUInt16BE(4), body: fragment.subarray(12) };
}
