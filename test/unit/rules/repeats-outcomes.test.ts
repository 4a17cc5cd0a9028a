import { describe, expect, it } from 'vitest';
import { CLIENT, RuleHarness, rulesFrom, SERVER, STRANGER } from './support.js';

const HEADER = `title: t
severity: high
description: d
`;
const OTHER = '198.51.100.7:40000';

/** An Execute of /3/0/4 from `src` to the client, with its own message ID (the answer's key). */
function execute(h: RuleHarness, src: string, ts: number, mid: number) {
  return h.send(src, CLIENT, { code: 'POST', path: '/3/0/4', token: mid.toString(16).padStart(4, '0'), mid, ts });
}

/** The client's piggybacked answer to the request with message ID `mid`. */
function answer(h: RuleHarness, to: string, code: string, ts: number, mid: number) {
  return h.send(CLIENT, to, { code, type: 'ACK', token: mid.toString(16).padStart(4, '0'), mid, ts });
}

describe('suppression (the rule\'s suppress:)', () => {
  const rule = (suppress: string) => rulesFrom(`id: exec
${HEADER}operations: [execute]
when: m.isRequest
${suppress}
`);

  it('by default folds repeats from one source to one destination for 60 s, and a repeat from another source is a new event', () => {
    const h = new RuleHarness(rule(''));
    h.register(CLIENT, SERVER, 'meter-1', 100);
    execute(h, STRANGER, 110, 1);
    execute(h, STRANGER, 120, 2);
    execute(h, OTHER, 125, 3);
    execute(h, STRANGER, 130, 4);
    expect(h.events.map((e) => [e.id, e.src, e.count, e.lastTs])).toEqual([[1, STRANGER, 3, 130], [2, OTHER, 1, 125]]);
    // The window of event 1 is still open: its count is not final yet.
    expect(h.closed).toEqual([]);
    // Time passes the window's end (110 + 60 s): event 1's count is reported once; event 2 folded nothing.
    h.engine.tick(171);
    expect(h.closed.map((e) => [e.id, e.count])).toEqual([[1, 3]]);
    h.engine.finish();
    expect(h.closed.map((e) => e.id)).toEqual([1]);
  });

  it('reports an open window\'s count at the end of the input, in the order the events were raised', () => {
    const h = new RuleHarness(rule('suppress: 1h'));
    h.register(CLIENT, SERVER, 'meter-1', 100);
    for (const [i, src] of [OTHER, STRANGER, OTHER, STRANGER, STRANGER].entries()) execute(h, src, 110 + i, 10 + i);
    expect(h.closed).toEqual([]);
    h.engine.finish();
    expect(h.closed.map((e) => [e.id, e.src, e.count])).toEqual([[1, OTHER, 2], [2, STRANGER, 3]]);
  });

  it('track: endpoint folds every source; track: rule folds every endpoint', () => {
    const byEndpoint = new RuleHarness(rule('suppress: { track: endpoint }'));
    byEndpoint.register(CLIENT, SERVER, 'meter-1', 100);
    execute(byEndpoint, STRANGER, 110, 1);
    execute(byEndpoint, OTHER, 111, 2);
    expect(byEndpoint.events.map((e) => e.count)).toEqual([2]);
    const byRule = new RuleHarness(rule('suppress: { track: rule }'));
    byRule.register(CLIENT, SERVER, 'meter-1', 100);
    byRule.register('10.1.0.2:56830', SERVER, 'meter-2', 100);
    execute(byRule, STRANGER, 110, 1);
    byRule.send(OTHER, '10.1.0.2:56830', { code: 'POST', path: '/3/0/4', token: '02', mid: 2, ts: 111 });
    expect(byRule.events.map((e) => [e.endpoint, e.count])).toEqual([['meter-1', 2]]);
  });

  it('type limit with count 2: the first two matches are events, later ones fold into the second', () => {
    const h = new RuleHarness(rule('suppress: { type: limit, track: src, count: 2, seconds: 30 }'));
    h.register(CLIENT, SERVER, 'meter-1', 100);
    for (let i = 0; i < 5; i++) execute(h, STRANGER, 110 + i, 20 + i);
    execute(h, STRANGER, 140, 30); // 30 s after the window opened: a new window
    expect(h.events.map((e) => [e.ts, e.count])).toEqual([[110, 1], [111, 4], [140, 1]]);
    expect(h.closed.map((e) => e.id)).toEqual([2]);
  });

  it('type threshold: every count-th match within the window is an event standing for count matches', () => {
    const h = new RuleHarness(rule('suppress: { type: threshold, track: src, count: 3, seconds: 60 }'));
    h.register(CLIENT, SERVER, 'meter-1', 100);
    for (let i = 0; i < 7; i++) execute(h, STRANGER, 110 + i, 40 + i);
    expect(h.events.map((e) => [e.ts, e.count])).toEqual([[112, 3], [115, 3]]);
    h.engine.finish();
    expect(h.closed).toEqual([]);
  });

  it('type both: one event when count matches are reached, later ones fold into it', () => {
    const h = new RuleHarness(rule('suppress: { type: both, track: src, count: 3, seconds: 60 }'));
    h.register(CLIENT, SERVER, 'meter-1', 100);
    for (let i = 0; i < 6; i++) execute(h, STRANGER, 110 + i, 50 + i);
    expect(h.events.map((e) => [e.ts, e.count, e.lastTs])).toEqual([[112, 6, 115]]);
  });

  it('suppress: 0 makes every match an event', () => {
    const h = new RuleHarness(rule('suppress: 0'));
    h.register(CLIENT, SERVER, 'meter-1', 100);
    execute(h, STRANGER, 110, 1);
    execute(h, STRANGER, 110, 2);
    expect(h.events.map((e) => e.count)).toEqual([1, 1]);
  });
});

