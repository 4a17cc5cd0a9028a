import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generate } from 'coap-packet';
import { describe, expect, it } from 'vitest';
import { endpointName } from '../../src/lwm2m/endpoint-name.js';
import { uint } from '../support/coap-flow.js';
import { ethernet, ipv4, udp, udpFrame } from '../unit/decode/build.js';
import { enhancedPacket, interfaceDescription, sectionHeader } from '../unit/capture/pcapng-builder.js';
import { pcapOfFrames } from '../support/pcap.js';

/* The built CLI on small captures made here, each carrying one kind of hostile input. */
const root = join(import.meta.dirname, '../..');
const bin = join(root, 'bin/coapwatch.js');
const scratch = mkdtempSync(join(tmpdir(), 'coapwatch-hostile-'));

const SERVER = { ip: '10.0.0.1', port: 5683 };

interface Spec {
  code: string;
  type?: 'CON' | 'ACK' | 'NON';
  mid: number;
  token?: string;
  options?: Array<[string, Buffer]>;
  payload?: Buffer | string;
}

function coap(spec: Spec): Buffer {
  const type = spec.type ?? 'CON';
  return generate({
    code: spec.code, messageId: spec.mid, token: Buffer.from(spec.token ?? '', 'hex'), confirmable: type === 'CON', ack: type === 'ACK',
    options: (spec.options ?? []).map(([name, value]) => ({ name, value })) as never,
    payload: typeof spec.payload === 'string' ? Buffer.from(spec.payload) : (spec.payload ?? Buffer.alloc(0)),
  }, 65000);
}

const path = (...segments: string[]): Array<[string, Buffer]> => segments.map((s) => ['Uri-Path', Buffer.from(s)]);

/** A little-endian µs pcap of Ethernet frames, one second apart. */
function pcap(name: string, frames: Buffer[]): string {
  const file = join(scratch, name);
  writeFileSync(file, pcapOfFrames(frames));
  return file;
}

