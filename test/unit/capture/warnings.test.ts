import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { LONG_EMPTY_RUN } from '../../../src/capture/warnings.js';
import { enhancedPacket, interfaceDescription, sectionHeader, bytes } from './pcapng-builder.js';
import { collect, fixture, repeatedPcap, tempFile } from './helpers.js';

const LE = true;
const pcapHeader = readFileSync(fixture('wakaama-observe.pcap')).subarray(0, 24);

describe('runs of empty records', () => {
  it('pcap: a zeroed region is one summed warning, its records still delivered as frames', async () => {
    // 5 packets, 150 empty records (a zeroed region), 3 packets, 10 empty ones (short: no warning), 120 empty, 1 packet.
    const packet = repeatedPcap(pcapHeader, 1, Buffer.alloc(60, 1)).subarray(24);
    const zeros = (n: number) => Buffer.alloc(16 * n);
    const file = Buffer.concat([
      pcapHeader, packet, packet, packet, packet, packet, zeros(150), packet, packet, packet, zeros(10), packet, zeros(120), packet,
    ]);
    const path = tempFile('zeroed.pcap', file);
    const { info, packets } = await collect(path);
    expect(packets).toHaveLength(5 + 150 + 3 + 10 + 1 + 120 + 1);
    expect(info.warnings).toEqual([
      `${path}: 270 empty records (no captured bytes) in 2 runs of ${LONG_EMPTY_RUN} or more, the first 150 from frame 6 at byte ${24 + 5 * 76}; a zeroed or damaged part of the file?`,
    ]);
  });

  it('pcap: a file that ends in a run still reports it; a few empty records do not', async () => {
    const endsEmpty = tempFile('ends-empty.pcap', Buffer.concat([pcapHeader, Buffer.alloc(16 * LONG_EMPTY_RUN)]));
    expect((await collect(endsEmpty)).info.warnings).toEqual([
      `${endsEmpty}: ${LONG_EMPTY_RUN} empty records (no captured bytes) in a run of ${LONG_EMPTY_RUN} or more, the first ${LONG_EMPTY_RUN} from frame 1 at byte 24; a zeroed or damaged part of the file?`,
    ]);
    const few = tempFile('few-empty.pcap', Buffer.concat([pcapHeader, Buffer.alloc(16 * (LONG_EMPTY_RUN - 1))]));
    expect((await collect(few)).info.warnings).toEqual([]);
  });

  it('pcapng: enhanced packet blocks with no captured bytes', async () => {
    const blocks = [sectionHeader(LE), interfaceDescription(LE, 1, 0)];
    const head = blocks[0].length + blocks[1].length;
    for (let i = 0; i < 2; i++) blocks.push(enhancedPacket(LE, 0, BigInt(i), bytes(20)));
    for (let i = 0; i < 200; i++) blocks.push(enhancedPacket(LE, 0, BigInt(i), Buffer.alloc(0), 60));
    const path = tempFile('empty.pcapng', Buffer.concat(blocks));
    const { info, packets } = await collect(path);
    expect(packets).toHaveLength(202);
    expect(info.warnings).toEqual([
      `${path}: 200 empty records (no captured bytes) in a run of ${LONG_EMPTY_RUN} or more, the first 200 from frame 3 at byte ${head + 2 * 52}; a zeroed or damaged part of the file?`,
    ]);
  });
});

describe('pcapng timestamp resolutions that cannot be right', () => {
  it('warns about if_tsresol 10^-30 and 2^-70 once, counting repeats, and reads the timestamps as given', async () => {
    const blocks = [
      sectionHeader(LE),
      interfaceDescription(LE, 1, 0, { tsresol: 30 }),
      interfaceDescription(LE, 1, 0, { tsresol: 0x80 | 70 }),
      interfaceDescription(LE, 1, 0, { tsresol: 12 }), // ps: fine
      enhancedPacket(LE, 0, 10n ** 18n, bytes(20)),
      enhancedPacket(LE, 1, 2n ** 60n, bytes(20)),
      enhancedPacket(LE, 2, 10n ** 15n, bytes(20)),
    ];
    const path = tempFile('tsresol.pcapng', Buffer.concat(blocks));
    const { info, packets } = await collect(path);
    expect(packets.map((p) => p.ts)).toEqual([1e-12, 2 ** -10, 1000]);
    expect(info.warnings).toEqual([
      `${path}: interface 0 at byte ${blocks[0].length} has if_tsresol 10^-30 s, which cannot be right (a 64-bit timestamp would not span a day); its timestamps are read as given (and 1 more like it)`,
    ]);
  });

  it('takes a timestamp past any date (a coarse resolution, a huge offset) as 0, with one warning', async () => {
    const blocks = [
      sectionHeader(LE),
      interfaceDescription(LE, 1, 0, { tsresol: 0 }), // seconds
      interfaceDescription(LE, 1, 0, { tsoffset: 2n ** 62n }),
      enhancedPacket(LE, 0, 1_700_000_000n, bytes(20)),
      enhancedPacket(LE, 0, 1_700_000_000_000_000n, bytes(20)), // µs written as seconds
      enhancedPacket(LE, 1, 1n, bytes(20)),
    ];
    const path = tempFile('ts-range.pcapng', Buffer.concat(blocks));
    const { info, packets } = await collect(path);
    expect(packets.map((p) => p.ts)).toEqual([1_700_000_000, 0, 0]);
    const second = blocks.slice(0, 4).reduce((n, b) => n + b.length, 0);
    expect(info.warnings).toEqual([
      `${path}: frame 2 at byte ${second} has a timestamp of 1700000000000000 s, past any date (if_tsresol or if_tsoffset wrong?); taken as 0 (and 1 more like it)`,
    ]);
  });
});
