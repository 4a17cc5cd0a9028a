import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { isJsonObject } from '../payload/json.js';
import type { ResourceType } from '../payload/types.js';
import type { ObjectInfo, ResourceInfo } from './types.js';

/*
 * Object and resource names for the ~300 objects of the OMA LwM2M registry, read from the
 * JSON Schema that @nordicsemiconductor/lwm2m-types builds from it.
 *
 * Loaded on first use, not at import: importing the package itself costs ~2.5 s (it
 * pulls in ajv and every generated type), while reading and parsing only its 1.2 MB
 * schema costs 15-25 ms once and leaves a small table behind. The package exports only
 * its entry point, so the schema is found next to it.
 */

let objects: Map<number, ObjectInfo> | undefined;

export function omaRegistryObjects(): ReadonlyMap<number, ObjectInfo> {
  objects ??= loadObjects();
  return objects;
}

function loadObjects(): Map<number, ObjectInfo> {
  try {
    const entry = createRequire(import.meta.url).resolve('@nordicsemiconductor/lwm2m-types');
    const schema: unknown = JSON.parse(readFileSync(join(dirname(entry), 'LwM2MDocument.schema.json'), 'utf8'));
    return objectsFromSchema(schema);
  } catch {
    // A missing or changed package leaves only the hand-written core table: names go missing, decoding still works.
    return new Map();
  }
}

type Json = Record<string, unknown>;

/** Keys look like "6" or "3:1.2@1.1" (object id, object version, LwM2M version). */
function objectsFromSchema(schema: unknown): Map<number, ObjectInfo> {
  const result = new Map<number, ObjectInfo>();
  const properties = isJsonObject(schema) ? schema.properties : undefined;
  if (!isJsonObject(properties)) return result;
  for (const [key, def] of Object.entries(properties)) {
    const oid = Number(key.split(/[:@]/, 1)[0]);
    if (!Number.isInteger(oid) || !isJsonObject(def)) continue;
    // Multiple-instance objects are arrays of their instance schema.
    const instance = def.type === 'array' && isJsonObject(def.items) ? def.items : def;
    const name = typeof def.title === 'string' ? def.title : typeof instance.title === 'string' ? instance.title : null;
    if (name === null || !isJsonObject(instance.properties)) continue;
    const resources = result.get(oid)?.resources ?? new Map<number, ResourceInfo>();
    for (const [rkey, rdef] of Object.entries(instance.properties)) {
      const rid = Number(rkey);
      if (!Number.isInteger(rid) || !isJsonObject(rdef) || typeof rdef.title !== 'string' || resources.has(rid)) continue;
      const multiple = rdef.type === 'array';
      const valueDef = multiple && isJsonObject(rdef.items) ? rdef.items : rdef;
      resources.set(rid, { name: rdef.title, type: resourceType(valueDef), multiple });
    }
    result.set(oid, { name: result.get(oid)?.name ?? name, resources });
  }
  return result;
}

function resourceType(def: Json): ResourceType {
  switch (def.type) {
    case 'integer':
      return def.unixTimestamp === true ? 'time' : 'integer';
    case 'number':
      return 'float';
    case 'string':
      return 'string';
    case 'boolean':
      return 'boolean';
    default:
      return 'unknown';
  }
}
