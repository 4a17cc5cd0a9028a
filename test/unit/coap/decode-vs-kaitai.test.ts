import fc from 'fast-check';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { decodeCoapUdp } from '../../../src/coap/decode.js';
import { optionDefinition } from '../../../src/coap/options.js';

/*
 * The hot-path decoder must agree with the parser compiled from dissectors/coap.ksy
 * (the spec) on every input: same accept/reject verdict, same fields.
 */
const require = createRequire(import.meta.url);
const KaitaiStream = require('kaitai-struct/KaitaiStream');
const { Coap } = require('../../../generated/Coap.cjs');

interface KaitaiOption { isMarker: boolean; delta: number; value?: Uint8Array }

function viaKaitai(bytes: Buffer) {
  try {
    const k = new Coap(new KaitaiStream(new DataView(bytes.buffer, bytes.byteOffset, bytes.length)));
    let number = 0;
    const options: Array<{ number: number; value: number | string }> = [];
    for (const o of (k.options ?? []) as KaitaiOption[]) {
      if (o.isMarker) break;
      number += o.delta;
      const raw = Buffer.from(o.value ?? new Uint8Array());
      const format = optionDefinition(number).format;
      const value = format === 'uint' ? raw.reduce((v, b) => v * 256 + b, 0)
        : format === 'string' ? raw.toString('utf8')
        : raw.toString('hex');
      options.push({ number, value });
    }
    return {
      ok: true as const, type: k.msgType as number, code: k.code as number, mid: k.messageId as number,
      token: Buffer.from(k.token).toString('hex'), options, payload: Buffer.from(k.payload).toString('hex'),
    };
  } catch {
    return { ok: false as const };
  }
}

function viaHandDecoder(bytes: Buffer) {
  const m = decodeCoapUdp(bytes);
  if (m.error) return { ok: false as const };
  return {
    ok: true as const, type: ['CON', 'NON', 'ACK', 'RST'].indexOf(m.type!), code: m.code, mid: m.mid!,
    token: m.token, options: m.options.map((o) => ({ number: o.number, value: o.value })),
    payload: m.payload.toString('hex'),
  };
}

/** Version 1 and a non-empty code: the two checks the hand decoder adds beyond the .ksy's format rules. */
const header = fc.tuple(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 15 }), fc.integer({ min: 1, max: 255 }), fc.integer({ min: 0, max: 0xffff }))
  .map(([type, tkl, code, mid]) => Buffer.from([0x40 | (type << 4) | tkl, code, mid >> 8, mid & 0xff]));

const option = fc.tuple(fc.integer({ min: 0, max: 14 }), fc.integer({ min: 0, max: 14 }), fc.uint8Array({ maxLength: 300 }))
  .map(([d, l, tail]) => Buffer.concat([Buffer.from([(d << 4) | l]), Buffer.from(tail)]));

const wellFormed = fc.tuple(
  fc.integer({ min: 0, max: 3 }), fc.integer({ min: 1, max: 255 }), fc.uint8Array({ maxLength: 8 }),
  fc.array(fc.tuple(fc.integer({ min: 0, max: 400 }), fc.uint8Array({ maxLength: 400 })), { maxLength: 8 }),
  fc.uint8Array({ maxLength: 64 }),
).map(([type, code, token, opts, payload]) => {
  const parts: Buffer[] = [Buffer.from([0x40 | (type << 4) | token.length, code, 0x12, 0x34]), Buffer.from(token)];
  for (const [delta, value] of opts) {
    const ext = (n: number): [number, number[]] => n < 13 ? [n, []] : n < 269 ? [13, [n - 13]] : [14, [(n - 269) >> 8, (n - 269) & 0xff]];
    const [dn, de] = ext(delta);
    const [ln, le] = ext(value.length);
    parts.push(Buffer.from([(dn << 4) | ln, ...de, ...le]), Buffer.from(value));
  }
  if (payload.length > 0) parts.push(Buffer.from([0xff]), Buffer.from(payload));
  return Buffer.concat(parts);
});

describe('hand decoder agrees with the Kaitai spec (dissectors/coap.ksy)', () => {
  it('on well-formed messages with every option encoding', () => {
    fc.assert(fc.property(wellFormed, (bytes) => {
      const k = viaKaitai(bytes);
      expect(k.ok).toBe(true);
      expect(viaHandDecoder(bytes)).toEqual(k);
    }), { numRuns: 2000 });
  });

  it('on random option soup (accept/reject verdict and fields)', () => {
    fc.assert(fc.property(header, fc.array(option, { maxLength: 6 }), (h, opts) => {
      const bytes = Buffer.concat([h, ...opts]);
      expect(viaHandDecoder(bytes)).toEqual(viaKaitai(bytes));
    }), { numRuns: 3000 });
  });

  it('on arbitrary bytes after a version-1 header', () => {
    fc.assert(fc.property(header, fc.uint8Array({ maxLength: 80 }), (h, tail) => {
      const bytes = Buffer.concat([h, Buffer.from(tail)]);
      expect(viaHandDecoder(bytes)).toEqual(viaKaitai(bytes));
    }), { numRuns: 3000 });
  });
});
