import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { parse } from 'coap-packet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureCapture } from '../../../src/bench/build-capture.js';
import { findOnPath } from '../../../src/bench/measure.js';

const PACKETS = 2000;
const ETHERNET = 14;
const IPV4 = 20;
const UDP = 8;

interface Frame {
  seconds: number;
  microseconds: number;
  data: Buffer;
}

/** Our own reading of a little-endian microsecond pcap, independent of the analyzer's reader. */
function readPcap(file: Buffer): { linkType: number; frames: Frame[] } {
  expect(file.readUInt32LE(0)).toBe(0xa1b2c3d4);
  expect([file.readUInt16LE(4), file.readUInt16LE(6)]).toEqual([2, 4]);
  const frames: Frame[] = [];
  let o = 24;
  while (o < file.length) {
    const captured = file.readUInt32LE(o + 8);
    expect(file.readUInt32LE(o + 12)).toBe(captured);
    frames.push({ seconds: file.readUInt32LE(o), microseconds: file.readUInt32LE(o + 4), data: file.subarray(o + 16, o + 16 + captured) });
    o += 16 + captured;
  }
  expect(o).toBe(file.length);
  return { linkType: file.readUInt32LE(20), frames };
}

function ipv4HeaderSum(header: Buffer): number {
  let sum = 0;
  for (let i = 0; i < IPV4; i += 2) sum += header.readUInt16BE(i);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return sum;
}

describe('bench capture builder', () => {
  let dir: string;
  let path: string;
  let frames: Frame[];
  let linkType: number;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'coapwatch-bench-'));
    const capture = ensureCapture(dir, PACKETS);
    path = capture.path;
    expect(capture.buildSeconds).not.toBeNull();
    ({ linkType, frames } = readPcap(readFileSync(path)));
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('names the file after the packet count and format version, and reuses it', () => {
    expect(basename(path)).toBe('lwm2m-2k-v2.pcap');
    expect(ensureCapture(dir, PACKETS).buildSeconds).toBeNull();
  });

  it('writes N Ethernet frames in time order, each a well-formed IPv4/UDP datagram to or from 5683', () => {
    expect(linkType).toBe(1);
    expect(frames).toHaveLength(PACKETS);
    let previous = 0;
    for (const f of frames) {
      const us = f.seconds * 1e6 + f.microseconds;
      expect(us).toBeGreaterThanOrEqual(previous);
      previous = us;
      expect(f.data.readUInt16BE(12)).toBe(0x0800);
      const ip = f.data.subarray(ETHERNET);
      expect(ip[0]).toBe(0x45);
      expect(ip.readUInt16BE(2)).toBe(f.data.length - ETHERNET);
      expect(ip[9]).toBe(17);
      expect(ipv4HeaderSum(ip)).toBe(0xffff);
      const udp = ip.subarray(IPV4);
      expect(udp.readUInt16BE(4)).toBe(udp.length);
      expect([udp.readUInt16BE(0), udp.readUInt16BE(2)]).toContain(5683);
    }
  });

  it('starts with meter 0 registering: CON POST /rd?ep=meter-00000&lt=300&lwm2m=1.0&b=U with a link-format body', () => {
    const first = frames[0];
    expect(first.seconds).toBe(Date.UTC(2024, 2, 1) / 1000);
    const ip = first.data.subarray(ETHERNET);
    expect(ip.readUInt32BE(12)).toBe(0x0a010001); // 10.1.0.1
    expect(ip.readUInt32BE(16)).toBe(0x0a000001); // 10.0.0.1
    const coap = ip.subarray(IPV4 + UDP);
    expect(coap[0]).toBe(0x44); // version 1, confirmable, 4-byte token
    expect(coap[1]).toBe(0x02); // POST
    const message = parse(coap);
    const values = (name: string) => message.options.filter((o) => o.name === name).map((o) => o.value.toString('latin1'));
    expect(values('Uri-Path')).toEqual(['rd']);
    expect(values('Uri-Query')).toEqual(['ep=meter-00000', 'lt=300', 'lwm2m=1.0', 'b=U']);
    expect(message.options.find((o) => o.name === 'Content-Format')?.value).toEqual(Buffer.from([40]));
    expect(message.payload.toString('latin1')).toMatch(/^<\/1\/0>,<\/3\/0>,<\/3305\/0>/);
    // The whole message, MID 0x77df and token 6a7c8be2 included: the build is deterministic, and a
    // change here must come with a new CAPTURE_FORMAT_VERSION so that cached captures are rebuilt.
    expect(coap.toString('hex')).toBe(
      '440277df6a7c8be2b2726411283d0165703d6d657465722d3030303030066c743d333030096c776d326d3d312e3003623d55'
      + 'ff3c2f312f303e2c3c2f332f303e2c3c2f333330352f303e2c3c2f333330352f313e',
    );
  });

  it.skipIf(findOnPath('tshark') === null)('is all CoAP to tshark', () => {
    const codes = execFileSync('tshark', ['-r', path, '-Y', 'coap', '-T', 'fields', '-e', 'coap.code'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    expect(codes.trimEnd().split('\n')).toHaveLength(PACKETS);
  });
});
