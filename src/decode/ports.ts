/**
 * The one port table: which UDP and TCP ports carry CoAP. Every stage that asks (the CoAP and
 * DTLS stages) and monitor's capture filter take it from here, so that `--coap-port` means the
 * same thing everywhere.
 */

/** IANA's CoAP port (RFC 7252 12.6): CoAP over UDP, and CoAP over TCP (RFC 8323). */
export const COAP_PORT = 5683;
/** IANA's coaps port: CoAP over DTLS (and over TLS, which is not decoded). */
export const COAPS_PORT = 5684;

/** The CoAP ports: the two well-known ones and `extra` (--coap-port), without repeats, in that order. */
export function coapPorts(extra: readonly number[] = []): number[] {
  return [...new Set([COAP_PORT, COAPS_PORT, ...extra])];
}

/** Whether either end of a flow is on a CoAP port. */
export function onPort(ports: ReadonlySet<number>, d: { srcPort: number; dstPort: number }): boolean {
  return ports.has(d.dstPort) || ports.has(d.srcPort);
}
