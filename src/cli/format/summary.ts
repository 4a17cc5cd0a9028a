import { CODE_STRINGS } from '../../coap/index.js';
import type { AnalyzedMessage } from '../../pipeline/index.js';
import { contentFormatName } from '../../lwm2m/payload/index.js';
import { SEVERITIES, type DetectionEvent } from '../../rules/index.js';
import type { OverflowCounters, TableOverflow } from '../../util/bounded-map.js';
import { sanitizeForTerminal } from '../../util/terminal-text.js';

/**
 * Distinct endpoint names the summary counts: a 10^6 fleet fits. Past it, names not yet counted
 * are counted as overflow (`summary.endpoints`), and the count is shown as a lower bound.
 */
export const MAX_SUMMARY_ENDPOINTS = 1 << 20;

/** Counts what `analyze --format summary` reports. */
export class SummaryCollector {
  messages = 0;
  malformed = 0;
  payloadErrors = 0;
  retransmissions = 0;
  firstTs: number | null = null;
  lastTs: number | null = null;
  readonly operations = new Map<string, number>();
  readonly contentFormats = new Map<number, number>();
  readonly codes = new Map<number, number>();
  readonly endpoints = new Set<string>();
  /** Names seen after `endpoints` was full and not in it (a name seen twice then counts twice). */
  private endpointsDropped = 0;
  /**
   * Severity and rule → [severity, rule, events] (an answer can move a rule's event to another
   * severity); and the first events themselves, to show their evidence.
   */
  readonly events = new Map<string, [string, string, number]>();
  readonly firstEvents: DetectionEvent[] = [];

  constructor(counters?: OverflowCounters, private readonly maxEndpoints = MAX_SUMMARY_ENDPOINTS) {
    counters?.register('summary.endpoints', maxEndpoints, () => this.endpointsDropped);
  }

  add(m: AnalyzedMessage): void {
    const e = m.coap;
    this.messages++;
    if (this.firstTs === null) this.firstTs = e.ts;
    this.lastTs = e.ts;
    if (e.msg.error) this.malformed++;
    if (e.match.retransmissionOf !== null) this.retransmissions++;
    bump(this.codes, e.msg.code);
    if (e.msg.contentFormat !== null) bump(this.contentFormats, e.msg.contentFormat);
    const l = m.lwm2m;
    if (l) {
      bump(this.operations, l.operation);
      if (l.endpoint !== null && !this.endpoints.has(l.endpoint)) {
        if (this.endpoints.size < this.maxEndpoints) this.endpoints.add(l.endpoint);
        else this.endpointsDropped++;
      }
      if (l.payloadError) this.payloadErrors++;
    }
  }

  event(e: DetectionEvent): void {
    this.count(e.severity, e.rule, 1);
    if (this.firstEvents.length < 10) this.firstEvents.push(e);
  }

  /** An event's severity changed with its request's answer: it is counted under its new one. */
  eventSeverity(e: DetectionEvent, from: string): void {
    this.count(from, e.rule, -1);
    this.count(e.severity, e.rule, 1);
  }

  private count(severity: string, rule: string, by: number): void {
    const key = `${severity}\u0000${rule}`;
    const seen = this.events.get(key);
    if (seen === undefined) this.events.set(key, [severity, rule, by]);
    else if ((seen[2] += by) === 0) this.events.delete(key);
  }

  /** `overflows`: the run's tables that reached their bound (listed only when there are some). */
  render(source: string, packets: number, extra: Array<[string, number | string]>, overflows: readonly TableOverflow[] = []): string {
    const lines: string[] = [];
    const span = this.firstTs !== null && this.lastTs !== null ? this.lastTs - this.firstTs : 0;
    lines.push(`${sanitizeForTerminal(source)}`);
    lines.push(`  packets read        ${packets}`);
    lines.push(`  CoAP messages       ${this.messages}`);
    lines.push(`  malformed CoAP      ${this.malformed}`);
    lines.push(`  retransmissions     ${this.retransmissions}`);
    lines.push(`  payload errors      ${this.payloadErrors}`);
    for (const [label, value] of extra) lines.push(`  ${label.padEnd(19)} ${value}`);
    lines.push(`  endpoints           ${this.endpointsDropped > 0 ? `at least ${this.endpoints.size}` : this.endpoints.size}`);
    if (this.firstTs !== null && this.lastTs !== null) {
      lines.push(`  time span           ${span.toFixed(3)} s (${new Date(this.firstTs * 1000).toISOString()} to ${new Date(this.lastTs * 1000).toISOString()})`);
    }
    if (overflows.length > 0) {
      lines.push('', 'Tables that reached their bound (oldest entries dropped, or the excess not recorded; see docs/limits.md)');
      lines.push(`  ${'table'.padEnd(30)} ${'bound'.padStart(10)} ${'evicted'.padStart(12)}`);
      for (const o of overflows) lines.push(`  ${o.table.padEnd(30)} ${String(o.bound).padStart(10)} ${String(o.evicted).padStart(12)}`);
    }
    lines.push('', 'LwM2M operations');
    for (const [op, n] of sortedByCount(this.operations)) lines.push(`  ${op.padEnd(30)} ${n}`);
    lines.push('', 'CoAP codes');
    for (const [code, n] of sortedByCount(this.codes)) lines.push(`  ${CODE_STRINGS[code].padEnd(30)} ${n}`);
    lines.push('', 'Content formats');
    for (const [cf, n] of sortedByCount(this.contentFormats)) lines.push(`  ${`${cf} ${contentFormatName(cf)}`.padEnd(30)} ${n}`);
    if (this.events.size > 0) {
      const rank = (sev: string) => -SEVERITIES.indexOf(sev as DetectionEvent['severity']);
      const rules = [...this.events.values()].sort((a, b) => rank(a[0]) - rank(b[0]) || b[2] - a[2]);
      const total = rules.reduce((n, [, , c]) => n + c, 0);
      lines.push('', `Events (${total}; repeats within a rule's suppression window not counted)`);
      for (const [severity, rule, n] of rules) lines.push(`  ${severity.padEnd(9)}${rule.padEnd(40)} ${n}`);
      lines.push('', `First events${this.firstEvents.length === 10 ? ' (10)' : ''}`);
      for (const e of this.firstEvents) lines.push(`  frame ${e.frame ?? '-'}  ${e.severity}  ${sanitizeForTerminal(e.message)}`);
    }
    if (this.endpoints.size > 0) {
      const names = [...this.endpoints].slice(0, 20).map(sanitizeForTerminal);
      lines.push('', `Endpoints${this.endpoints.size > 20 ? ' (first 20)' : ''}`, ...names.map((n) => `  ${n}`));
    }
    return lines.join('\n') + '\n';
  }
}

/** The stderr warning for one table that reached its bound. */
export function overflowWarning(o: TableOverflow): string {
  return `coapwatch: warning: table ${o.table} reached its bound of ${o.bound}: ${o.evicted} entries evicted or not recorded (see docs/limits.md)\n`;
}

function bump<K>(map: Map<K, number>, key: K): void {
  map.set(key, (map.get(key) ?? 0) + 1);
}

function sortedByCount<K>(map: Map<K, number>): Array<[K, number]> {
  return [...map].sort((a, b) => b[1] - a[1]);
}
