import type { PacketQueueMemory } from './live-queue.js';

/** What the capture thread is started with. */
export interface CaptureThreadData {
  /** The activated pcap_t's address. */
  handle: number;
  queue: PacketQueueMemory;
  /** Int32 words: CAPTURE_STOP (set by the opener), CAPTURE_DONE (set by the capture thread). */
  control: SharedArrayBuffer;
  /** Float64 counters, written by the capture thread: CAPTURE_COUNTERS. */
  counters: SharedArrayBuffer;
}

/** The capture thread's one message: libpcap failed (the interface went down) and capture ended. */
export interface CaptureThreadMessage {
  type: 'error';
  message: string;
}

export const CAPTURE_STOP = 0;
export const CAPTURE_DONE = 1;
export const CAPTURE_CONTROL_WORDS = 2;
export const CAPTURE_COUNTERS = { received: 0, droppedKernel: 1, droppedInterface: 2, statsRead: 3, receivedBytes: 4 } as const;
export const CAPTURE_COUNTER_COUNT = 5;
