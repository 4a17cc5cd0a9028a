import type { CoapEvent } from '../coap/index.js';
import type { Operation } from './operations.js';
import type { Lwm2mInfo } from './stage.js';

/**
 * An LwM2M message told which endpoint sits at an address: what lets the DTLS stage name a
 * session after the endpoint that uses it.
 */
export interface EndpointIdentified {
  endpoint: string;
  /** The LwM2M client's address and its server's. */
  client: string;
  server: string;
  /** The message came out of a decrypted DTLS session: the session is that endpoint's for certain. */
  viaDtls: boolean;
  frame: number;
  ts: number;
}

/**
 * Requests whose sender names itself (Register's and the bootstrap requests' ep= parameter, an
 * Update's registration location): in plain traffic only these say which endpoint is at an
 * address; any other request's endpoint was itself looked up by address.
 */
const SELF_NAMING = new Set<Operation>(['register', 'update', 'bootstrap-request', 'bootstrap-pack-request']);
/** Operations an LwM2M client sends; the server sends every other request. */
const FROM_CLIENT = new Set<Operation>(['register', 'update', 'deregister', 'bootstrap-request', 'bootstrap-pack-request', 'send']);

/**
 * The endpoint a request identifies, or null. Inside a decrypted DTLS session every request
 * with a known endpoint identifies it (the session's addresses are that endpoint's); in plain
 * traffic only self-naming requests do. A value the pipeline hands on, not an event the LwM2M
 * stage fires, so that whatever the DTLS stage reports about it follows the message itself.
 */
export function endpointIdentified(e: CoapEvent, info: Lwm2mInfo): EndpointIdentified | null {
  if (e.match.role !== 'request' || info.endpoint === null) return null;
  const viaDtls = e.transport === 'dtls';
  if (!viaDtls && !SELF_NAMING.has(info.operation)) return null;
  const fromClient = FROM_CLIENT.has(info.operation);
  return {
    endpoint: info.endpoint, client: fromClient ? e.src : e.dst, server: fromClient ? e.dst : e.src, viaDtls, frame: e.frame, ts: e.ts,
  };
}
