/** One captured frame as read from a file or an interface. */
export interface RawPacket {
  /** 1-based number of the packet in the capture (tshark's frame.number). */
  frame: number;
  /** Capture time in seconds since the Unix epoch (fraction kept to the file's resolution, at least µs). */
  ts: number;
  /** LINKTYPE_* value of the interface the packet was captured on. */
  linkType: number;
  /** Captured bytes. May be a view into a reused read buffer: valid only during the callback. */
  data: Buffer;
  /** Length of the packet on the wire (may exceed data.length when the snap length cut it). */
  origLength: number;
}

export type PacketSink = (packet: RawPacket) => void;

export interface CaptureInfo {
  format: 'pcap' | 'pcapng';
  /** Packets delivered to the sink. */
  packets: number;
  /** Bytes of the file consumed. */
  bytesRead: number;
  /** Distinct link types seen (pcapng may carry several interfaces). */
  linkTypes: number[];
  /** Non-fatal problems, one line each (e.g. a truncated last record). */
  warnings: string[];
}

/** The file readers read this much at a time. */
export const READ_CHUNK_BYTES = 8 << 20;
/** onProgress is called about once per this many bytes consumed. */
export const PROGRESS_STEP_BYTES = 1 << 20;

export interface ReadOptions {
  /** Called now and then with bytes consumed so far and the file size, for progress bars. */
  onProgress?: (bytesRead: number, totalBytes: number) => void;
}

/** A capture file that cannot be read at all; the message is one line for the user. */
export class CaptureError extends Error {
  override name = 'CaptureError';
}
