import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Datagram } from '../../../src/decode/types.js';
import { DtlsStage, parseClientHello, parseHandshakes, parseRecords, parseServerHello, pskKeys } from '../../../src/dtls/index.js';
import { clientHello, handshake, record, serverHello, sni } from './builders.js';
import { FRAMES, fromClient } from './vectors.js';

/*
 * Random and mutated DTLS records never throw out of the dissector or the stage, with and
 * without a key (so the decryption paths are fuzzed too).
 */
const frames = Object.keys(FRAMES).map(Number).sort((a, b) => a - b);
const seeds = [
  ...frames.map((f) => Buffer.from(FRAMES[f], 'hex')),
  record(22, 0, 0, handshake(1, 0, clientHello([0xc0a8, 0x00ae], [sni('a.example')]))),
  record(22, 0, 1, handshake(2, 1, serverHello(0x00ae))),
];

function mutations() {
  return fc.tuple(
    fc.integer({ min: 0, max: seeds.length - 1 }),
    fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 8 }),
    fc.option(fc.nat()),
  ).map(([i, edits, cut]) => {
    const b = Buffer.from(seeds[i]);
    for (const [at, v] of edits) b[at % b.length] = v;
    return cut === null ? b : b.subarray(0, cut % (b.length + 1));
  });
}

const packet = fc.oneof(fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a)), mutations());

function datagram(frame: number, payload: Buffer, client: boolean): Datagram {
  const [src, dst] = client ? ['127.0.0.1:56830', '127.0.0.1:5784'] : ['127.0.0.1:5784', '127.0.0.1:56830'];
  return { frame, ts: frame, transport: 'udp', src, dst, srcPort: client ? 56830 : 5784, dstPort: client ? 5784 : 56830, payload };
}

describe('DTLS fuzzing', () => {
  it('parsers return errors, never throw', () => {
    fc.assert(fc.property(packet, (p) => {
      const { records } = parseRecords(p, p.length % 4);
      for (const r of records) {
        for (const m of parseHandshakes(r.fragment).messages) {
          parseClientHello(m.body);
          parseServerHello(m.body);
        }
      }
    }), { numRuns: 3000 });
  });

  it('the stage survives a real handshake with mutated records in it', () => {
    const keys = pskKeys([{ identity: 'wk-dtls-ep', key: Buffer.from('sesame') }]);
    fc.assert(fc.property(fc.array(fc.tuple(packet, fc.boolean()), { maxLength: 12 }), fc.integer({ min: 0, max: frames.length }), (extra, at) => {
      const stage = new DtlsStage({ ports: [5784], keys, onEvent: () => {} });
      const sequence: Array<[Buffer, boolean]> = frames.map((f) => [Buffer.from(FRAMES[f], 'hex'), fromClient(f)]);
      sequence.splice(at, 0, ...extra);
      let n = 0;
      for (const [p, client] of sequence) {
        const d = datagram(++n, p, client);
        if (stage.claims(d)) stage.handle(d, () => {});
      }
      stage.finish();
      expect(stage.stats.datagrams).toBeGreaterThanOrEqual(0);
    }), { numRuns: 400 });
  });
});
