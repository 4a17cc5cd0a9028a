import fc from 'fast-check';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readCapture } from '../../../src/capture/index.js';
import { CaptureError } from '../../../src/capture/types.js';
import { decodeCoapTcp, decodeCoapUdp } from '../../../src/coap/index.js';
import type { Datagram } from '../../../src/decode/types.js';
import { decodePayload } from '../../../src/lwm2m/payload/index.js';
import { AnalysisPipeline } from '../../../src/pipeline/index.js';

/*
 * Property-based fuzzing: random and mutated bytes thrown at every decoder. Nothing may throw,
 * and every call must return (vitest's timeout catches a hang).
 */
const captures = join(import.meta.dirname, '../../../captures/reference');
const realPcap = readFileSync(join(captures, 'wakaama-register-dm.pcap'));

/** Real Ethernet frames of a reference capture, and the CoAP messages (UDP payloads) in them: the seeds for mutation. */
function realFrames(): Buffer[] {
  const out: Buffer[] = [];
  let pos = 24;
  while (pos + 16 <= realPcap.length) {
    const len = realPcap.readUInt32LE(pos + 8);
    out.push(Buffer.from(realPcap.subarray(pos + 16, pos + 16 + len)));
    pos += 16 + len;
  }
  return out;
}
const frameSeeds = realFrames();
const seeds = frameSeeds.map((f) => f.subarray(14 + 20 + 8));

/** A seed with a few bytes overwritten and maybe cut off. */
function mutationsOf(pool: Buffer[]) {
  return fc.tuple(
    fc.integer({ min: 0, max: pool.length - 1 }),
    fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }),
    fc.option(fc.nat()),
  ).map(([i, edits, cut]) => {
    const b = Buffer.from(pool[i]);
    for (const [at, v] of edits) if (b.length > 0) b[at % b.length] = v;
    return cut === null || b.length === 0 ? b : b.subarray(0, cut % b.length);
  });
}
const mutated = mutationsOf(seeds);
const mutatedFrames = mutationsOf(frameSeeds);

const bytes = fc.uint8Array({ maxLength: 600 }).map((a) => Buffer.from(a));
const anyBytes = fc.oneof(bytes, mutated);

const FORMATS = [null, 0, 40, 42, 60, 110, 112, 1542, 1543, 11542, 11543, 11544, 50, 65000];
const PATHS = [null, '/', '/3', '/3/0', '/3/0/7', '/3/0/7/1', '/3305/0/5800'];

describe('fuzz: no decoder throws or hangs', () => {
  it('CoAP over UDP and TCP', () => {
    fc.assert(fc.property(anyBytes, (b) => {
      expect(() => decodeCoapUdp(b)).not.toThrow();
      expect(() => decodeCoapTcp(b)).not.toThrow();
    }), { numRuns: 5000 });
  });

  it('every payload format, at every kind of base path', () => {
    fc.assert(fc.property(anyBytes, fc.constantFrom(...FORMATS), fc.constantFrom(...PATHS), (b, cf, path) => {
      const result = decodePayload(cf, b, path);
      expect(Array.isArray(result.records)).toBe(true);
    }), { numRuns: 5000 });
  });

  it('format-shaped payloads: JSON and CBOR that parse but are not what they claim', () => {
    const json = fc.json().map((s) => Buffer.from(s));
    fc.assert(fc.property(json, fc.constantFrom(110, 11543, 1543, 60), fc.constantFrom(...PATHS), (b, cf, path) => {
      expect(() => decodePayload(cf, b, path)).not.toThrow();
    }), { numRuns: 2000 });
  });

  it('the whole pipeline on random and mutated frames of every link type', () => {
    const linkTypes = [0, 1, 12, 101, 108, 113, 228, 229, 276, 147];
    const frame = fc.oneof(fc.tuple(fc.constantFrom(...linkTypes), anyBytes), fc.tuple(fc.constant(1), mutatedFrames));
    fc.assert(fc.property(fc.array(frame, { maxLength: 30 }), (frames) => {
      const pipeline = new AnalysisPipeline(() => {});
      frames.forEach(([linkType, data], i) => pipeline.push({ frame: i + 1, ts: 1000 + i, linkType, data, origLength: data.length, recordOffset: -1, recordFile: -1 }));
      pipeline.finish();
    }), { numRuns: 1000 });
  });

  it('the CoAP and LwM2M stages on mutated messages between two peers', () => {
    fc.assert(fc.property(fc.array(fc.tuple(fc.boolean(), anyBytes), { maxLength: 40 }), (messages) => {
      const pipeline = new AnalysisPipeline(() => {});
      messages.forEach(([fromClient, payload], i) => {
        const d: Datagram = {
          frame: i + 1, ts: i, transport: 'udp', payload,
          src: fromClient ? '10.0.0.2:56830' : '10.0.0.1:5683', dst: fromClient ? '10.0.0.1:5683' : '10.0.0.2:56830',
          srcPort: fromClient ? 56830 : 5683, dstPort: fromClient ? 5683 : 56830,
        };
        pipeline.coap.handle(d, (e) => pipeline.lwm2m.handle(e));
      });
    }), { numRuns: 2000 });
  });

  it('capture files: mutated and truncated pcap, random bytes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'coapwatch-fuzz-'));
    await fc.assert(fc.asyncProperty(
      fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 8 }), fc.nat(), fc.boolean(),
      async (edits, cut, random) => {
        const file = join(dir, 'f.pcap');
        let b = Buffer.from(realPcap);
        for (const [at, v] of edits) b[24 + (at % (b.length - 24))] = v;
        b = b.subarray(0, 24 + (cut % (b.length - 23)));
        if (random) b = Buffer.from(b.map((x, i) => (i < 4 ? x : (x * 31 + i) & 255)));
        writeFileSync(file, b);
        try {
          await readCapture(file, () => {});
        } catch (err) {
          expect(err).toBeInstanceOf(CaptureError);
        }
      }), { numRuns: 300 });
  });
});
