import { CORE_OBJECTS } from './core-objects.js';
import { omaRegistryObjects } from './oma-registry.js';
import type { ResourceInfo } from './types.js';

export type { ResourceInfo } from './types.js';

/**
 * Object name ("Device") for an object id, or null for objects in no registry we carry
 * (vendor-specific ranges such as 31024).
 */
export function objectName(oid: number): string | null {
  return CORE_OBJECTS.get(oid)?.name ?? omaRegistryObjects().get(oid)?.name ?? null;
}

/** Name, LwM2M data type and multiplicity of a resource; undefined when unknown. */
export function resourceInfo(oid: number, rid: number): ResourceInfo | undefined {
  // The hand-written table wins: its types are exact where the npm data is lossy.
  return CORE_OBJECTS.get(oid)?.resources.get(rid) ?? omaRegistryObjects().get(oid)?.resources.get(rid);
}

/** The resource is an Execute resource (type 'none'), e.g. /3/0/4 Reboot. */
export function isExecutable(oid: number, rid: number): boolean {
  return resourceInfo(oid, rid)?.type === 'none';
}

/**
 * Resources that hold key material: Security's Secret Key (/0/x/5) and OSCORE's Master Secret
 * and Master Salt (/21/x/0, /21/x/5). Outputs write their length, never their value.
 * Checked on every record written, so by character.
 */
export function isSecretResource(path: string): boolean {
  const c1 = path.charCodeAt(1);
  if (c1 === 48 /* 0 */ && path.charCodeAt(2) === 47) return resourceIs(path, 3, ['5']);
  if (c1 === 50 /* 2 */ && path.charCodeAt(2) === 49 /* 1 */ && path.charCodeAt(3) === 47) return resourceIs(path, 4, ['0', '5']);
  return false;
}

/** path = "/<object>/<instance>/<resource>[/<ri>]" with the instance starting at `from`: is the resource one of `ids`? */
function resourceIs(path: string, from: number, ids: string[]): boolean {
  const slash = path.indexOf('/', from);
  if (slash < 0) return false;
  const end = path.indexOf('/', slash + 1);
  return ids.includes(path.slice(slash + 1, end < 0 ? path.length : end));
}

/** Byte length of a decoded value without keeping it: opaque values are hex. */
export function valueLength(type: string, value: unknown): number | null {
  if (typeof value !== 'string') return null;
  return type === 'opaque' ? value.length >> 1 : Buffer.byteLength(value);
}
