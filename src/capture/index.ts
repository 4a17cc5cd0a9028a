import { open, stat, type FileHandle } from 'node:fs/promises';
import { pcapFlavour, readPcap } from './pcap.js';
import { PCAPNG_MAGIC, readPcapng } from './pcapng.js';
import { CaptureError, type CaptureInfo, type PacketSink, type ReadOptions } from './types.js';

export { CaptureError } from './types.js';
export type { CaptureInfo, PacketSink, RawPacket, ReadOptions } from './types.js';
export { LiveFrameReader, openLiveCapture, type LiveCapture, type LiveCaptureOptions, type LiveStats } from './live.js';
export { PacketQueue, type PacketQueueMemory } from './live-queue.js';
export { PCAP_GLOBAL_HEADER_BYTES, writePcapGlobalHeader } from './pcap-header.js';
export { RotatingPcapWriter, rotatedName, type RotatingPcapOptions } from './live-pcap-writer.js';

const MAGIC_LENGTH = 4;

/**
 * Reads a classic pcap (µs or ns, either byte order) or pcapng file, calling `sink` for each
 * packet in file order. Throws CaptureError when the file cannot be read at all; damage later in
 * the file stops reading there and is reported in CaptureInfo.warnings.
 */
export async function readCapture(path: string, sink: PacketSink, opts: ReadOptions = {}): Promise<CaptureInfo> {
  const handle = await openCapture(path);
  try {
    const size = await regularFileSize(handle, path);
    const magic = await readMagic(handle, path, size);
    const flavour = pcapFlavour(magic);
    if (flavour !== undefined) return await readPcap(handle, path, size, flavour, sink, opts);
    if (magic === PCAPNG_MAGIC) return await readPcapng(handle, path, size, sink, opts);
    throw notACapture(path, magic);
  } finally {
    await handle.close();
  }
}

/**
 * Checks that a file can be opened and starts like a pcap or pcapng file, without reading
 * it: callers check before they create anything (a database run) for it.
 */
export async function probeCapture(path: string): Promise<void> {
  const handle = await openCapture(path);
  try {
    const size = await regularFileSize(handle, path);
    const magic = await readMagic(handle, path, size);
    if (pcapFlavour(magic) === undefined && magic !== PCAPNG_MAGIC) throw notACapture(path, magic);
  } finally {
    await handle.close();
  }
}

/**
 * Checks that a file someone else named (a rule file's `examples:`) is a capture before
 * anything reads it: a regular file (a FIFO or device is never opened) whose first four bytes
 * are a pcap or pcapng magic. Nothing of the file is shown in the error: it could be any file
 * the user can read.
 */
export async function checkCaptureFile(path: string): Promise<void> {
  let st;
  try {
    st = await stat(path);
  } catch (error) {
    throw new CaptureError(`${path}: cannot open (${describeError(error)})`);
  }
  if (!st.isFile()) throw new CaptureError(`${path}: not a regular file`);
  const handle = await openCapture(path);
  try {
    const magic = await readMagic(handle, path, st.size);
    if (pcapFlavour(magic) === undefined && magic !== PCAPNG_MAGIC) throw new CaptureError(`${path}: not a pcap or pcapng file`);
  } finally {
    await handle.close();
  }
}

function notACapture(path: string, magic: number): CaptureError {
  return new CaptureError(`${path}: not a pcap or pcapng file (magic 0x${magic.toString(16).padStart(8, '0')})`);
}

const LINK_TYPE_NAMES = new Map<number, string>([
  [0, 'NULL'],
  [1, 'EN10MB'],
  // 12 and 14 are raw IP on some BSDs' DLT numbering, still found in old files.
  [12, 'RAW'],
  [14, 'RAW'],
  [101, 'RAW'],
  [108, 'LOOP'],
  [113, 'LINUX_SLL'],
  [228, 'IPV4'],
  [229, 'IPV6'],
  [276, 'LINUX_SLL2'],
]);

/** The LINKTYPE_ name without its prefix (e.g. EN10MB), or `LINKTYPE_<n>` for one we do not know. */
export function linkTypeName(lt: number): string {
  return LINK_TYPE_NAMES.get(lt) ?? `LINKTYPE_${lt}`;
}

const OPEN_ERRORS: Record<string, string> = {
  ENOENT: 'no such file',
  EACCES: 'permission denied',
  EISDIR: 'is a directory',
  ENOTDIR: 'a parent is not a directory',
};

function describeError(error: unknown): string {
  const { code, message } = error as NodeJS.ErrnoException;
  return (code !== undefined && OPEN_ERRORS[code]) || code || message;
}

async function openCapture(path: string): Promise<FileHandle> {
  try {
    return await open(path, 'r');
  } catch (error) {
    throw new CaptureError(`${path}: cannot open (${describeError(error)})`);
  }
}

async function regularFileSize(handle: FileHandle, path: string): Promise<number> {
  const stats = await handle.stat();
  if (stats.isDirectory()) throw new CaptureError(`${path}: is a directory`);
  if (!stats.isFile()) throw new CaptureError(`${path}: not a regular file`);
  if (stats.size === 0) throw new CaptureError(`${path}: empty file`);
  return stats.size;
}

/** The first four bytes as a big-endian number, the way capture magics are usually written. */
async function readMagic(handle: FileHandle, path: string, size: number): Promise<number> {
  if (size < MAGIC_LENGTH) throw new CaptureError(`${path}: too short for a capture file (${size} bytes)`);
  const head = Buffer.alloc(MAGIC_LENGTH);
  try {
    await handle.read(head, 0, MAGIC_LENGTH, 0);
  } catch (error) {
    throw new CaptureError(`${path}: cannot read (${describeError(error)})`);
  }
  return head.readUInt32BE(0);
}
