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
  /**
   * Byte offset of the frame's record (pcap record header, pcapng block) in the file that holds
   * it: the capture read, or live, the --write file; -1 when no file holds it. With recordFile,
   * what lets a frame be read back later without reading the file from the start.
   */
  recordOffset: number;
  /** Which file: 0 for a capture file; live with --write, the rotation number (see rotatedName); -1: none. */
  recordFile: number;
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
  /** Reading stopped early because ReadOptions.signal was aborted. */
  interrupted: boolean;
}

/** The file readers read this much at a time. */
export const READ_CHUNK_BYTES = 8 << 20;
/** onProgress is called about once per this many bytes consumed. */
export const PROGRESS_STEP_BYTES = 1 << 20;

export interface ReadOptions {
  /** Called now and then with bytes consumed so far and the file size, for progress bars. */
  onProgress?: (bytesRead: number, totalBytes: number) => void;
  /** Aborted: reading stops after the packet being delivered, and CaptureInfo says it was interrupted. */
  signal?: AbortSignal;
}

/** How long a reader delivers packets before it gives the event loop a turn. */
const SLICE_MS = 50;
/** Packets delivered between two looks at the clock. */
const PACKETS_PER_CLOCK_CHECK = 256;

/**
 * Lets a reader's delivery loop give the event loop a turn every SLICE_MS of work, however long
 * the consumer takes per packet: a signal (SIGINT, SIGTERM), the progress bar and the dashboard
 * are only served between turns, and a chunk of the file can hold a million packets.
 */
export class DeliverySlices {
  private delivered = 0;
  private sliceStart = performance.now();

  constructor(private readonly signal: AbortSignal | undefined) {}

  /** Called after each packet: true when this slice is used up and the reader should pause(). */
  due(): boolean {
    if (++this.delivered % PACKETS_PER_CLOCK_CHECK !== 0) return false;
    return performance.now() - this.sliceStart >= SLICE_MS || this.signal?.aborted === true;
  }

  /** Gives the event loop a turn; true when reading should stop (the signal was aborted). */
  async pause(): Promise<boolean> {
    await new Promise<void>((resolve) => setImmediate(resolve));
    this.sliceStart = performance.now();
    return this.aborted();
  }

  aborted(): boolean {
    return this.signal?.aborted === true;
  }
}

/** A capture file that cannot be read at all; the message is one line for the user. */
export class CaptureError extends Error {
  override name = 'CaptureError';
}
