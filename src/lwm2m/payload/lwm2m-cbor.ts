import { PayloadBuilder } from './builder.js';
import { decodeCbor, MAX_VISITS_PER_BYTE } from './cbor.js';
import { hex } from './encoding.js';
import { formatPath, isPathId, MAX_PATH_DEPTH, type PathIds } from './path.js';
import { carriedRecord, type CarriedValue } from './record.js';
import type { PayloadDecoder } from './types.js';

/**
 * application/vnd.oma.lwm2m+cbor (11544), LwM2M 1.2 core 7.4.7: nested maps keyed by path
 * ids from the root ({3: {0: {0: "Open Mobile Alliance", 9: 55}}}), where a key may be an
 * array of ids that skips levels ({[3, 0]: {...}}). Leaves are typed by their CBOR type;
 * the registry refines numbers and text (Time, Objlnk, Corelnk).
 */
export const decodeLwm2mCbor: PayloadDecoder = (body) => {
  const out = new PayloadBuilder();
  const decoded = decodeCbor(body);
  if ('error' in decoded) {
    out.failWith('LwM2M CBOR', decoded.error);
  } else if (!(decoded.value instanceof Map)) {
    out.fail('LwM2M CBOR: not a map');
  } else {
    addMap(decoded.value, [], out, { visits: MAX_VISITS_PER_BYTE * body.length });
  }
  return out.result();
};

/** Walks one map level; false once the visit budget is spent. Depth is bounded: every level adds an id and paths stop at /o/i/r/ri. */
function addMap(map: Map<unknown, unknown>, parent: PathIds, out: PayloadBuilder, budget: { visits: number }): boolean {
  for (const [key, value] of map) {
    if (--budget.visits < 0) {
      out.fail('LwM2M CBOR: shared values expand far past the body size');
      return false;
    }
    const ids = childPath(parent, key);
    if (ids === null) {
      out.fail(`LwM2M CBOR: a key under ${formatPath(parent)} is not a path id or a list of ids that fits a path`);
      continue;
    }
    if (value instanceof Map) {
      if (ids.length === MAX_PATH_DEPTH) out.fail(`LwM2M CBOR ${formatPath(ids)}: a map below a resource instance`);
      else if (!addMap(value, ids, out, budget)) return false;
      continue;
    }
    if (ids.length < 3) {
      out.fail(`LwM2M CBOR ${formatPath(ids)}: a value above resource level`);
      continue;
    }
    const carried = carriedCborValue(value);
    if (carried === null) out.fail(`LwM2M CBOR ${formatPath(ids)}: not an LwM2M value`);
    else out.records.push(carriedRecord(ids, carried));
  }
  return true;
}

function childPath(parent: PathIds, key: unknown): PathIds | null {
  const keys = Array.isArray(key) ? (key as unknown[]) : [key];
  if (keys.length === 0 || parent.length + keys.length > MAX_PATH_DEPTH || !keys.every(isPathId)) return null;
  return [...parent, ...keys];
}

function carriedCborValue(value: unknown): CarriedValue | null {
  if (value === null || value === undefined) return { kind: 'absent' };
  if (typeof value === 'number') return { kind: 'number', value };
  if (typeof value === 'bigint') return { kind: 'number', value: Number(value) };
  if (typeof value === 'string') return { kind: 'string', value };
  if (typeof value === 'boolean') return { kind: 'boolean', value };
  if (value instanceof Uint8Array) return { kind: 'opaque', hex: hex(value) };
  // Tag 1 (epoch time), which cbor-x returns as a Date.
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : { kind: 'time', value: value.getTime() / 1000 };
  return null;
}
