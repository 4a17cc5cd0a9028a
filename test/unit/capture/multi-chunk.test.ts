import { describe, expect, it } from 'vitest';
import { readCapture } from '../../../src/capture/index.js';
import { repeatedPcap, tempFile } from './helpers.js';
import { enhancedPacket, interfaceDescription, sectionHeader } from './pcapng-builder.js';
import { PCAP_GLOBAL_HEADER_BYTES, writePcapGlobalHeader } from '../../../src/capture/pcap-header.js';

/* The readers read 8 MiB at a time: a capture of several chunks is read whole, in order, across chunk boundaries. */

const COUNT = 9 * 1024; // 1000-byte packets: more than one 8 MiB chunk
const BODY = Buffer.alloc(1000, 0xab);

function bigPcap(): string {
  const header = Buffer.alloc(PCAP_GLOBAL_HEADER_BYTES);
  writePcapGlobalHeader(header, 0, 1, 65535);
  return tempFile('multi-chunk.pcap', repeatedPcap(header, COUNT, BODY));
}

function bigPcapng(): string {
  const parts = [sectionHeader(true), interfaceDescription(true, 1, 65535)];
  for (let i = 0; i < COUNT; i++) parts.push(enhancedPacket(true, 0, BigInt(1_700_000_000 + i) * 1_000_000n, BODY));
  return tempFile('multi-chunk.pcapng', Buffer.concat(parts));
}

describe.each([
  ['pcap', bigPcap],
  ['pcapng', bigPcapng],
])('readCapture across read chunks (%s)', (_, make) => {
  it('delivers every frame once, numbered in order, with its bytes whole', async () => {
    const path = make();
    const frames: number[] = [];
    let whole = 0;
    const info = await readCapture(path, (p) => {
      frames.push(p.frame);
      if (p.data.length === BODY.length && p.data.equals(BODY)) whole++;
    });
    expect(info.packets).toBe(COUNT);
    expect(info.warnings).toEqual([]);
    expect(frames.length).toBe(COUNT);
    expect(frames.every((f, i) => f === i + 1)).toBe(true);
    expect(whole).toBe(COUNT);
  });
});

describe.each([
  ['pcap', bigPcap],
  ['pcapng', bigPcapng],
])('readCapture with an abort signal (%s)', (_, make) => {
  it('stops soon after the signal is aborted and says it was interrupted', async () => {
    const path = make();
    const stop = new AbortController();
    let delivered = 0;
    const info = await readCapture(path, () => {
      if (++delivered === 1000) stop.abort('SIGTERM');
    }, { signal: stop.signal });
    expect(info.interrupted).toBe(true);
    expect(info.packets).toBe(delivered);
    // The readers look at the signal every few hundred packets.
    expect(delivered).toBeGreaterThanOrEqual(1000);
    expect(delivered).toBeLessThan(2000);
  });

  it('reads the whole file when the signal is never aborted', async () => {
    const info = await readCapture(make(), () => undefined, { signal: new AbortController().signal });
    expect(info.interrupted).toBe(false);
    expect(info.packets).toBe(COUNT);
  });
});
