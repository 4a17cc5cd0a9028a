import { describe, expect, it } from 'vitest';
import { coapPorts, COAP_PORT, COAPS_PORT, onPort } from '../../../src/decode/ports.js';
import { defaultFilter } from '../../../src/cli/commands/monitor.js';

describe('the CoAP port table', () => {
  it('is the well-known ports, then the extra ones, without repeats', () => {
    expect(coapPorts()).toEqual([COAP_PORT, COAPS_PORT]);
    expect(coapPorts([56830, 5683, 56830])).toEqual([5683, 5684, 56830]);
  });

  it('matches a flow by either end', () => {
    const ports = new Set(coapPorts([56830]));
    expect(onPort(ports, { srcPort: 40000, dstPort: 56830 })).toBe(true);
    expect(onPort(ports, { srcPort: 5684, dstPort: 40000 })).toBe(true);
    expect(onPort(ports, { srcPort: 40000, dstPort: 40001 })).toBe(false);
  });

  it("is what monitor's default capture filter lets through", () => {
    const filter = defaultFilter([56830]);
    for (const p of coapPorts([56830])) expect(filter).toContain(`udp port ${p} or tcp port ${p}`);
  });
});
