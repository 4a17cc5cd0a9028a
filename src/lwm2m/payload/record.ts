import { objectName, resourceInfo, type ResourceInfo } from '../registry/index.js';
import { base64ToHex } from './encoding.js';
import { formatPath, type PathIds } from './path.js';
import type { Lwm2mRecord, ResourceType } from './types.js';

/** The registry's type for the resource a path names; undefined above resource level or when unknown. */
export function registryType(ids: PathIds): ResourceType | undefined {
  return ids.length >= 3 ? resourceInfo(ids[0], ids[2])?.type : undefined;
}

/** Registry name of the deepest thing a path names: the resource, else the object. */
function registryName(ids: PathIds): string | null {
  if (ids.length >= 3) return resourceInfo(ids[0], ids[2])?.name ?? null;
  return ids.length > 0 ? objectName(ids[0]) : null;
}

export function lwm2mRecord(ids: PathIds, type: ResourceType, value: Lwm2mRecord['value']): Lwm2mRecord {
  return { path: formatPath(ids), name: registryName(ids), type, value };
}

/**
 * lwm2mRecord for a resource (instance) whose path the caller has already formatted and whose
 * registry entry it has already looked up: TLV's hot path, one lookup and no ids array per value.
 */
export function resourceRecord(path: string, info: ResourceInfo | undefined, type: ResourceType, value: Lwm2mRecord['value']): Lwm2mRecord {
  return { path, name: info?.name ?? null, type, value };
}

/** A value as a self-describing format (SenML, OMA JSON, LwM2M CBOR) carries it. */
export type CarriedValue =
  | { kind: 'number'; value: number }
  | { kind: 'string'; value: string }
  | { kind: 'boolean'; value: boolean }
  | { kind: 'opaque'; hex: string }
  | { kind: 'objlnk'; value: string }
  | { kind: 'time'; value: number }
  | { kind: 'absent' };

const NUMERIC: ReadonlySet<ResourceType> = new Set(['integer', 'unsigned', 'float', 'time']);
const OBJLNK = /^\d{1,5}:\d{1,5}$/;

/** Objlnk text as LwM2M writes it everywhere but TLV: "objectId:instanceId". */
export function isObjectLink(text: string): boolean {
  return OBJLNK.test(text);
}

/**
 * Type and value of a carried value. The payload's own kind decides, and the registry
 * only refines it (a number on a Time resource is a time, a string on a Corelnk one is a
 * corelnk): the npm registry data is lossy, and a device that sends a string where the
 * registry says integer has still sent a string.
 */
export function typedValue(
  registry: ResourceType | undefined,
  carried: CarriedValue,
): { type: ResourceType; value: Lwm2mRecord['value'] } {
  switch (carried.kind) {
    case 'number':
      if (registry !== undefined && NUMERIC.has(registry)) return { type: registry, value: carried.value };
      return { type: Number.isInteger(carried.value) ? 'integer' : 'float', value: carried.value };
    case 'string': {
      if (registry === 'string' || registry === 'corelnk') return { type: registry, value: carried.value };
      if (registry === 'objlnk' && isObjectLink(carried.value)) return { type: 'objlnk', value: carried.value };
      // Formats without a byte-string field (OMA JSON sv, text) carry Opaque as base64.
      const hex = registry === 'opaque' ? base64ToHex(carried.value) : null;
      return hex !== null ? { type: 'opaque', value: hex } : { type: 'string', value: carried.value };
    }
    case 'boolean':
      return { type: 'boolean', value: carried.value };
    case 'opaque':
      return { type: 'opaque', value: carried.hex };
    case 'objlnk':
      return { type: 'objlnk', value: carried.value };
    case 'time':
      return { type: 'time', value: carried.value };
    case 'absent':
      return { type: registry ?? 'unknown', value: null };
  }
}

/** What a record at a path says besides its value: text, registry name and registry type. */
export interface PathDescription {
  path: string;
  name: string | null;
  registry: ResourceType | undefined;
}

export function describePath(ids: PathIds): PathDescription {
  return { path: formatPath(ids), name: registryName(ids), registry: registryType(ids) };
}

/** The record for a carried value at a described path (decoders that see the same paths again keep descriptions). */
export function carriedRecordAt(at: PathDescription, carried: CarriedValue): Lwm2mRecord {
  const typed = typedValue(at.registry, carried);
  return { path: at.path, name: at.name, type: typed.type, value: typed.value };
}

/** The record for a carried value at an LwM2M path, typed by payload and registry together. */
export function carriedRecord(ids: PathIds, carried: CarriedValue): Lwm2mRecord {
  return carriedRecordAt(describePath(ids), carried);
}
