import { InvalidArgumentError } from 'commander';
import { CODE_STRINGS } from '../../coap/index.js';
import type { AnalyzedMessage } from '../../pipeline/index.js';
import type { DetectionEvent } from '../../rules/index.js';
import type { StateTracker } from '../../state/index.js';
import type { TableOverflow } from '../../util/bounded-map.js';

/*
 * `monitor --metrics HOST:PORT`: Prometheus text at /metrics. The decoding thread counts
 * (MetricsTally) and sends a snapshot every SNAPSHOT_MS through the worker's message port; the
 * main thread, where the capture counters live, serves the latest snapshot (MetricsEndpoint in
 * metrics-endpoint.ts, loaded only with --metrics).
 * Labels are bounded sets only: LwM2M operation, CoAP code (256 at most), rule id (those loaded),
 * severity, endpoint state, table name; never an endpoint name or an address.
 */

/** How often the decoding thread sends its counters: a scrape sees them at most this old. */
export const SNAPSHOT_MS = 1_000;

/** What the decoding thread knows and the main thread serves. */
export interface MetricsSnapshot {
  /** Per [operation, code]: CoAP messages (operation "none" for CoAP that is not LwM2M). */
  messages: Array<[string, string, number]>;
  /** Per [rule, severity]: events raised (not their repeats within a rule's suppression). */
  events: Array<[string, string, number]>;
  endpoints: Record<string, number>;
  observationsOpen: number;
  /** Wall-clock seconds minus the capture time of the last frame decoded, while frames wait; 0 when none does. */
  lagSeconds: number;
  ruleReloads: { ok: number; failed: number };
  evictions: TableOverflow[];
}

/** Counts in the decoding thread: one map update per message or event, a snapshot now and then. */
export class MetricsTally {
  private readonly messages = new Map<string, [string, string, number]>();
  private readonly events = new Map<string, [string, string, number]>();
  private lastFrameTs = 0;
  readonly ruleReloads = { ok: 0, failed: 0 };

  message(m: AnalyzedMessage): void {
    const operation = m.lwm2m?.operation ?? 'none';
    const code = CODE_STRINGS[m.coap.msg.code];
    const k = `${operation} ${code}`;
    const entry = this.messages.get(k);
    if (entry) entry[2]++;
    else this.messages.set(k, [operation, code, 1]);
  }

  event(e: DetectionEvent): void {
    const k = `${e.rule} ${e.severity}`;
    const entry = this.events.get(k);
    if (entry) entry[2]++;
    else this.events.set(k, [e.rule, e.severity, 1]);
  }

  /** A frame reached decoding: its capture time (seconds). */
  frame(ts: number): void {
    this.lastFrameTs = ts;
  }

  snapshot(tracker: StateTracker | null, queued: number, nowSeconds: number, evictions: TableOverflow[]): MetricsSnapshot {
    return {
      messages: [...this.messages.values()].map((e) => [...e]),
      events: [...this.events.values()].map((e) => [...e]),
      endpoints: { ...(tracker?.registrations.countsByState() ?? {}) },
      observationsOpen: tracker?.observations.open ?? 0,
      lagSeconds: queued > 0 && this.lastFrameTs > 0 ? Math.max(0, nowSeconds - this.lastFrameTs) : 0,
      ruleReloads: { ...this.ruleReloads },
      evictions,
    };
  }
}

/** `--metrics HOST:PORT` (an IPv6 host in brackets: [::1]:9464). */
export function metricsAddress(value: string): { host: string; port: number } {
  const match = /^(?:\[([0-9A-Fa-f:.]+)\]|([^:[\]\s]+)):(\d{1,5})$/.exec(value);
  const port = match ? Number(match[3]) : 0;
  if (!match || port < 1 || port > 65535) throw new InvalidArgumentError(`"${value}" is not HOST:PORT (e.g. 127.0.0.1:9464 or [::1]:9464)`);
  return { host: match[1] ?? match[2], port };
}
