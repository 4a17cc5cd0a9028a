import { isResourcePath, parsePath } from './path.js';
import { lwm2mRecord } from './record.js';
import type { PayloadDecoder } from './types.js';

/** application/octet-stream (42): the opaque value of the resource the request path names, as hex. */
export const decodeOctetStream: PayloadDecoder = (body, basePath) => {
  const hex = body.toString('hex');
  const ids = basePath === null ? null : parsePath(basePath);
  if (!isResourcePath(ids)) return { records: [], data: hex, error: null };
  return { records: [lwm2mRecord(ids, 'opaque', hex)], error: null };
};
