import type { EndpointChange } from '../../state/index.js';

/** Capture times as the message records write them: 6 decimals (sums like registered + lifetime drift in binary). */
function time(t: number | null): number | null {
  return t === null ? null : Math.round(t * 1e6) / 1e6;
}

/**
 * One `{"kind":"endpoint",…}` line (with its newline): an endpoint entered a new state. Rare
 * next to message records, so plain JSON.stringify (which also escapes network strings).
 */
export function endpointLine(c: EndpointChange): string {
  const e = c.endpoint;
  return JSON.stringify({
    kind: 'endpoint', frame: c.frame, ts: time(c.ts), endpoint: e.name, state: e.state, previous: c.previous,
    address: e.address, location: e.location, lifetime: e.lifetime, binding: e.binding, lwm2mVersion: e.lwm2mVersion,
    queueMode: e.queueMode, sms: e.sms, objects: e.objects, registeredAt: time(e.registeredAt),
    updatedAt: time(e.updatedAt), expiresAt: time(e.expiresAt), dtls: e.dtls,
  }) + '\n';
}
