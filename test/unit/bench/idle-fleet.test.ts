import { describe, expect, it } from 'vitest';
import { measureIdleFleet } from '../../../src/bench/idle-fleet.js';

describe('an idle fleet through the whole analysis (decode to default rules)', () => {
  it('a registered, observed meter leaves under 2.4 KB of heap (10^4 meters)', () => {
    const fleet = measureIdleFleet(10_000);
    expect(fleet).toMatchObject({ registered: 10_000, observed: 10_000, overflow: [] });
    expect(fleet.bytesPerEndpoint).toBeLessThan(2_400);
  });
});
