import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AnalyzedMessage } from '../../../src/pipeline/index.js';
import { loadRules, RuleEngine, type DeclaredServers, type DetectionEvent, type EventOutcome, type Rule, type RuleTableBounds } from '../../../src/rules/index.js';
import type { OverflowCounters } from '../../../src/util/bounded-map.js';
import { StateTracker } from '../../../src/state/index.js';
import { CoapFlow, type MessageSpec } from '../../support/coap-flow.js';
import { withSids } from '../../support/rule-text.js';

/** Rules from YAML text, through the real loader (written to a temporary file). */
export function rulesFrom(yaml: string): Rule[] {
  const dir = mkdtempSync(join(tmpdir(), 'coapwatch-rules-'));
  const file = join(dir, 'rules.yaml');
  writeFileSync(file, withSids(yaml));
  const loaded = loadRules([file]);
  if (loaded.problems.length > 0) throw new Error(loaded.problems.map((p) => `${p.line}: ${p.message}`).join('\n'));
  return loaded.rules;
}

/** A CoAP flow through the real stages, the state tracker and a rule engine, in the session's order. */
export class RuleHarness {
  readonly flow = new CoapFlow();
  readonly events: DetectionEvent[] = [];
  readonly repeats: DetectionEvent[] = [];
  /** Events whose suppression window closed with matches folded in (count final). */
  readonly closed: DetectionEvent[] = [];
  /** Answers as reported: the event (its id), the answer, whether a folded match's. */
  readonly outcomes: Array<{ event: number; outcome: EventOutcome; repeat: boolean; severity: string }> = [];
  readonly tracker: StateTracker;
  readonly engine: RuleEngine;

  constructor(rules: Rule[], counters?: OverflowCounters, bounds?: Partial<RuleTableBounds>, servers?: DeclaredServers) {
    this.tracker = new StateTracker({ endpointChanged: (c) => this.engine.endpointChanged(c) });
    this.engine = new RuleEngine(rules, this.tracker, {
      event: (e) => this.events.push(e), eventRepeated: (e) => this.repeats.push(e), eventRepeats: (e) => this.closed.push(e),
      eventOutcome: (e, outcome, repeat) => this.outcomes.push({ event: e.id, outcome: { ...outcome }, repeat, severity: e.severity }),
    }, counters, bounds, servers);
  }

  send(src: string, dst: string, spec: MessageSpec): AnalyzedMessage {
    const m = this.flow.send(src, dst, spec);
    this.tracker.tick(m.coap.ts);
    this.engine.message(m);
    this.tracker.apply(m);
    return m;
  }

  /** A client registering (and the server's 2.01), so the state knows the endpoint and its server. */
  register(client: string, server: string, ep: string, ts: number, query: string[] = ['lt=300', 'lwm2m=1.1', 'b=U']): void {
    this.send(client, server, { code: 'POST', path: '/rd', query: [`ep=${ep}`, ...query], token: 'aa01', mid: 1, ts, payload: '</3/0>' });
    this.send(server, client, { code: '2.01', type: 'ACK', token: 'aa01', mid: 1, ts: ts + 0.01, options: [['Location-Path', Buffer.from('rd')], ['Location-Path', Buffer.from('5')]] });
  }
}

export const CLIENT = '10.1.0.1:56830';
export const SERVER = '10.0.0.1:5683';
export const STRANGER = '203.0.113.9:5683';
