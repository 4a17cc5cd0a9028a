import { PCAP_GLOBAL_HEADER_BYTES, writePcapGlobalHeader } from '../../src/capture/pcap-header.js';

/** A little-endian µs pcap of Ethernet frames, one second apart from 1,700,000,000 s. */
export function pcapOfFrames(frames: readonly Buffer[]): Buffer {
  const header = Buffer.alloc(PCAP_GLOBAL_HEADER_BYTES);
  writePcapGlobalHeader(header, 0, 1, 262144);
  const records = frames.map((frame, i) => {
    const record = Buffer.alloc(16);
    record.writeUInt32LE(1_700_000_000 + i, 0);
    record.writeUInt32LE(frame.length, 8);
    record.writeUInt32LE(frame.length, 12);
    return Buffer.concat([record, frame]);
  });
  return Buffer.concat([header, ...records]);
}
