import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CaptureError, readCapture } from '../../../src/capture/index.js';
import {
  block, bytes, enhancedPacket, interfaceDescription, obsoletePacket, sectionHeader, simplePacket, u32,
} from './pcapng-builder.js';
import { collect, expectPackets, fixture, tempFile, TS_DIGITS, WAKAAMA_OBSERVE, WAKAAMA_OBSERVE_NS } from './helpers.js';

const LE = true;
const BE = false;

/** File offset of each block in a little-endian pcapng. */
function blockOffsets(file: Buffer): number[] {
  const offsets: number[] = [];
  for (let at = 0; at < file.length; at += file.readUInt32LE(at + 4)) offsets.push(at);
  return offsets;
}

const observe = readFileSync(fixture('wakaama-observe.pcapng'));
/** editcap writes a Section Header, one Interface Description, then one Enhanced Packet per frame. */
const packetBlocks = blockOffsets(observe).slice(2);

describe('pcapng from Wireshark tools', () => {
  it('reads a µs capture as tshark does', async () => {
    const { info, packets } = await collect(fixture('wakaama-observe.pcapng'));
    expect(info).toEqual({ format: 'pcapng', packets: 21, bytesRead: 2588, linkTypes: [1], warnings: [], interrupted: false });
    expectPackets(packets, WAKAAMA_OBSERVE, 1);
    expect(packets.every((p) => p.data.readUInt16BE(12) === 0x0800)).toBe(true);
  });

  it('reads an if_tsresol=9 (ns) capture', async () => {
    const { info, packets } = await collect(fixture('wakaama-observe-ns.pcapng'));
    expect(info.warnings).toEqual([]);
    expectPackets(packets, WAKAAMA_OBSERVE_NS, 1);
  });

  it('reads two interfaces with their own link types and resolutions (mergecap)', async () => {
    // Interface 0: Ethernet, µs. Interface 1: raw IP, ns, each packet cut by 14 bytes (editcap -C 14).
    const tshark: [number, number, number, number][] = [
      [1795415436.284535000, 232, 232, 1],
      [1795415436.284850923, 159, 145, 101],
      [1795415436.285194000, 55, 55, 1],
      [1795415436.285344923, 53, 39, 101],
      [1795415436.285650923, 159, 145, 101],
      [1795415436.286034923, 53, 39, 101],
      [1795415436.286235923, 107, 93, 101],
      [1795415436.286501923, 58, 44, 101],
      [1795415438.782932000, 59, 59, 1],
      [1795415438.783166000, 79, 79, 1],
      [1795415438.784115923, 56, 42, 101],
      [1795415438.784347923, 119, 105, 101],
    ];
    const { info, packets } = await collect(fixture('two-interfaces.pcapng'));
    expect(info).toMatchObject({ format: 'pcapng', packets: 29, linkTypes: [1, 101], warnings: [] });
    tshark.forEach(([ts, len, capLen, linkType], i) => {
      const packet = packets[i];
      expect(packet.frame).toBe(i + 1);
      expect(packet.ts).toBeCloseTo(ts, TS_DIGITS);
      expect([packet.origLength, packet.data.length, packet.linkType]).toEqual([len, capLen, linkType]);
      expect(packet.data[0] >> 4).toBe(linkType === 1 ? 0 : 4); // raw IP starts with the IPv4 version
    });
  });
});

