import fc from 'fast-check';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { writeCapture } from '../../../src/bench/build-capture.js';
import { decodeTlv } from '../../../src/lwm2m/payload/tlv.js';
import { readTlvEntry, TlvHeader } from '../../../src/lwm2m/payload/tlv-walk.js';
import { analyzeFile } from '../../support/analyze.js';
import { decodeTlvViaKaitai, kaitaiTree, type TlvNode, type TlvTree } from './tlv-kaitai.js';
import { SPEC_EXAMPLES } from './tlv-vectors.js';

/*
 * The hand-written TLV walker must agree with the parser compiled from dissectors/lwm2m_tlv.ksy
 * (the spec) on every input: the same entries (id types, ids, value bytes, nesting) and the
 * same point and message of failure; and decodeTlv must give the records and error the decode
 * on the Kaitai parse tree gave, at every kind of request path.
 */

/** The walker's entries, in the shape the reference reports. */
function walkerTree(body: Buffer): TlvTree {
  const h = new TlvHeader();
  const entries: TlvNode[] = [];
  for (let pos = 0; pos < body.length; ) {
    const message = readTlvEntry(body, pos, body.length, 0, h);
    if (message !== null) return { entries, fault: { offset: pos, message } };
    pos = h.valueEnd;
    entries.push(walkerNode(body, 0, h));
  }
  return { entries, fault: null };
}

function walkerNode(body: Buffer, level: number, h: TlvHeader): TlvNode {
  const { idType, id, valueStart, valueEnd } = h;
  if (!h.opens(level)) return { idType, id, value: body.toString('hex', valueStart, valueEnd) };
  const children: TlvNode[] = [];
  for (let pos = valueStart; pos < valueEnd; ) {
    expect(h.read(body, pos, valueEnd)).toBeNull();
    pos = h.valueEnd;
    children.push(walkerNode(body, level + 1, h));
  }
  return { idType, id, children };
}

/** Paths placing entries at every depth, in objects the registry types (/3, /1, /3303) and in none (raw hex values). */
const PATHS = ['/3', '/3/0', '/3/0/6', '/3/0/6/1', '/1/0', '/3303/0', '/66', '/66/0', '/66/0/0', '/31024/10/7/1', '/3/', '/rd', '/'];

function expectAgreement(body: Buffer, path?: string): void {
  expect(walkerTree(body)).toEqual(kaitaiTree(body));
  for (const p of path === undefined ? PATHS : [path, ...PATHS]) expect(decodeTlv(body, p)).toEqual(decodeTlvViaKaitai(body, p));
}

const TLV_FORMATS = new Set([11542, 1542]);
const REFERENCE_DIRS = [join(import.meta.dirname, '../../../captures/reference'), '/work/shared/captures'];

/**
 * Every TLV body in the reference captures (Wakaama's and libcoap's, which use other formats
 * today) and in a small cut of the benchmark capture, whose meters notify in TLV, with the
 * path of the request each belongs to.
 */
async function captureBodies(): Promise<Array<{ path: string | null; body: Buffer }>> {
  const bench = join(mkdtempSync(join(tmpdir(), 'coapwatch-tlv-')), 'bench.pcap');
  writeCapture(bench, 3000);
  const files = REFERENCE_DIRS.flatMap((dir) => readdirSync(dir).filter((f) => f.endsWith('.pcap')).map((f) => join(dir, f)));
  const found: Array<{ path: string | null; body: Buffer }> = [];
  for (const file of [...files, bench]) {
    for (const m of await analyzeFile(file)) {
      const format = m.coap.msg.contentFormat;
      if (format !== null && TLV_FORMATS.has(format) && m.coap.body !== null && m.coap.body.length > 0) {
        found.push({ path: m.lwm2m?.path ?? null, body: m.coap.body });
      }
    }
  }
  rmSync(dirname(bench), { recursive: true });
  return found;
}

/** TLV entries built to the spec: every id width and length encoding, nested up to four deep (deeper than the .ksy enters). */
const entry: fc.Memo<Buffer> = fc.memo((depth) => {
  const value = fc.tuple(fc.constantFrom(1, 3), fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b)));
  const container = () => fc.tuple(fc.constantFrom(0, 2), fc.array(entry(depth - 1), { maxLength: 4 }).map((es) => Buffer.concat(es)));
  return fc.tuple(depth <= 1 ? value : fc.oneof(value, container()), fc.integer({ min: 0, max: 0xffff }), fc.boolean(), fc.integer({ min: 0, max: 3 }))
    .map(([[idType, v], id, wideId, lengthField]) => {
      const idBytes = wideId || id > 0xff ? 2 : 1;
      // The smallest length field that fits, or a wider one (still valid).
      const lengthBytes = Math.max(v.length < 8 ? 0 : v.length <= 0xff ? 1 : 2, v.length <= 0xff ? lengthField : 2);
      const head = Buffer.alloc(1 + idBytes + lengthBytes);
      head[0] = (idType << 6) | (idBytes === 2 ? 0x20 : 0) | (lengthBytes << 3) | (lengthBytes === 0 ? v.length : 0);
      head.writeUIntBE(id, 1, idBytes);
      if (lengthBytes > 0) head.writeUIntBE(v.length, 1 + idBytes, lengthBytes);
      return Buffer.concat([head, v]);
    });
});

const wellFormed = fc.array(entry(4), { maxLength: 5 }).map((es) => Buffer.concat(es));

/** A well-formed body with a few bytes overwritten, and maybe cut short. */
const mutated = fc.tuple(wellFormed, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }), fc.option(fc.nat()))
  .map(([body, edits, cut]) => {
    const out = Buffer.from(body);
    for (const [at, byte] of edits) if (out.length > 0) out[at % out.length] = byte;
    return cut === null || out.length === 0 ? out : out.subarray(0, cut % out.length);
  });

describe('TLV walker agrees with the Kaitai spec (dissectors/lwm2m_tlv.ksy)', () => {
  it('on the core spec examples, whole and cut at every byte', () => {
    for (const { path, body } of SPEC_EXAMPLES) {
      expectAgreement(body, path);
      for (let cut = 0; cut < body.length; cut++) expectAgreement(body.subarray(0, cut), path);
    }
  });

  describe('on every TLV payload of the captures', () => {
    let bodies: Array<{ path: string | null; body: Buffer }> = [];
    beforeAll(async () => {
      bodies = await captureBodies();
    });

    it('as captured', () => {
      expect(bodies.length).toBeGreaterThan(0);
      for (const { path, body } of bodies) expectAgreement(body, path ?? undefined);
    });

    it('with bytes overwritten and cut short', () => {
      fc.assert(fc.property(fc.nat(), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }), fc.nat(), (i, edits, cut) => {
        const { path, body } = bodies[i % bodies.length];
        const out = Buffer.from(body);
        for (const [at, byte] of edits) out[at % out.length] = byte;
        expectAgreement(out.subarray(0, cut % (out.length + 1)), path ?? undefined);
      }), { numRuns: 500 });
    });
  });

  it('on well-formed bodies with every id and length encoding', () => {
    fc.assert(fc.property(wellFormed, (body) => {
      expect(kaitaiTree(body).fault).toBeNull();
      expectAgreement(body);
    }), { numRuns: 500 });
  });

  it('on mutated well-formed bodies', () => {
    fc.assert(fc.property(mutated, (body) => expectAgreement(body)), { numRuns: 1000 });
  });

  it('on arbitrary bytes', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 80 }), (bytes) => expectAgreement(Buffer.from(bytes))), { numRuns: 2000 });
  });
});
