import { describe, expect, it } from 'vitest';
import type { LiveStats } from '../../../src/capture/index.js';
import { MetricsEndpoint } from '../../../src/cli/commands/metrics-endpoint.js';
import { metricsAddress, MetricsTally } from '../../../src/cli/commands/monitor-metrics.js';
import type { AnalyzedMessage } from '../../../src/pipeline/index.js';
import type { DetectionEvent } from '../../../src/rules/index.js';

const message = (operation: string | null, code: number) => ({ coap: { msg: { code } }, lwm2m: operation === null ? null : { operation } }) as unknown as AnalyzedMessage;
const event = (rule: string, severity: string) => ({ rule, severity }) as DetectionEvent;

describe('--metrics HOST:PORT', () => {
  it.each([
    ['127.0.0.1:9464', { host: '127.0.0.1', port: 9464 }],
    ['[::1]:9464', { host: '::1', port: 9464 }],
    ['localhost:1', { host: 'localhost', port: 1 }],
  ])('%s', (value, address) => expect(metricsAddress(value)).toEqual(address));

  it.each(['9464', '127.0.0.1', '127.0.0.1:0', '127.0.0.1:65536', '::1:9464', ':9464', 'a b:1'])('%s is refused', (value) => {
    expect(() => metricsAddress(value)).toThrow(/is not HOST:PORT/);
  });
});

describe('MetricsTally', () => {
  it('counts messages by operation and code, events by rule and severity; lag only while frames wait', () => {
    const tally = new MetricsTally();
    tally.message(message('register', 0x02));
    tally.message(message('register', 0x02));
    tally.message(message('register', 0x41));
    tally.message(message(null, 0x45));
    tally.event(event('registration-flood', 'high'));
    tally.frame(100);
    const s = tally.snapshot(null, 3, 102.5, []);
    expect(s.messages).toEqual([['register', '0.02', 2], ['register', '2.01', 1], ['none', '2.05', 1]]);
    expect(s.events).toEqual([['registration-flood', 'high', 1]]);
    expect(s.lagSeconds).toBe(2.5);
    expect(tally.snapshot(null, 0, 102.5, []).lagSeconds).toBe(0);
    // A snapshot is a copy: later counting does not change one already sent.
    tally.message(message('register', 0x02));
    expect(s.messages[0][2]).toBe(2);
  });
});

describe('MetricsEndpoint', () => {
  it('serves the capture counters and the latest snapshot as Prometheus text at /metrics, and nothing else', async () => {
    const stats: LiveStats = { received: 10, receivedBytes: 1234, droppedKernel: 1, droppedInterface: null, droppedPipeline: 2, queued: 4, queuedMax: 9 };
    const endpoint = await MetricsEndpoint.listen({ host: '127.0.0.1', port: 0 }, () => stats);
    try {
      const base = `http://127.0.0.1:${endpoint.port}`;
      const tally = new MetricsTally();
      tally.message(message('notify', 0x45));
      tally.event(event('observe-flood', 'medium'));
      tally.ruleReloads.failed++;
      endpoint.update({ ...tally.snapshot(null, 0, 0, [{ table: 'state.endpoints', bound: 2, evicted: 5 }]), endpoints: { registered: 7 }, observationsOpen: 3 });
      const r = await fetch(`${base}/metrics`);
      expect(r.status).toBe(200);
      expect(r.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
      const text = await r.text();
      for (const line of [
        'coapwatch_packets_received_total 10', 'coapwatch_bytes_received_total 1234',
        'coapwatch_packets_dropped_total{by="kernel"} 1', 'coapwatch_packets_dropped_total{by="coapwatch"} 2',
        'coapwatch_queue_frames 4', 'coapwatch_queue_lag_seconds 0',
        'coapwatch_coap_messages_total{operation="notify",code="2.05"} 1', 'coapwatch_events_total{rule="observe-flood",severity="medium"} 1',
        'coapwatch_endpoints{state="registered"} 7', 'coapwatch_observations_open 3',
        'coapwatch_rule_reloads_total{result="ok"} 0', 'coapwatch_rule_reloads_total{result="failed"} 1',
        'coapwatch_table_evictions_total{table="state.endpoints"} 5',
        '# TYPE coapwatch_packets_received_total counter', '# TYPE coapwatch_endpoints gauge',
      ]) expect(text.split('\n'), line).toContain(line);
      // An interface drop count that cannot be read is left out, not reported as 0.
      expect(text).not.toMatch(/by="interface"/);
      // Counters set from totals: a second scrape reports the same, not twice as much.
      stats.received = 11;
      expect((await (await fetch(`${base}/metrics`)).text()).split('\n')).toContain('coapwatch_packets_received_total 11');
      expect((await fetch(`${base}/`)).status).toBe(404);
      expect((await fetch(`${base}/metrics`, { method: 'POST' })).status).toBe(405);
    } finally {
      endpoint.close();
    }
  });
});
