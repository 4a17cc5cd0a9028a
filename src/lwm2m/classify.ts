import { METHOD, type CoapMessage } from '../coap/index.js';
import { isObjectPath, NOTIFICATION_ATTRIBUTES, pathDepth, type Operation } from './operations.js';

const LINK_FORMAT = 40;

export interface RequestContext {
  /** The sender is a bootstrap server of the receiver (it was sent a Bootstrap-Request). */
  fromBootstrapServer: boolean;
  /** The path is a registration location the receiver handed out (Location-Path of a Register response). */
  atRegistrationLocation: boolean;
}

function hasQueryParam(query: string[], name: string): boolean {
  for (const q of query) {
    if (q === name || q.startsWith(name + '=')) return true;
  }
  return false;
}

function onlyAttributes(query: string[]): boolean {
  if (query.length === 0) return false;
  for (const q of query) {
    const eq = q.indexOf('=');
    if (!NOTIFICATION_ATTRIBUTES.has(eq < 0 ? q : q.slice(0, eq))) return false;
  }
  return true;
}

/**
 * Names the LwM2M operation of a request (LwM2M 1.2 core, section 6 and table 6.x mappings of
 * operations onto CoAP methods and URIs). The same CoAP method means different operations
 * depending on the path depth, the query, the payload and who sends it: that is why the
 * context (bootstrap server or not, known registration location) is needed.
 */
export function classifyRequest(msg: CoapMessage, ctx: RequestContext): Operation {
  const path = msg.uriPath ?? '/';
  const query = msg.uriQuery;
  const method = msg.code;

  // Client-initiated interfaces: fixed first path segments.
  if (path === '/bs' && method === METHOD.POST) {
    return hasQueryParam(query, 'ep') ? 'bootstrap-request' : 'bootstrap-finish';
  }
  if (path === '/bspack' && (method === METHOD.GET || method === METHOD.POST)) return 'bootstrap-pack-request';
  if (path === '/dp' && method === METHOD.POST) return 'send';
  if (method === METHOD.POST && hasQueryParam(query, 'ep') && (path === '/rd' || path.endsWith('/rd'))) return 'register';
  if (ctx.atRegistrationLocation || path.startsWith('/rd/')) {
    if (method === METHOD.POST) return 'update';
    if (method === METHOD.DELETE) return 'deregister';
  }

  // Server- and bootstrap-server-initiated operations on the object model.
  const root = path === '/';
  if (!root && !isObjectPath(path)) return 'unknown';
  const depth = root ? 0 : pathDepth(path);
  const bootstrap = ctx.fromBootstrapServer;
  switch (method) {
    case METHOD.GET:
      if (msg.observe === 0) return 'observe';
      if (msg.observe === 1) return 'cancel-observation';
      if (msg.accept === LINK_FORMAT) return bootstrap ? 'bootstrap-discover' : 'discover';
      return bootstrap ? 'bootstrap-read' : 'read';
    case METHOD.FETCH:
      if (msg.observe === 0) return 'observe-composite';
      if (msg.observe === 1) return 'cancel-observation-composite';
      return 'read-composite';
    case METHOD.PUT:
      if (msg.contentFormat === null && msg.payload.length === 0 && (query.length === 0 || onlyAttributes(query))) {
        return bootstrap ? 'unknown' : 'write-attributes';
      }
      return bootstrap ? 'bootstrap-write' : 'write';
    case METHOD.POST:
      if (depth === 1) return bootstrap ? 'unknown' : 'create';
      if (depth === 2) return 'write-partial';
      if (depth === 3) return 'execute';
      return 'unknown';
    case METHOD.IPATCH:
      return root ? 'write-composite' : 'unknown';
    case METHOD.DELETE:
      if (bootstrap) return 'bootstrap-delete';
      return depth === 2 ? 'delete' : 'unknown';
    default:
      return 'unknown';
  }
}
