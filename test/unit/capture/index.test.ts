import { mkdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CaptureError, linkTypeName, readCapture } from '../../../src/capture/index.js';
import { fixture, tempFile, tempPath } from './helpers.js';

/** Reads `path` expecting a CaptureError, and returns its message. */
async function captureErrorOf(path: string): Promise<string> {
  const error: unknown = await readCapture(path, () => {}).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(CaptureError);
  const { message } = error as CaptureError;
  expect(message).not.toContain('\n');
  return message;
}

describe('readCapture', () => {
  it.each([
    ['wakaama-observe.pcap', 'pcap'],
    ['wakaama-observe-ns.pcap', 'pcap'],
    ['wakaama-observe.pcapng', 'pcapng'],
    ['two-interfaces.pcapng', 'pcapng'],
  ])('recognises %s as %s by its magic number', async (name, format) => {
    const info = await readCapture(fixture(name), () => {});
    expect(info.format).toBe(format);
  });

  it('rejects a missing file', async () => {
    const path = tempPath('no-such.pcap');
    expect(await captureErrorOf(path)).toBe(`${path}: cannot open (no such file)`);
  });

  it('rejects a directory', async () => {
    const path = tempPath('a-directory.pcap');
    mkdirSync(path, { recursive: true });
    expect(await captureErrorOf(path)).toBe(`${path}: is a directory`);
  });

  it('rejects an empty file', async () => {
    const path = tempFile('empty.pcap', '');
    expect(await captureErrorOf(path)).toBe(`${path}: empty file`);
  });

  it('rejects a file too short for a magic number', async () => {
    const path = tempFile('short.pcap', 'abc');
    expect(await captureErrorOf(path)).toBe(`${path}: too short for a capture file (3 bytes)`);
  });

  it('rejects a file that is neither pcap nor pcapng, naming its magic', async () => {
    const path = tempFile('x.txt', 'Hello, this is not a capture\n');
    expect(await captureErrorOf(path)).toBe(`${path}: not a pcap or pcapng file (magic 0x48656c6c)`);
  });

  it('rejects a pcap cut inside its file header', async () => {
    const path = tempFile('cut-global-header.pcap', Buffer.from('d4c3b2a1020004000000', 'hex'));
    expect(await captureErrorOf(path)).toBe(`${path}: truncated pcap file header (10 of 24 bytes)`);
  });
});

describe('linkTypeName', () => {
  it.each([
    [0, 'NULL'],
    [1, 'EN10MB'],
    [12, 'RAW'],
    [14, 'RAW'],
    [101, 'RAW'],
    [108, 'LOOP'],
    [113, 'LINUX_SLL'],
    [228, 'IPV4'],
    [229, 'IPV6'],
    [276, 'LINUX_SLL2'],
    [147, 'LINKTYPE_147'],
  ])('names link type %i %s', (linkType, name) => {
    expect(linkTypeName(linkType)).toBe(name);
  });
});