describe('outcomes (the answer to the request an event was raised on)', () => {
  const rules = (extra = '') => rulesFrom(`id: exec
${HEADER}operations: [execute]
when: m.isRequest
outcome: { success: critical, refused: low }
${extra}
---
id: registered
title: t
severity: info
description: d
on: endpoint
when: change.to == "registered"
`);

  it('a refusal (4.01) is the event\'s outcome, with its code and frame, and lowers its severity as the rule says', () => {
    const h = new RuleHarness(rules());
    h.register(CLIENT, SERVER, 'meter-1', 100);
    const req = execute(h, STRANGER, 110, 7);
    const event = h.events.find((e) => e.rule === 'exec')!;
    expect(event).toMatchObject({ outcome: 'pending', severity: 'high' });
    const resp = answer(h, STRANGER, '4.01', 110.5, 7);
    expect(event).toMatchObject({ severity: 'low', outcome: { outcome: 'refused', code: '4.01', frame: resp.coap.frame, ts: 110.5, request: req.coap.frame } });
    expect(h.outcomes).toEqual([{ event: event.id, outcome: event.outcome, repeat: false, severity: 'low' }]);
    // An event not raised on a request (an endpoint change) has nothing to wait for.
    expect(h.events.find((e) => e.rule === 'registered')!.outcome).toBeNull();
  });

  it('a success after an empty ACK (a separate response) is the outcome; the empty ACK is not', () => {
    const h = new RuleHarness(rules());
    h.register(CLIENT, SERVER, 'meter-1', 100);
    execute(h, STRANGER, 110, 8);
    h.send(CLIENT, STRANGER, { code: '0.00', type: 'ACK', mid: 8, ts: 110.1 });
    expect(h.outcomes).toEqual([]);
    const resp = h.send(CLIENT, STRANGER, { code: '2.04', type: 'CON', token: '0008', mid: 500, ts: 111 });
    expect(h.outcomes.map((o) => [o.outcome.outcome, o.outcome.code, o.outcome.frame, o.severity])).toEqual([['success', '2.04', resp.coap.frame, 'critical']]);
  });

  it('an RST is a refusal, a 5.xx an error (the rule\'s own severity when its outcome: names none)', () => {
    const h = new RuleHarness(rules('suppress: 0'));
    h.register(CLIENT, SERVER, 'meter-1', 100);
    execute(h, STRANGER, 110, 9);
    h.send(CLIENT, STRANGER, { code: '0.00', type: 'RST', mid: 9, ts: 110.2 });
    execute(h, STRANGER, 111, 10);
    answer(h, STRANGER, '5.00', 111.2, 10);
    expect(h.outcomes.map((o) => [o.outcome.outcome, o.outcome.code, o.severity])).toEqual([['refused', 'RST', 'low'], ['error', '5.00', 'high']]);
  });

  it('no answer within the exchange lifetime (247 s), or by the end of the input, is "no-answer"', () => {
    const h = new RuleHarness(rules('suppress: 0'));
    h.register(CLIENT, SERVER, 'meter-1', 100);
    const first = execute(h, STRANGER, 110, 11);
    h.engine.tick(356);
    expect(h.outcomes).toEqual([]);
    h.engine.tick(357);
    expect(h.outcomes).toEqual([{ event: 2, outcome: { outcome: 'no-answer', code: null, frame: null, ts: 357, request: first.coap.frame }, repeat: false, severity: 'high' }]);
    // A late answer finds nothing waiting.
    answer(h, STRANGER, '2.04', 400, 11);
    expect(h.outcomes).toHaveLength(1);
    const second = execute(h, STRANGER, 500, 12);
    h.engine.finish();
    expect(h.outcomes[1]).toMatchObject({ outcome: { outcome: 'no-answer', ts: 500, request: second.coap.frame } });
  });

  it('a success folded among refusals is not hidden: the event takes its outcome and severity', () => {
    const h = new RuleHarness(rules());
    h.register(CLIENT, SERVER, 'meter-1', 100);
    execute(h, STRANGER, 110, 20);
    answer(h, STRANGER, '4.01', 110.1, 20);
    execute(h, STRANGER, 111, 21);
    answer(h, STRANGER, '4.01', 111.1, 21); // folded, answered as the event was: nothing to report
    const third = execute(h, STRANGER, 112, 22);
    const ok = answer(h, STRANGER, '2.04', 112.1, 22);
    const event = h.events.find((e) => e.rule === 'exec')!;
    expect(event.count).toBe(3);
    expect(h.outcomes.map((o) => [o.outcome.outcome, o.repeat, o.severity])).toEqual([['refused', false, 'low'], ['success', true, 'critical']]);
    expect(event).toMatchObject({ severity: 'critical', outcome: { outcome: 'success', code: '2.04', frame: ok.coap.frame, request: third.coap.frame } });
  });

  it('two events on one request both learn its answer', () => {
    const h = new RuleHarness(rulesFrom(`id: a
${HEADER}operations: [execute]
when: m.isRequest
---
id: b
${HEADER}operations: [execute]
when: m.isRequest
`));
    h.register(CLIENT, SERVER, 'meter-1', 100);
    execute(h, STRANGER, 110, 30);
    answer(h, STRANGER, '2.04', 110.1, 30);
    expect(h.outcomes.map((o) => [o.event, o.outcome.code])).toEqual([[1, '2.04'], [2, '2.04']]);
  });
});

describe('outcomes of an event not raised on a request', () => {
  it('stay null when requests fold into it', () => {
    const h = new RuleHarness(rulesFrom(`id: any
${HEADER}when: m.src == "${STRANGER}"
`));
    h.register(CLIENT, SERVER, 'meter-1', 100);
    // A response from the stranger raises the event; its later request folds into it.
    h.send(STRANGER, CLIENT, { code: '2.05', type: 'NON', token: '99', mid: 90, ts: 110 });
    h.send(STRANGER, CLIENT, { code: 'POST', path: '/3/0/4', token: '98', mid: 91, ts: 111 });
    answer(h, STRANGER, '2.04', 111.1, 91);
    h.engine.finish();
    expect(h.events.map((e) => [e.rule, e.count, e.outcome])).toEqual([['any', 2, null]]);
    expect(h.outcomes).toEqual([]);
  });
});