describe('pcapng layouts built by hand', () => {
  // A big-endian section then a little-endian one, with every timestamp resolution path.
  const sections = [
    sectionHeader(BE),
    interfaceDescription(BE, 101, 0, { tsresol: 0x94, tsoffset: 1_700_000_000n }), // 2^-20 s
    interfaceDescription(BE, 1, 64, { tsresol: 3 }), // ms
    block(BE, 4, u32(0, BE)), // Name Resolution Block: skipped
    block(BE, 0x40000bad, bytes(10)), // Custom Block: skipped, but tshark gives it frame 1
    enhancedPacket(BE, 0, 5n * 2n ** 20n + 2n ** 18n, bytes(20)),
    enhancedPacket(BE, 1, 1795415436284n, bytes(64, 1), 1500),
    simplePacket(BE, bytes(10, 2)),
    obsoletePacket(BE, 1, 1795415437000n, bytes(30, 3)),
    sectionHeader(LE),
    interfaceDescription(LE, 276, 262144), // default µs
    interfaceDescription(LE, 229, 0, { tsresol: 9 }), // ns
    interfaceDescription(LE, 228, 0, { tsresol: 0x9e }), // 2^-30 s
    interfaceDescription(LE, 113, 8, { tsresol: 12 }), // ps, snaplen 8
    enhancedPacket(LE, 0, 1795415436284535n, bytes(40, 4)),
    enhancedPacket(LE, 1, 1795415436250000000n, bytes(41, 5)),
    enhancedPacket(LE, 1, 1795415436284535123n, bytes(42, 6)),
    enhancedPacket(LE, 2, 1795415436n * 2n ** 30n + 2n ** 29n, bytes(43, 7)),
    enhancedPacket(LE, 3, 9_999_500_000_000_000n, bytes(8, 8)),
    enhancedPacket(LE, 3, 10_000_000_000_000_000n, bytes(12, 9)),
  ];

  it('reads several sections, byte orders, interfaces and packet block kinds as tshark does', async () => {
    // tshark -T fields -e frame.number -e frame.time_epoch -e frame.len -e frame.cap_len, plus the
    // link type. Two deliberate differences: a Simple Packet Block has no timestamp (tshark prints
    // none, we give 0), and for 9999.5 s in picoseconds tshark 4.0 prints 9999.001937910.
    const expected: [number, number, number, number, number][] = [
      [2, 1700000005.25, 20, 20, 101],
      [3, 1795415436.284, 1500, 64, 1],
      [4, 0, 10, 10, 101],
      [5, 1795415437, 30, 30, 1],
      [6, 1795415436.284535, 40, 40, 276],
      [7, 1795415436.25, 41, 41, 229],
      [8, 1795415436.284535123, 42, 42, 229],
      [9, 1795415436.5, 43, 43, 228],
      [10, 9999.5, 8, 8, 113],
      [11, 10000, 12, 12, 113],
    ];
    const path = tempFile('handmade.pcapng', Buffer.concat(sections));
    const { info, packets } = await collect(path);
    expect(packets.map((p) => [p.frame, p.ts, p.origLength, p.data.length, p.linkType])).toEqual(expected);
    expect(packets[1].data).toEqual(bytes(64, 1));
    expect(packets[3].data).toEqual(bytes(30, 3));
    expect(info).toMatchObject({ format: 'pcapng', packets: 10, linkTypes: [101, 1, 276, 229, 228, 113] });
    expect(info.warnings).toEqual([`${path}: frame 11 captured length 12 exceeds its interface snaplen 8; kept`]);
  });

  it('skips packets naming an undefined interface, counting repeats in one warning', async () => {
    const blocks = [
      sectionHeader(LE),
      interfaceDescription(LE, 1, 0),
      enhancedPacket(LE, 0, 1n, bytes(20)),
      enhancedPacket(LE, 1, 2n, bytes(20)),
      enhancedPacket(LE, 7, 3n, bytes(20)),
      enhancedPacket(LE, 0, 4n, bytes(20)),
    ];
    const firstBad = blocks[0].length + blocks[1].length + blocks[2].length;
    const path = tempFile('undefined-interface.pcapng', Buffer.concat(blocks));
    const { info, packets } = await collect(path);
    expect(packets.map((p) => [p.frame, p.ts * 1e6])).toEqual([[1, 1], [2, 4]]);
    expect(info.warnings).toEqual([
      `${path}: enhanced packet block at byte ${firstBad} names undefined interface 1; skipped (and 1 more like it)`,
    ]);
  });

  it('reads blocks across its read buffer and a block larger than the buffer', async () => {
    const sizes = [...Array.from({ length: 3000 }, () => 3001), 9 << 20, 100];
    const file = Buffer.concat([
      sectionHeader(LE),
      interfaceDescription(LE, 1, 0),
      ...sizes.map((size, i) => enhancedPacket(LE, 0, BigInt(i + 1), Buffer.alloc(size, i + 1))),
    ]);
    const progress: number[] = [];
    const seen: [number, number, number, number][] = [];
    const info = await readCapture(
      tempFile('big.pcapng', file),
      (p) => seen.push([p.frame, p.data.length, p.data[0], p.data[p.data.length - 1]]),
      { onProgress: (read) => progress.push(read) },
    );
    expect(info).toMatchObject({ packets: sizes.length, bytesRead: file.length, warnings: [] });
    expect(seen).toEqual(sizes.map((size, i) => [i + 1, size, (i + 1) & 0xff, (i + 1) & 0xff]));
    expect(progress.at(-1)).toBe(file.length);
    expect(progress.length).toBeGreaterThan(5);
    expect(progress.slice(1).every((read, i) => read - progress[i] >= 1 << 20 || read === file.length)).toBe(true);
  });
});

