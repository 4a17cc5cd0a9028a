import { closeSync, openSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import type { Datagram } from './datagram.js';
import { mergeByTime } from './merge-by-time.js';
import { PcapWriter } from './pcap-writer.js';

/** One injected message, as the ground-truth file lists it. */
export interface TruthRecord {
  /** 1-based frame in the capture; null for an event no message shows (a meter falling silent). */
  frame: number | null;
  time: number;
  attack: string;
  endpoint: string;
}

export interface CaptureResult {
  packets: number;
  bytes: number;
  /** Requests and notifications written, by LwM2M operation. */
  operations: Record<string, number>;
  truth: TruthRecord[];
}

/** Simulated time runs `speed` times faster than capture time from `startUs`, as a live run at that speed would record it. */
export interface TimeCompression {
  startUs: number;
  speed: number;
}

/**
 * Writes the streams, merged in time order, as a pcap at `path` (through a temporary file, so that
 * an interrupted run never leaves a truncated capture behind), stopping after `limit` packets.
 */
export function writeCapture(path: string, streams: Array<Iterator<Datagram>>, limit = Infinity, time: TimeCompression = { startUs: 0, speed: 1 }): CaptureResult {
  const partial = `${path}.partial-${process.pid}`;
  let fd: number;
  try {
    fd = openSync(partial, 'w');
  } catch (err) {
    throw new Error(`cannot write ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  const operations: Record<string, number> = {};
  const truth: TruthRecord[] = [];
  let writer: PcapWriter;
  try {
    writer = new PcapWriter(fd);
    for (const d of mergeByTime(streams)) {
      if (writer.packets === limit) break;
      const us = time.speed === 1 ? d.us : time.startUs + Math.round((d.us - time.startUs) / time.speed);
      writer.writeUdp(us, d.from, d.to, d.coap);
      if (d.operation !== undefined) operations[d.operation] = (operations[d.operation] ?? 0) + 1;
      if (d.attack !== undefined) truth.push({ frame: writer.packets, time: us / 1e6, attack: d.attack, endpoint: d.endpoint });
    }
    writer.flush();
  } catch (err) {
    closeSync(fd);
    rmSync(partial, { force: true });
    throw err;
  }
  closeSync(fd);
  renameSync(partial, path);
  return { packets: writer.packets, bytes: writer.bytes, operations, truth };
}

/** `FILE.truth.ndjson`: one line per injected message. */
export function writeTruth(path: string, truth: TruthRecord[]): void {
  try {
    writeFileSync(path, truth.map((r) => JSON.stringify(r) + '\n').join(''));
  } catch (err) {
    throw new Error(`cannot write ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
}
