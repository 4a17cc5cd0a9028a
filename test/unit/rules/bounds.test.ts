import { describe, expect, it } from 'vitest';
import { DeadlineWheel, type Deadline } from '../../../src/rules/deadlines.js';
import { RULE_TABLE_BOUNDS, RULE_TABLES } from '../../../src/rules/index.js';
import { OverflowCounters } from '../../../src/util/bounded-map.js';
import { RuleHarness, rulesFrom, SERVER } from './support.js';

const HEADER = `title: t
severity: high
description: d
`;

/** A Register from `src` (its own endpoint name) at `ts`. */
const register = (h: RuleHarness, src: string, ts: number, query: string[] = []) =>
  h.send(src, SERVER, { code: 'POST', path: '/rd', query: [`ep=e-${src}`, ...query], token: 'bb', ts });

/** A threshold rule: `count` Registers from one host within 100 s. */
const floodRule = (count: number) => rulesFrom(`id: flood
sid: 1
${HEADER}operations: [register]
kind: threshold
when: m.isRequest
threshold: { count: ${count}, within: 100, by: m.srcHost }
suppress: 0
`);

describe('rule tables at their bounds', () => {
  it('threshold windows: the least recently matched key goes first, is counted, and the others still fire', () => {
    const counters = new OverflowCounters();
    const h = new RuleHarness(floodRule(3), counters, { keysPerRule: 2 });
    register(h, '10.0.0.11:1', 1); // A: 1
    register(h, '10.0.0.12:1', 2); // B: 1
    register(h, '10.0.0.11:1', 3); // A: 2, now more recent than B
    register(h, '10.0.0.13:1', 4); // C: a third key, B goes
    expect(counters.overflows()).toEqual([{ table: RULE_TABLES.windows, bound: 2, evicted: 1 }]);
    register(h, '10.0.0.12:1', 5); // B starts again at 1 (A goes, the least recent now)
    register(h, '10.0.0.12:1', 6); // B: 2
    expect(h.events).toEqual([]);
    register(h, '10.0.0.12:1', 7); // B: 3
    expect(h.events.map((e) => [e.ts, e.details.key])).toEqual([[7, '10.0.0.12']]);
    expect(counters.overflows()).toEqual([{ table: RULE_TABLES.windows, bound: 2, evicted: 2 }]);
  });

  it('threshold windows: a key whose match times have all left the window is dropped, not counted as overflow', () => {
    const counters = new OverflowCounters();
    const h = new RuleHarness(floodRule(2), counters, { keysPerRule: 2 });
    register(h, '10.0.0.11:1', 1); // A: 1
    register(h, '10.0.0.12:1', 2); // B: 1
    register(h, '10.0.0.13:1', 150); // C: A and B are out of their window: they go, uncounted
    register(h, '10.0.0.14:1', 160); // D
    expect(counters.overflows()).toEqual([]);
    register(h, '10.0.0.11:1', 170); // A again: C and D are in their window, so C is evicted, counted
    expect(counters.overflows()).toEqual([{ table: RULE_TABLES.windows, bound: 2, evicted: 1 }]);
    register(h, '10.0.0.14:1', 180); // D: 2 within 100 s
    expect(h.events.map((e) => [e.ts, e.details.key])).toEqual([[180, '10.0.0.14']]);
  });

  it('threshold windows: a key whose match times have all left the window goes as capture time passes, without another match of the rule', () => {
    const h = new RuleHarness(floodRule(2));
    register(h, '10.0.0.11:1', 1); // A: 1
    register(h, '10.0.0.12:1', 50); // B: 1
    expect(h.engine.keysHeld('windows')).toBe(2);
    // Traffic the rule does not look at (no register): only time passes.
    h.send('10.0.0.15:1', SERVER, { code: 'GET', path: '/x', token: 'cc', ts: 120 });
    expect(h.engine.keysHeld('windows')).toBe(1); // A's only match is 119 s back; B's 70 s
    h.send('10.0.0.15:1', SERVER, { code: 'GET', path: '/x', token: 'cd', ts: 151 });
    expect(h.engine.keysHeld('windows')).toBe(0);
    // A key that matches again starts afresh: one match is no event.
    register(h, '10.0.0.12:1', 152);
    expect(h.events).toEqual([]);
  });

  it('absence deadlines: an evicted key never fires, the keys kept do, on time', () => {
    const counters = new OverflowCounters();
    const h = new RuleHarness(rulesFrom(`id: silent
sid: 2
${HEADER}operations: [register]
kind: absence
when: m.isRequest
absence: { within: 50, by: m.srcHost }
suppress: 0
`), counters, { keysPerRule: 2 });
    register(h, '10.0.0.11:1', 1); // A due at 51
    register(h, '10.0.0.12:1', 2); // B due at 52
    register(h, '10.0.0.11:1', 3); // A re-armed: due at 53, more recent than B
    register(h, '10.0.0.13:1', 4); // C due at 54: B goes
    register(h, '10.0.0.14:1', 5); // D due at 55: A goes
    h.send('10.0.0.15:1', SERVER, { code: 'GET', path: '/x', token: 'cc', ts: 100 }); // time passes
    expect(h.events.map((e) => [e.ts, e.src])).toEqual([[54, '10.0.0.13:1'], [55, '10.0.0.14:1']]);
    expect(counters.overflows()).toEqual([{ table: RULE_TABLES.armed, bound: 2, evicted: 2 }]);
  });

  it('sequence progress: an evicted key starts over, the others complete', () => {
    const counters = new OverflowCounters();
    const h = new RuleHarness(rulesFrom(`id: two-step
sid: 3
${HEADER}operations: [register]
kind: sequence
sequence: { steps: ['m.q.step == "1"', 'm.q.step == "2"'], within: 100, by: m.srcHost }
suppress: 0
`), counters, { keysPerRule: 1 });
    register(h, '10.0.0.11:1', 1, ['step=1']);
    register(h, '10.0.0.12:1', 2, ['step=1']); // A's progress goes
    register(h, '10.0.0.11:1', 3, ['step=2']); // A starts over: no event (and B's progress goes)
    register(h, '10.0.0.11:1', 4, ['step=1']);
    register(h, '10.0.0.11:1', 5, ['step=2']);
    expect(h.events.map((e) => [e.ts, e.src])).toEqual([[5, '10.0.0.11:1']]);
    expect(counters.overflows()).toEqual([{ table: RULE_TABLES.progress, bound: 1, evicted: 2 }]);
  });

  it('suppressed events: an evicted event no longer collapses repeats, and is counted', () => {
    const counters = new OverflowCounters();
    const h = new RuleHarness(rulesFrom(`id: any-register
sid: 4
${HEADER}operations: [register]
when: m.isRequest
suppress: 1000
`), counters, { suppressed: 1 });
    register(h, '10.0.0.11:1', 1);
    register(h, '10.0.0.11:1', 2); // collapsed into the first
    register(h, '10.0.0.12:1', 3); // another endpoint: the first's suppression goes
    register(h, '10.0.0.11:1', 4); // reported again
    expect(h.events.map((e) => [e.ts, e.count])).toEqual([[1, 2], [3, 1], [4, 1]]);
    expect(counters.overflows()).toEqual([{ table: RULE_TABLES.suppressed, bound: 1, evicted: 2 }]);
  });

  it('registers every table with the run\'s counters, with the documented bounds', () => {
    const names: Array<[string, number]> = [];
    const counters = new OverflowCounters();
    const register = counters.register.bind(counters);
    counters.register = (table, bound, evictions) => (names.push([table, bound]), register(table, bound, evictions));
    new RuleHarness(rulesFrom(`id: r\nsid: 5\n${HEADER}when: m.isRequest\n`), counters);
    expect(new Map(names)).toEqual(new Map<string, number>([
      [RULE_TABLES.suppressed, RULE_TABLE_BOUNDS.suppressed],
      [RULE_TABLES.awaitedAnswers, RULE_TABLE_BOUNDS.awaitedAnswers],
      [RULE_TABLES.dtlsHosts, RULE_TABLE_BOUNDS.dtlsHosts],
      [RULE_TABLES.endpointServers, RULE_TABLE_BOUNDS.endpointServers],
      [RULE_TABLES.serversPerEndpoint, RULE_TABLE_BOUNDS.serversPerEndpoint],
      [RULE_TABLES.supersededSockets, RULE_TABLE_BOUNDS.supersededSockets],
      [RULE_TABLES.windows, RULE_TABLE_BOUNDS.keysPerRule],
      [RULE_TABLES.armed, RULE_TABLE_BOUNDS.keysPerRule],
      [RULE_TABLES.progress, RULE_TABLE_BOUNDS.keysPerRule],
    ]));
    expect(RULE_TABLE_BOUNDS.keysPerRule).toBeGreaterThanOrEqual(1_000_000); // one key per meter of a utility's fleet
  });

  it('endpoint servers: a forgotten endpoint\'s peer is unknown (null), not a stranger', () => {
    const counters = new OverflowCounters();
    const h = new RuleHarness(rulesFrom(`id: stranger
sid: 6
${HEADER}operations: [read]
when: m.isRequest && m.peerIsServer == false
`), counters, { endpointServers: 1 });
    h.register('10.1.0.1:5000', SERVER, 'meter-1', 0);
    h.register('10.1.0.2:5000', SERVER, 'meter-2', 1); // meter-1's servers go
    h.send('203.0.113.9:5683', '10.1.0.1:5000', { code: 'GET', path: '/3/0', token: 'c1', ts: 2 });
    h.send('203.0.113.9:5683', '10.1.0.2:5000', { code: 'GET', path: '/3/0', token: 'c2', ts: 3 });
    expect(h.events.map((e) => e.endpoint)).toEqual(['meter-2']);
    expect(counters.overflows()).toEqual([{ table: RULE_TABLES.endpointServers, bound: 1, evicted: 1 }]);
  });
});

