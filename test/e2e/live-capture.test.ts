import { createSocket } from 'node:dgram';
import { describe, expect, it } from 'vitest';
import { LiveFrameReader, openLiveCapture } from '../../dist/capture/live.js';
import type { RawPacket } from '../../dist/capture/types.js';
import { rootReason } from '../support/live.js';

/*
 * The capture thread against the real libpcap on lo: frames arrive whole or cut at the snap
 * length, with libpcap's time stamps, counted; and what is on the wire until stop() is read
 * before stop() returns. Needs root (CI runs as root). The capture thread is a worker script, so
 * this runs the built code (dist/, which npm test builds first).
 */
const canCapture = rootReason === '';

async function sendDatagrams(port: number, count: number, size: number): Promise<void> {
  const receiver = createSocket('udp4');
  await new Promise<void>((resolve) => receiver.bind(port, '127.0.0.1', resolve));
  const sender = createSocket('udp4');
  for (let i = 0; i < count; i++) {
    const payload = Buffer.alloc(size, i & 0xff);
    payload.writeUInt32BE(i, 0);
    await new Promise<void>((resolve, reject) => sender.send(payload, port, '127.0.0.1', (err) => (err ? reject(err) : resolve())));
  }
  sender.close();
  receiver.close();
}

describe.skipIf(!canCapture)(`live capture on lo through libpcap${rootReason}`, () => {
  it('frames cut at the snap length keep their wire length and libpcap\'s time; stop() reads what was captured until then', async () => {
    const port = 20_000 + Math.floor(Math.random() * 20_000);
    const capture = openLiveCapture({ device: 'lo', filter: `udp dst port ${port}`, snaplen: 96, bufferSize: 4 << 20, promisc: false });
    expect(capture.linkType).toBe(1); // lo is Ethernet to libpcap
    const before = Date.now() / 1000;
    await sendDatagrams(port, 300, 200);
    const after = Date.now() / 1000;
    // No waiting: the last frames are still in libpcap's current block, which stop() must read.
    const stats = capture.stop();
    expect(capture.stop()).toBe(stats);
    const frames: RawPacket[] = [];
    const reader = new LiveFrameReader(capture.queue, capture.linkType, (p) => frames.push({ ...p, data: Buffer.from(p.data) }));
    reader.drainAll();
    expect(stats).toMatchObject({ received: 300, droppedKernel: 0, droppedPipeline: 0 });
    expect(frames).toHaveLength(300);
    frames.forEach((f, i) => {
      expect(f.frame).toBe(i + 1);
      expect(f.data.length).toBe(96);
      expect(f.origLength).toBe(14 + 20 + 8 + 200);
      expect(f.data.readUInt16BE(14 + 20 + 2)).toBe(port); // UDP destination port
      expect(f.data.readUInt32BE(42)).toBe(i); // the payload, in the order sent
      expect(f.ts).toBeGreaterThanOrEqual(before - 0.001);
      expect(f.ts).toBeLessThanOrEqual(after + 0.001);
    });
  });
});
