import { PayloadBuilder } from './builder.js';
import { decodeCbor, MAX_VISITS_PER_BYTE } from './cbor.js';
import { hex } from './encoding.js';
import type { PayloadDecoder } from './types.js';

const MAX_DEPTH = 32;
/** Stands in for what the depth or visit limits cut off. */
const CUT = '…';

/**
 * application/cbor (60): not resource records, so `data` is a JSON-safe rendering of the
 * item (byte strings as hex, maps as objects, tags as {tag, value}). Rendering stops at
 * MAX_DEPTH levels and at a visit budget (see cbor.ts), marking the cut parts.
 */
export const decodePlainCbor: PayloadDecoder = (body) => {
  const out = new PayloadBuilder();
  const decoded = decodeCbor(body);
  if ('error' in decoded) {
    out.failWith('CBOR', decoded.error);
    return out.result();
  }
  const state = { visits: MAX_VISITS_PER_BYTE * body.length + 1, cut: false };
  const data = render(decoded.value, 0, state);
  if (state.cut) out.fail(`CBOR: nested deeper than ${MAX_DEPTH} or shared values expand far past the body size`);
  return { ...out.result(), data };
};

function render(value: unknown, depth: number, state: { visits: number; cut: boolean }): unknown {
  if (--state.visits < 0 || depth > MAX_DEPTH) {
    state.cut = true;
    return CUT;
  }
  const child = (v: unknown) => render(v, depth + 1, state);
  switch (typeof value) {
    case 'number':
      return Number.isFinite(value) ? value : String(value);
    case 'bigint':
      return Number.isSafeInteger(Number(value)) ? Number(value) : value.toString();
    case 'string':
    case 'boolean':
      return value;
    case 'undefined':
      return null;
  }
  if (value === null) return null;
  if (value instanceof Uint8Array) return hex(value);
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value.toISOString();
  if (Array.isArray(value) || value instanceof Set) return [...value].map(child);
  if (value instanceof Map) {
    // Null prototype: keys come off the wire ("__proto__" must stay a plain key).
    const object = Object.create(null) as Record<string, unknown>;
    for (const [k, v] of value) object[typeof k === 'string' ? k : JSON.stringify(child(k))] = child(v);
    return object;
  }
  if (value instanceof Error || value instanceof RegExp) return String(value); // cbor-x tag 27
  if (isTag(value)) return { tag: value.tag, value: child(value.value) };
  return String(value);
}

/** cbor-x's Tag for tags it does not interpret. */
function isTag(value: unknown): value is { tag: number; value: unknown } {
  return typeof value === 'object' && value !== null && 'tag' in value && 'value' in value;
}