describe('DeadlineWheel', () => {
  const entry = (deadline: number): Deadline & { id: number } => ({ deadline, slot: 0, id: deadline });

  it('gives the deadlines that passed by deadline, refiling those moved on, and skipping those moved earlier or dropped', () => {
    const wheel = new DeadlineWheel<Deadline & { id: number }>();
    const [a, b, c, d] = [entry(10.5), entry(10.2), entry(12), entry(30)];
    for (const e of [a, b, c, d]) wheel.add(e);
    c.deadline = 40; // moved later: stays filed at 12 until then
    wheel.moved(c);
    d.deadline = 11; // moved earlier: filed again at 11
    wheel.moved(d);
    const live = new Set([a, b, c, d]);
    expect(wheel.due(9.9, (e) => live.has(e))).toEqual([]);
    expect(wheel.due(11.5, (e) => live.has(e)).map((e) => e.deadline)).toEqual([10.2, 10.5, 11]);
    live.delete(c);
    expect(wheel.due(100, (e) => live.has(e))).toEqual([]); // c dropped; d's copy at 30 left behind
    expect(wheel.size).toBe(0);
  });

  it('keeps a deadline later in the second that now is in, and gives it once that time passes', () => {
    const wheel = new DeadlineWheel<Deadline & { id: number }>();
    const early = entry(20.2);
    const late = entry(20.7);
    wheel.add(early);
    wheel.add(late);
    const live = () => true;
    expect(wheel.due(20.5, live)).toEqual([early]);
    expect(wheel.size).toBe(1);
    expect(wheel.due(20.6, live)).toEqual([]);
    expect(wheel.due(20.7, live)).toEqual([late]);
    expect(wheel.size).toBe(0);
  });

  it('keeps left-behind copies to at most twice the live entries (plus a constant)', () => {
    const wheel = new DeadlineWheel<Deadline & { id: number }>();
    const live = [entry(5000)];
    wheel.add(live[0]);
    for (let i = 0; i < 5000; i++) {
      live[0].deadline -= 0.5; // moved earlier each time: one more copy
      wheel.moved(live[0]);
      wheel.compact(() => live, live.length);
    }
    expect(wheel.size).toBeLessThanOrEqual(2 * live.length + 1025);
    expect(wheel.due(10_000, () => true).map((e) => e.deadline)).toEqual([2500]);
  });
});