describe('damaged pcapng', () => {
  it('keeps the packets before a block cut in its body, with a warning', async () => {
    const at = packetBlocks[5];
    const path = tempFile('cut-body.pcapng', observe.subarray(0, at + 30));
    const { info, packets } = await collect(path);
    expectPackets(packets, WAKAAMA_OBSERVE.slice(0, 5), 1);
    expect(info.bytesRead).toBe(at);
    expect(info.warnings).toEqual([`${path}: truncated block at byte ${at} (enhanced packet block needs 160 bytes, 30 left); stopped there`]);
  });

  it('keeps the packets before a block cut in its header, with a warning', async () => {
    const at = packetBlocks[5];
    const path = tempFile('cut-header.pcapng', observe.subarray(0, at + 3));
    const { info, packets } = await collect(path);
    expect(packets).toHaveLength(5);
    expect(info.warnings).toEqual([`${path}: truncated block header at byte ${at} (3 of 12 bytes); stopped there`]);
  });

  it('stops at a block of impossible length', async () => {
    const at = packetBlocks[5];
    const file = Buffer.from(observe);
    file.writeUInt32LE(13, at + 4);
    const path = tempFile('odd-length.pcapng', file);
    const { info, packets } = await collect(path);
    expect(packets).toHaveLength(5);
    expect(info.warnings).toEqual([`${path}: corrupt block at byte ${at} (enhanced packet block, impossible length 13); stopped there`]);
  });

  it('stops at a block whose trailing length disagrees', async () => {
    const at = packetBlocks[5];
    const file = Buffer.from(observe);
    file.writeUInt32LE(164, at + 4);
    const path = tempFile('bad-trailer.pcapng', file);
    const { info, packets } = await collect(path);
    expect(packets).toHaveLength(5);
    expect(info.warnings).toEqual([`${path}: corrupt block at byte ${at} (enhanced packet block, length 164 but trailing length 6); stopped there`]);
  });

  it('stops at a block shorter than its fixed fields', async () => {
    const path = tempFile('short-block.pcapng', Buffer.concat([observe, block(LE, 6, u32(0, LE))]));
    const { info, packets } = await collect(path);
    expect(packets).toHaveLength(21);
    expect(info.warnings).toEqual([`${path}: corrupt block at byte 2588 (enhanced packet block of 16 bytes, shorter than its fixed fields); stopped there`]);
  });

  it('skips a packet whose captured length overruns its block, and reads on', async () => {
    const overrun = enhancedPacket(LE, 0, 2n, bytes(20));
    overrun.writeUInt32LE(100, 20);
    const path = tempFile('caplen-overrun.pcapng', Buffer.concat([observe, overrun, enhancedPacket(LE, 0, 3n, bytes(20))]));
    const { info, packets } = await collect(path);
    expect(packets.map((p) => p.frame)).toEqual(Array.from({ length: 22 }, (_, i) => i + 1));
    expect(packets[21].ts).toBe(3e-6);
    expect(info.warnings).toEqual([`${path}: packet block at byte 2588 claims 100 captured bytes in a 52-byte block; skipped`]);
  });

  it('stops at a later section header with a bad byte-order magic', async () => {
    const badSection = sectionHeader(LE);
    badSection.writeUInt32LE(0x12345678, 8);
    const path = tempFile('bad-second-section.pcapng', Buffer.concat([observe, badSection]));
    const { info, packets } = await collect(path);
    expect(packets).toHaveLength(21);
    expect(info.warnings).toEqual([`${path}: corrupt section header at byte 2588 (byte-order magic 0x12345678); stopped there`]);
  });

  it.each([
    ['bad byte-order magic', Buffer.concat([u32(0x0a0d0d0a, LE), u32(28, LE), u32(0x12345678, LE), Buffer.alloc(16)]), 'corrupt section header at byte 0 (byte-order magic 0x12345678)'],
    ['cut section header', observe.subarray(0, 20), 'truncated block at byte 0 (section header needs 108 bytes, 20 left)'],
    ['cut block header', observe.subarray(0, 10), 'truncated block header at byte 0 (10 of 12 bytes)'],
    ['version 2', (() => { const f = Buffer.from(observe); f.writeUInt16LE(2, 12); return f; })(), 'unsupported pcapng version 2.0 at byte 0'],
  ])('throws CaptureError for a first section header with %s', async (name, file, reason) => {
    const path = tempFile(`first-shb-${name.replaceAll(' ', '-')}.pcapng`, file);
    const reading = readCapture(path, () => {});
    await expect(reading).rejects.toThrow(CaptureError);
    await expect(reading).rejects.toThrow(`${path}: ${reason}`);
  });
});
