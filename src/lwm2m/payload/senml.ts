import { GenerationalMap } from '../../util/generational-map.js';
import type { PayloadBuilder } from './builder.js';
import { parsePath, resolveRelativePath, type PathIds } from './path.js';
import { carriedRecordAt, describePath, isObjectLink, typedValue, type CarriedValue, type PathDescription } from './record.js';
import type { Lwm2mRecord } from './types.js';

/**
 * One SenML record by label name, as SenML JSON, SenML CBOR or OMA LwM2M JSON carried it:
 * the values are unchecked. Units, sums, versions and update times are not read (LwM2M
 * uses none of them).
 */
export interface SenmlFields {
  bn?: unknown;
  bt?: unknown;
  bv?: unknown;
  n?: unknown;
  v?: unknown;
  vs?: unknown;
  vb?: unknown;
  vd?: unknown;
  vlo?: unknown;
  t?: unknown;
}

export interface SenmlFormat {
  /** Name in error messages ("SenML JSON"). */
  label: string;
  /** vd as the format encodes it (base64url text in JSON, a byte string in CBOR) to hex; null if it is not that. */
  opaqueHex(vd: unknown): string | null;
  /**
   * OMA LwM2M JSON: bt is always an absolute time and only times without it are relative.
   * SenML (false): any resolved time below 2^28 is relative (RFC 8428 section 4.5.3).
   */
  absoluteBaseTime: boolean;
}

const SLASH = 0x2f;

/** Times below this are relative to "now" (RFC 8428 section 4.5.3). */
const RELATIVE_TIME_LIMIT = 2 ** 28;

/**
 * Resolves a SenML pack (RFC 8428 section 4, with LwM2M 1.1 core 7.4.4-7.4.5 rules) into
 * records. Base fields apply from their record on; names are bn + n. A name that is a
 * relative LwM2M path ("0/9", "") resolves against the request path; a name that is no
 * LwM2M path at all (plain SenML: "urn:dev:ow:...") is kept as the record path.
 * A record with a fault is skipped and the rest still decode. `null` entries stand for
 * items that are not records (an array element that is not a map).
 */
export function addSenmlRecords(
  pack: ReadonlyArray<SenmlFields | null>,
  basePath: string | null,
  format: SenmlFormat,
  out: PayloadBuilder,
): void {
  const requestIds = basePath === null ? null : parsePath(basePath);
  let baseName = '';
  let baseTime: number | undefined;
  let baseValue: number | undefined;
  for (let index = 0; index < pack.length; index++) {
    const fields = pack[index];
    const fault = fields === null ? 'not a map of labels' : checkFields(fields);
    if (fault !== null || fields === null) {
      out.fail(`${format.label} record ${index}: ${fault}`);
      continue;
    }
    // checkFields made sure of these types.
    const bn = fields.bn as string | undefined;
    const n = fields.n as string | undefined;
    const bt = fields.bt as number | undefined;
    const bv = fields.bv as number | undefined;
    const t = fields.t as number | undefined;
    if (bn !== undefined) baseName = bn;
    if (bt !== undefined) baseTime = bt;
    if (bv !== undefined) baseValue = bv;

    const carried = carriedValue(fields, baseValue, format);
    if (typeof carried === 'string') {
      out.fail(`${format.label} record ${index}: ${carried}`);
      continue;
    }
    const name = baseName + (n ?? '');
    const at = describeName(name, requestIds);
    if (at === null && name === '') {
      out.fail(`${format.label} record ${index}: no name`);
      continue;
    }
    const record: Lwm2mRecord = at === null ? { path: name, name: null, ...typedValue(undefined, carried) } : carriedRecordAt(at, carried);
    if (baseTime !== undefined || t !== undefined) {
      const time = (baseTime ?? 0) + (t ?? 0);
      record.time = time;
      if (format.absoluteBaseTime ? baseTime === undefined : time < RELATIVE_TIME_LIMIT) record.timeRelative = true;
    }
    out.records.push(record);
  }
}

/** Why a record's base and name fields cannot be used, or null. */
function checkFields(fields: SenmlFields): string | null {
  const { bn, bt, bv, n, t } = fields;
  if (bn !== undefined && typeof bn !== 'string') return 'bn is not a string';
  if (n !== undefined && typeof n !== 'string') return 'n is not a string';
  if (!isOptionalNumber(bt)) return 'bt is not a number';
  if (!isOptionalNumber(bv)) return 'bv is not a number';
  if (!isOptionalNumber(t)) return 't is not a number';
  const count = countValues(fields);
  return count > 1 ? `${count} value fields` : null;
}

function countValues({ v, vs, vb, vd, vlo }: SenmlFields): number {
  return +(v !== undefined) + +(vs !== undefined) + +(vb !== undefined) + +(vd !== undefined) + +(vlo !== undefined);
}

function isOptionalNumber(v: unknown): v is number | undefined {
  return v === undefined || (typeof v === 'number' && Number.isFinite(v));
}

/** The record's value, or a reason it has none that makes sense. */
function carriedValue(fields: SenmlFields, baseValue: number | undefined, format: SenmlFormat): CarriedValue | string {
  const { v, vs, vb, vd, vlo } = fields;
  if (v !== undefined) {
    // NaN and infinities pass (CBOR floats can carry them): the value is what the device sent.
    if (typeof v !== 'number') return 'v is not a number';
    return { kind: 'number', value: v + (baseValue ?? 0) };
  }
  if (vs !== undefined) return typeof vs === 'string' ? { kind: 'string', value: vs } : 'vs is not a string';
  if (vb !== undefined) return typeof vb === 'boolean' ? { kind: 'boolean', value: vb } : 'vb is not a boolean';
  if (vd !== undefined) {
    const hex = format.opaqueHex(vd);
    return hex === null ? 'vd is not data' : { kind: 'opaque', hex };
  }
  if (vlo !== undefined) {
    return typeof vlo === 'string' && isObjectLink(vlo) ? { kind: 'objlnk', value: vlo } : 'vlo is not an object link';
  }
  // Read-Composite and Observe-Composite requests list paths without values.
  return { kind: 'absent' };
}

/**
 * Absolute names resolved before: a fleet's notifications repeat the same few names, and
 * parsing, formatting and two registry lookups per value cost more than one map lookup.
 * Bounded by size only (no time: `set` is given 0), the older half forgotten first.
 */
const MAX_NAMES = 10_000;
const absoluteNames = new GenerationalMap<string, PathDescription | null>(Number.POSITIVE_INFINITY, MAX_NAMES);

/** Path text, registry name and type of a record name; null when the name is not an LwM2M path. */
function describeName(name: string, requestIds: PathIds | null): PathDescription | null {
  if (name.charCodeAt(0) !== SLASH) {
    const ids = requestIds === null ? null : resolveRelativePath(requestIds, name);
    return ids === null ? null : describePath(ids);
  }
  let at = absoluteNames.get(name, 0);
  if (at === undefined) {
    const ids = parsePath(name);
    at = ids === null ? null : describePath(ids);
    absoluteNames.set(name, at, 0);
  }
  return at;
}
