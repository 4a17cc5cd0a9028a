/** Classic pcap, little-endian, microsecond timestamps: the format coapwatch writes. */
export const PCAP_GLOBAL_HEADER_BYTES = 24;
const MAGIC_MICROSECONDS = 0xa1b2c3d4;

/** Writes a pcap global header (version 2.4, UTC) into `buffer` at `offset`. */
export function writePcapGlobalHeader(buffer: Buffer, offset: number, linkType: number, snaplen: number): void {
  buffer.writeUInt32LE(MAGIC_MICROSECONDS, offset);
  buffer.writeUInt16LE(2, offset + 4);
  buffer.writeUInt16LE(4, offset + 6);
  buffer.writeInt32LE(0, offset + 8); // thiszone: timestamps are UTC
  buffer.writeUInt32LE(0, offset + 12); // sigfigs
  buffer.writeUInt32LE(snaplen, offset + 16);
  buffer.writeUInt32LE(linkType, offset + 20);
}
