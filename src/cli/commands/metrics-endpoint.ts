import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import type { LiveStats } from '../../capture/index.js';
import type { MetricsSnapshot } from './monitor-metrics.js';

/** The main thread's side: prom-client metrics filled from the latest snapshot and the capture's counters at each scrape. */
export class MetricsEndpoint {
  private readonly registry = new Registry();
  private snapshot: MetricsSnapshot | null = null;

  private constructor(private readonly server: Server, capture: () => LiveStats) {
    const registers = [this.registry];
    const stats = capture;
    const snap = () => this.snapshot;
    // Counters are set from totals the capture thread and the decoding thread keep: reset, then the total.
    new Counter({
      name: 'coapwatch_packets_received_total', help: 'Frames libpcap handed to coapwatch', registers,
      collect() { this.reset(); this.inc(stats().received); },
    });
    new Counter({
      name: 'coapwatch_bytes_received_total', help: 'Bytes of those frames as they were on the wire', registers,
      collect() { this.reset(); this.inc(stats().receivedBytes); },
    });
    new Counter({
      name: 'coapwatch_packets_dropped_total', help: 'Frames lost: by the kernel (capture buffer full), the interface, or coapwatch (decoding fell behind, its queue full)',
      labelNames: ['by'], registers,
      collect() {
        this.reset();
        const s = stats();
        if (s.droppedKernel !== null) this.inc({ by: 'kernel' }, s.droppedKernel);
        if (s.droppedInterface !== null) this.inc({ by: 'interface' }, s.droppedInterface);
        this.inc({ by: 'coapwatch' }, s.droppedPipeline);
      },
    });
    new Gauge({
      name: 'coapwatch_queue_frames', help: 'Frames waiting between the capture thread and the decoding thread', registers,
      collect() { this.set(stats().queued); },
    });
    new Gauge({
      name: 'coapwatch_queue_lag_seconds', help: 'How far decoding is behind capture: now minus the capture time of the last frame decoded, while frames wait (0 when none does)', registers,
      collect() { this.set(snap()?.lagSeconds ?? 0); },
    });
    new Counter({
      name: 'coapwatch_coap_messages_total', help: 'CoAP messages decoded, by LwM2M operation ("none": not LwM2M) and CoAP code', labelNames: ['operation', 'code'], registers,
      collect() {
        this.reset();
        for (const [operation, code, n] of snap()?.messages ?? []) this.inc({ operation, code }, n);
      },
    });
    new Counter({
      name: 'coapwatch_events_total', help: 'Detection events raised, by rule and severity', labelNames: ['rule', 'severity'], registers,
      collect() {
        this.reset();
        for (const [rule, severity, n] of snap()?.events ?? []) this.inc({ rule, severity }, n);
      },
    });
    new Gauge({
      name: 'coapwatch_endpoints', help: 'LwM2M endpoints tracked, by registration state', labelNames: ['state'], registers,
      collect() {
        this.reset();
        for (const [state, n] of Object.entries(snap()?.endpoints ?? {})) this.set({ state }, n);
      },
    });
    new Gauge({
      name: 'coapwatch_observations_open', help: 'Observations requested or active, not ended', registers,
      collect() { this.set(snap()?.observationsOpen ?? 0); },
    });
    new Counter({
      name: 'coapwatch_rule_reloads_total', help: 'Rule reloads asked for by signal: done, or failed (the rules in force stayed)', labelNames: ['result'], registers,
      collect() {
        this.reset();
        this.inc({ result: 'ok' }, snap()?.ruleReloads.ok ?? 0);
        this.inc({ result: 'failed' }, snap()?.ruleReloads.failed ?? 0);
      },
    });
    new Counter({
      name: 'coapwatch_table_evictions_total', help: 'Entries dropped from bounded tables that were full (docs/limits.md), by table', labelNames: ['table'], registers,
      collect() {
        this.reset();
        for (const o of snap()?.evictions ?? []) this.inc({ table: o.table }, o.evicted);
      },
    });
    // Process-wide figures (CPU, memory, file descriptors); nodejs_* describe the main thread.
    collectDefaultMetrics({ register: this.registry });
  }

  /** Listens on `address`; rejects with one line when it cannot (address in use, not an address of this host). */
  static async listen(address: { host: string; port: number }, capture: () => LiveStats): Promise<MetricsEndpoint> {
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err: NodeJS.ErrnoException) => {
        const why = err.code === 'EADDRINUSE' ? 'address in use' : err.code === 'EADDRNOTAVAIL' ? 'not an address of this host'
          : err.code === 'ENOTFOUND' ? 'no such host' : err.code === 'EACCES' ? 'permission denied' : (err.code ?? err.message);
        reject(new Error(`--metrics ${address.host.includes(':') ? `[${address.host}]` : address.host}:${address.port}: cannot listen: ${why}`));
      });
      server.listen(address.port, address.host, () => resolve());
    });
    const endpoint = new MetricsEndpoint(server, capture);
    server.on('request', (req, res) => void endpoint.answer(req.method ?? '', req.url ?? '', res));
    return endpoint;
  }

  /** The port listened on (the kernel's pick when asked for 0). */
  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  update(snapshot: MetricsSnapshot): void {
    this.snapshot = snapshot;
  }

  close(): void {
    this.server.close();
    this.server.closeAllConnections();
  }

  private async answer(method: string, url: string, res: ServerResponse): Promise<void> {
    if (url.split('?')[0] !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('coapwatch serves /metrics only\n');
      return;
    }
    if (method !== 'GET' && method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' }).end('GET /metrics\n');
      return;
    }
    try {
      const body = await this.registry.metrics();
      res.writeHead(200, { 'content-type': this.registry.contentType }).end(method === 'HEAD' ? undefined : body);
    } catch (err) {
      res.writeHead(500, { 'content-type': 'text/plain' }).end(`${err instanceof Error ? err.message : String(err)}\n`);
    }
  }
}
