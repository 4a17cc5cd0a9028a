import { describe, expect, it } from 'vitest';
import { AnalysisPipeline } from '../../../src/pipeline/index.js';

describe('AnalysisPipeline.overflow', () => {
  it('lists the bounded tables of the DTLS and LwM2M stages, those per endpoint sized for 10^6 endpoints', () => {
    const pipeline = new AnalysisPipeline(() => {});
    const bounds = new Map(pipeline.overflow.tables().map((t) => [t.table, t.bound]));
    for (const table of [
      'dtls.sessions', 'dtls.sessions-by-client', 'dtls.sessions-by-psk-identity', 'dtls.endpoint-names', 'dtls.endpoint-by-address',
      'lwm2m.registration-locations', 'lwm2m.client-addresses',
    ]) {
      expect(bounds.get(table), table).toBeGreaterThanOrEqual(1_000_000);
    }
    expect(bounds.get('lwm2m.bootstrap-servers')).toBeGreaterThan(0);
    expect(pipeline.overflow.overflows()).toEqual([]);
  });
});
