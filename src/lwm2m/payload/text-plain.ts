import { PayloadBuilder } from './builder.js';
import { base64ToHex } from './encoding.js';
import { formatPath, isResourcePath, parsePath } from './path.js';
import { isObjectLink, lwm2mRecord, registryType } from './record.js';
import type { Lwm2mRecord, PayloadDecoder, ResourceType } from './types.js';

const INTEGER = /^[+-]?\d+$/;
const UNSIGNED = /^\+?\d+$/;
const FLOAT = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/**
 * text/plain (0): the value of the one resource the request path names, typed from the
 * registry (LwM2M 1.1 core 7.4.1). Outside a resource path the text is not a resource
 * value (e.g. plain CoAP), so it is returned as `data`.
 */
export const decodeTextPlain: PayloadDecoder = (body, basePath) => {
  const text = body.toString('utf8');
  const ids = basePath === null ? null : parsePath(basePath);
  if (!isResourcePath(ids)) return { records: [], data: text, error: null };
  const out = new PayloadBuilder();
  const type = registryType(ids) ?? 'string';
  const value = parseText(type, text);
  if (value === undefined) {
    out.fail(`text/plain value for ${type} resource ${formatPath(ids)} does not parse`);
    out.records.push(lwm2mRecord(ids, 'string', text));
  } else {
    out.records.push(lwm2mRecord(ids, type, value));
  }
  return out.result();
};

/** The value of `text` as the given type; undefined when it is not one. */
function parseText(type: ResourceType, text: string): Lwm2mRecord['value'] | undefined {
  switch (type) {
    case 'integer':
    case 'time':
      return INTEGER.test(text) ? Number(text) : undefined;
    case 'unsigned':
      return UNSIGNED.test(text) ? Number(text) : undefined;
    case 'float':
      return FLOAT.test(text) ? Number(text) : undefined;
    case 'boolean':
      return text === '1' ? true : text === '0' ? false : undefined;
    case 'objlnk':
      return isObjectLink(text) ? text : undefined;
    case 'opaque':
      return base64ToHex(text) ?? undefined;
    default:
      // string, corelnk, Execute arguments ('none') and unknown resources: the text itself.
      return text;
  }
}
