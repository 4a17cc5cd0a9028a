import type { Station } from './pcap-writer.js';

/** One CoAP message, as seen at the server's network interface. */
export interface Datagram {
  /** Capture time, microseconds since the epoch. */
  us: number;
  from: Station;
  to: Station;
  coap: Buffer;
  /** The LwM2M operation a request or notification performs, for the generator's log; absent on responses. */
  operation?: string;
  /** The endpoint the message is about (sent by, sent to, or claiming to be). */
  endpoint: string;
  /** Set on every message an attack injected: its name, for the ground-truth file. */
  attack?: string;
}
