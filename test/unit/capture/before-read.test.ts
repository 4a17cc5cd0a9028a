import { describe, expect, it } from 'vitest';
import { readCapture } from '../../../src/capture/index.js';
import { repeatedPcap, tempFile } from './helpers.js';
import { enhancedPacket, interfaceDescription, sectionHeader } from './pcapng-builder.js';

/* ReadOptions.beforeRead: awaited between read chunks (8 MiB), so a slow consumer can hold the reader up. */

const COUNT = 9 * 1024; // 1000-byte packets: more than one 8 MiB chunk
const BODY = Buffer.alloc(1000, 0xab);

function bigPcap(): string {
  const header = Buffer.alloc(24);
  header.writeUInt32LE(0xa1b2c3d4, 0);
  header.writeUInt16LE(2, 4);
  header.writeUInt16LE(4, 6);
  header.writeUInt32LE(65535, 16);
  header.writeUInt32LE(1, 20);
  return tempFile('before-read.pcap', repeatedPcap(header, COUNT, BODY));
}

function bigPcapng(): string {
  const parts = [sectionHeader(true), interfaceDescription(true, 1, 65535)];
  for (let i = 0; i < COUNT; i++) parts.push(enhancedPacket(true, 0, BigInt(1_700_000_000 + i) * 1_000_000n, BODY));
  return tempFile('before-read.pcapng', Buffer.concat(parts));
}

describe.each([
  ['pcap', bigPcap],
  ['pcapng', bigPcapng],
])('readCapture beforeRead (%s)', (_, make) => {
  it('is awaited between chunks: no packet is delivered while it is pending', async () => {
    const path = make();
    let delivered = 0;
    let pending = false;
    let deliveredWhilePending = 0;
    const atHook: number[] = [];
    const info = await readCapture(path, () => {
      delivered++;
      if (pending) deliveredWhilePending++;
    }, {
      beforeRead: async () => {
        atHook.push(delivered);
        pending = true;
        await new Promise((resolve) => setTimeout(resolve, 20));
        pending = false;
      },
    });
    expect(info.packets).toBe(COUNT);
    expect(delivered).toBe(COUNT);
    expect(deliveredWhilePending).toBe(0);
    // Called (at least) after the first chunk's packets and before the rest.
    expect(atHook.some((n) => n > 0 && n < COUNT)).toBe(true);
  });

  it('a rejection ends the read with that error', async () => {
    const path = make();
    let delivered = 0;
    const read = readCapture(path, () => void delivered++, { beforeRead: () => Promise.reject(new Error('consumer gone')) });
    await expect(read).rejects.toThrow('consumer gone');
    expect(delivered).toBeLessThan(COUNT);
  });
});
