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