function analyze(file: string, ...args: string[]) {
  const r = spawnSync(process.execPath, [bin, 'analyze', file, '--no-progress', ...args], { encoding: 'utf8', maxBuffer: 64 << 20 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function ndjson(file: string) {
  const r = analyze(file, '--format', 'ndjson');
  expect(r.code).toBe(0);
  return { records: r.stdout.trimEnd().split('\n').map((l) => JSON.parse(l)), stderr: r.stderr };
}

/** A frame from client address `client` (a.b.c.d) to the server, or back with `toClient`. */
function frame(client: string, spec: Spec, toClient = false): Buffer {
  const bytes = coap(spec);
  return toClient
    ? udpFrame(bytes, { src: SERVER.ip, dst: client }, SERVER.port, 56830)
    : udpFrame(bytes, { src: client, dst: SERVER.ip }, 56830, SERVER.port);
}

describe('analyze on hostile captures', () => {
  it('a 5,000-deep CBOR payload is a payload error and the messages after it are analysed', () => {
    const deep = Buffer.concat([Buffer.alloc(5000, 0x81), Buffer.from([0x01])]);
    const send = (mid: number, format: number, payload: Buffer) =>
      frame('10.0.0.2', { code: '0.02', mid, token: '01', options: [...path('dp'), ['Content-Format', uint(format)]], payload });
    const file = pcap('deep-cbor.pcap', [
      send(1, 112, deep),
      send(2, 11544, deep),
      send(3, 60, deep),
      send(4, 110, Buffer.from('[{"n":"/3/0/9","v":55}]')),
    ]);
    const { records, stderr } = ndjson(file);
    expect(stderr).toBe('');
    const messages = records.filter((r) => r.kind === 'message');
    expect(messages.map((m) => m.lwm2m.payloadError)).toEqual([
      'SenML CBOR: nested deeper than 64 levels', 'LwM2M CBOR: nested deeper than 64 levels', 'CBOR: nested deeper than 64 levels', null,
    ]);
    expect(messages[3].lwm2m.records).toEqual([{ path: '/3/0/9', name: 'Battery Level', type: 'integer', value: 55 }]);
  });

  it('endpoint names that differ only in invalid bytes or after 256 characters stay distinct in every record', () => {
    const names = [
      Buffer.from([0x78, 0xff]),
      Buffer.from([0x78, 0xfe]),
      Buffer.from('m'.repeat(256) + '1'.repeat(44)),
      Buffer.from('m'.repeat(256) + '2'.repeat(44)),
    ];
    const frames: Buffer[] = [];
    names.forEach((ep, i) => {
      const client = `10.0.1.${i + 1}`;
      const location = String(i);
      frames.push(
        frame(client, {
          code: '0.02', mid: 100 + i, token: `a${i}`, payload: '</3/0>',
          options: [...path('rd'), ['Uri-Query', Buffer.concat([Buffer.from('ep='), ep])], ['Uri-Query', Buffer.from('lt=300')], ['Content-Format', uint(40)]],
        }),
        frame(client, { code: '2.01', type: 'ACK', mid: 100 + i, token: `a${i}`, options: [['Location-Path', Buffer.from('rd')], ['Location-Path', Buffer.from(location)]] }, true),
        // The server reboots each device: the device-reboot event names the endpoint.
        frame(client, { code: '0.02', mid: 200 + i, token: `b${i}`, options: path('3', '0', '4') }, true),
        frame(client, { code: '2.04', type: 'ACK', mid: 200 + i, token: `b${i}` }),
      );
    });
    const { records } = ndjson(pcap('endpoint-names.pcap', frames));
    const expected = names.map((n) => endpointName(n));
    expect(new Set(expected).size).toBe(4);
    expect(expected[0]).toBe('x\\xff');
    const registered = records.filter((r) => r.kind === 'endpoint' && r.state === 'registered').map((r) => r.endpoint);
    expect(registered).toEqual(expected);
    const messages = records.filter((r) => r.kind === 'message');
    expect(messages.map((m) => m.lwm2m.endpoint)).toEqual(expected.flatMap((n) => [n, n, n, n]));
    const reboots = records.filter((r) => r.kind === 'event' && r.rule === 'device-reboot').map((r) => r.endpoint);
    expect(reboots).toEqual(expected);
  });

  it('warns, once each with a count, about dropped IP fragments and block-wise bodies over the limit', () => {
    const client = '10.0.0.2';
    // A first fragment whose rest never comes, twice.
    const fragment = (id: number) => ethernet(ipv4(udp(56830, 5683, coap({ code: '0.01', mid: id, options: path('3', '0') })).subarray(0, 16), { src: client, dst: SERVER.ip, id, moreFragments: true }));
    // 1025 blocks of 1024 bytes: one past 1 MiB.
    const blocks = Array.from({ length: 1025 }, (_, num) => frame(client, {
      code: '0.03', mid: 1000 + num, token: 'cc', payload: Buffer.alloc(1024, 0x5a),
      options: [...path('5', '0', '0'), ['Content-Format', uint(42)], ['Block1', uint((num << 4) | 0x08 | 6)]],
    }));
    const file = pcap('given-up.pcap', [fragment(7), fragment(8), ...blocks]);
    const r = analyze(file, '--coap-port', '56830');
    expect(r.code).toBe(0);
    expect(r.stderr).toBe(
      'coapwatch: warning: 2 IP fragments dropped: their datagrams never completed (timed out, over the reassembly memory limit, inconsistent, or cut off by the end of the capture)\n' +
      'coapwatch: warning: 1 block-wise body abandoned for growing past 1048576 bytes: their blocks are in the output, the bodies were not decoded\n',
    );
    expect(r.stdout).toMatch(/\n {2}fragments dropped {3}2\n {2}bodies over limit {3}1\n/);
    // NDJSON: the same warnings, message lines unchanged.
    const { records, stderr } = ndjson(file);
    expect(stderr).toBe(r.stderr);
    expect(records.filter((m) => m.kind === 'message')).toHaveLength(1025);
  });

  it('a pcapng timestamp past any date is taken as 0 with a warning instead of crashing the summary', () => {
    const file = join(scratch, 'far-future.pcapng');
    const coapFrame = frame('10.0.0.2', { code: '0.01', mid: 1, options: path('3', '0', '9') }, true);
    writeFileSync(file, Buffer.concat([
      sectionHeader(true), interfaceDescription(true, 1, 0, { tsresol: 0 }), enhancedPacket(true, 0, 1_700_000_000_000_000n, coapFrame),
    ]));
    const r = analyze(file);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/^coapwatch: warning: .*far-future\.pcapng: frame 1 at byte \d+ has a timestamp of 1700000000000000 s, past any date \(if_tsresol or if_tsoffset wrong\?\); taken as 0\n$/);
    expect(r.stdout).toMatch(/CoAP messages {7}1\n/);
  });
});
