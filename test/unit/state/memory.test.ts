import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import type { AnalyzedMessage } from '../../../src/pipeline/index.js';
import { StateTracker } from '../../../src/state/index.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const OBJECTS = ['/1', '/1/0', '/3/0', '/3305/0', '/3305/1', '/3305/2'];

/** The fields of a message the registration table reads, as the pipeline would hand them. */
function message(frame: number, src: string, dst: string, role: 'request' | 'response', code: number, uriQuery: string[], locationPath: string | null, endpoint: string, objects: string[] | null): AnalyzedMessage {
  return {
    coap: { frame, ts: 1000 + frame / 1000, src, dst, msg: { code, uriQuery, locationPath, observe: null, token: '' }, match: { role, retransmissionOf: null, request: null, record: null } },
    lwm2m: { operation: 'register', endpoint, path: null, records: [], objects, links: objects?.map((uri) => ({ uri, attrs: {} })) ?? null, payloadError: null },
  } as unknown as AnalyzedMessage;
}

describe('memory', () => {
  it('an idle registered endpoint costs under 1 KiB', () => {
    const n = 20_000;
    const tracker = new StateTracker();
    gc();
    const before = process.memoryUsage().heapUsed;
    for (let i = 0; i < n; i++) {
      const name = `meter-${String(i).padStart(6, '0')}`;
      const client = `10.1.${i >> 8}.${i & 255}:56830`;
      tracker.handle(message(2 * i + 1, client, '10.0.0.1:5683', 'request', 0x02, [`ep=${name}`, 'lt=86400', 'lwm2m=1.1', 'b=U'], null, name, OBJECTS.slice()));
      tracker.handle(message(2 * i + 2, '10.0.0.1:5683', client, 'response', 0x41, [], `/rd/${i}`, name, null));
    }
    gc();
    const perEndpoint = (process.memoryUsage().heapUsed - before) / n;
    expect(tracker.registrations.size).toBe(n);
    expect([...tracker.registrations.all()].every((e) => e.state === 'registered')).toBe(true);
    expect(perEndpoint).toBeLessThan(1024);
  });
});
