import { describe, expect, it } from 'vitest';
import { uint } from '../../support/coap-flow.js';
import { CLIENT, RuleHarness, rulesFrom, SERVER, STRANGER } from './support.js';

const HEADER = `title: t
severity: high
description: d
`;

describe('RuleEngine', () => {
  it('fires a match rule with the rule, endpoint, packet and evidence', () => {
    const h = new RuleHarness(rulesFrom(`id: sec-write
sid: 1
${HEADER}operations: [write]
when: m.isRequest && m.path.startsWith("/0")
message: "{{m.operation}} {{m.path}} from {{m.src}}"
details: { path: m.path, n: "1 + 1" }
`));
    h.register(CLIENT, SERVER, 'meter-1', 100);
    h.send(SERVER, CLIENT, { code: 'GET', path: '/0/0', token: '01', ts: 110 });
    expect(h.events).toEqual([]);
    const w = h.send(SERVER, CLIENT, { code: 'PUT', path: '/0/0/0', token: '02', ts: 120, payload: 'coap://x', options: [['Content-Format', Buffer.from([0])]] });
    expect(h.events).toEqual([{
      id: 1, outcome: 'pending', ts: 120, rule: 'sec-write', severity: 'high', endpoint: 'meter-1', src: SERVER, dst: CLIENT, frame: w.coap.frame,
      message: `write /0/0/0 from ${SERVER}`, details: { path: '/0/0/0', n: 2 }, count: 1, lastTs: 120,
    }]);
  });

  it('m.requestSize is the size of the request a response answers; null for an answer to a confirmable response', () => {
    const h = new RuleHarness(rulesFrom(`id: sizes
sid: 9
${HEADER}operations: [read, notify]
when: m.isResponse || m.role == "ack"
details: { request: m.requestSize, size: m.size, role: m.role }
suppress: 0
`));
    h.register(CLIENT, SERVER, 'meter-1', 100);
    const get = h.send(SERVER, CLIENT, { code: 'GET', path: '/3/0', token: '0a', mid: 7, ts: 110 });
    // Other requests in between do not make the first one's size unknown.
    for (let i = 0; i < 5; i++) h.send(SERVER, CLIENT, { code: 'GET', path: '/3/0/1', token: `1${i}`, ts: 111 + i });
    const answer = h.send(CLIENT, SERVER, { code: '2.05', type: 'ACK', token: '0a', mid: 7, ts: 120, payload: 'x'.repeat(40) });
    expect(h.events.map((e) => e.details)).toEqual([{ request: get.coap.size, size: answer.coap.size, role: 'response' }]);
    h.send(SERVER, CLIENT, { code: 'GET', path: '/3/0/9', token: '0b', mid: 8, ts: 130, options: [['Observe', Buffer.alloc(0)]] });
    h.send(CLIENT, SERVER, { code: '2.05', type: 'ACK', token: '0b', mid: 8, ts: 131, options: [['Observe', Buffer.from([1])]], payload: '50' });
    h.send(CLIENT, SERVER, { code: '2.05', type: 'CON', token: '0b', mid: 9, ts: 140, options: [['Observe', Buffer.from([2])]], payload: '51' });
    h.events.length = 0;
    h.send(SERVER, CLIENT, { code: '0.00', type: 'ACK', mid: 9, ts: 141 }); // the server's ACK of the CON notification
    expect(h.events.map((e) => e.details)).toEqual([{ request: null, size: 4, role: 'ack' }]);
  });

  it('collapses identical events within the suppression window into one with a count', () => {
    const rule = (suppress: number) => rulesFrom(`id: exec
sid: 2
${HEADER}operations: [execute]
when: m.isRequest
suppress: ${suppress}
`);
    const h = new RuleHarness(rule(60));
    h.register(CLIENT, SERVER, 'meter-1', 100);
    for (const ts of [110, 120, 165, 200]) h.send(SERVER, CLIENT, { code: 'POST', path: '/3/0/4', token: String(ts), ts });
    // 110 opens the window; 120 and 165 fall in it; 200 is more than 60 s after 110.
    expect(h.events.map((e) => [e.ts, e.count, e.lastTs])).toEqual([[110, 3, 165], [200, 1, 200]]);
    expect(h.repeats).toHaveLength(2);

    const every = new RuleHarness(rule(0));
    every.register(CLIENT, SERVER, 'meter-1', 100);
    for (const ts of [110, 120]) every.send(SERVER, CLIENT, { code: 'POST', path: '/3/0/4', token: String(ts), ts });
    expect(every.events).toHaveLength(2);
  });

  it('counts threshold matches per key inside a sliding window', () => {
    const h = new RuleHarness(rulesFrom(`id: flood
sid: 3
${HEADER}operations: [register]
kind: threshold
when: m.isRequest
threshold: { count: 3, within: 10s, by: m.srcHost }
suppress: 0
`));
    const reg = (src: string, ts: number) => h.send(src, SERVER, { code: 'POST', path: '/rd', query: [`ep=e${ts}`], token: 'bb', ts });
    reg('10.9.9.9:1', 0);
    reg('10.9.9.9:2', 11); // the first has left the window
    reg('10.8.8.8:1', 12); // another key
    reg('10.9.9.9:3', 15);
    expect(h.events).toEqual([]);
    reg('10.9.9.9:4', 16);
    expect(h.events).toHaveLength(1);
    expect(h.events[0].details).toMatchObject({ count: 3, within: 10, key: '10.9.9.9', first: 11 });
    // The window starts again after firing.
    reg('10.9.9.9:5', 17);
    expect(h.events).toHaveLength(1);
  });

  it('fires an absence rule when the deadline passes without re-arming, and only if `still` holds then', () => {
    const rules = rulesFrom(`id: silent
sid: 4
${HEADER}operations: [register, update]
kind: absence
when: m.isRequest
absence: { within: "double(m.q.lt) / 2.0", by: m.srcHost, still: m.srcHost != "10.7.7.7" }
message: "no update from {{m.srcHost}}"
`);
    const h = new RuleHarness(rules);
    h.send(CLIENT, SERVER, { code: 'POST', path: '/rd', query: ['ep=a', 'lt=100'], token: '01', ts: 0 });
    h.send('10.7.7.7:1', SERVER, { code: 'POST', path: '/rd', query: ['ep=b', 'lt=100'], token: '02', ts: 0 });
    h.send(CLIENT, SERVER, { code: 'POST', path: '/rd/5', query: ['lt=100'], token: '03', ts: 40 }); // re-armed: deadline 90
    h.send(STRANGER, SERVER, { code: 'GET', path: '/x', token: '04', ts: 80 });
    expect(h.events).toEqual([]);
    h.send(STRANGER, SERVER, { code: 'GET', path: '/x', token: '05', ts: 95 });
    expect(h.events).toHaveLength(1);
    expect(h.events[0]).toMatchObject({ ts: 90, frame: null, src: CLIENT, message: 'no update from 10.1.0.1', details: { lastFrame: 3 } });
  });

  it('fires a sequence rule only for its steps in order, within the window, per key', () => {
    const h = new RuleHarness(rulesFrom(`id: fw
sid: 5
${HEADER}kind: sequence
operations: [write, execute]
sequence:
  steps: ['m.path == "/5/0/1"', 'm.path == "/5/0/2"']
  within: 60
  by: m.dst
suppress: 0
`));
    h.register(CLIENT, SERVER, 'meter-1', 0);
    h.send(SERVER, CLIENT, { code: 'POST', path: '/5/0/2', token: '01', ts: 5 }); // step 2 first: nothing
    h.send(SERVER, CLIENT, { code: 'PUT', path: '/5/0/1', token: '02', ts: 10, payload: 'coap://h/fw' });
    h.send(SERVER, CLIENT, { code: 'POST', path: '/5/0/2', token: '03', ts: 20 });
    expect(h.events.map((e) => e.ts)).toEqual([20]);
    h.send(SERVER, CLIENT, { code: 'PUT', path: '/5/0/1', token: '04', ts: 30, payload: 'coap://h/fw' });
    h.send(SERVER, CLIENT, { code: 'POST', path: '/5/0/2', token: '05', ts: 100 }); // 70 s later: too late
    expect(h.events).toHaveLength(1);
  });

  it('runs endpoint rules on state changes, expiry included', () => {
    const h = new RuleHarness(rulesFrom(`id: expired
sid: 6
${HEADER}on: endpoint
when: change.to == "expired"
message: "{{ep.name}} expired after {{ep.lifetime}} s"
`));
    h.register(CLIENT, SERVER, 'meter-1', 0, ['lt=60']);
    h.send(STRANGER, SERVER, { code: 'GET', path: '/x', token: '01', ts: 50 });
    expect(h.events).toEqual([]);
    h.tracker.tick(61);
    expect(h.events).toMatchObject([{ rule: 'expired', endpoint: 'meter-1', frame: null, message: 'meter-1 expired after 60 s' }]);
  });

  it('treats an evaluation error as no match and goes on', () => {
    const h = new RuleHarness(rulesFrom(`id: lt
sid: 7
${HEADER}operations: [register]
when: double(m.q.lt) < 30.0
`));
    h.send(CLIENT, SERVER, { code: 'POST', path: '/rd', query: ['ep=a'], token: '01', ts: 0 }); // no lt: no such key
    h.send(CLIENT, SERVER, { code: 'POST', path: '/rd', query: ['ep=b', 'lt=5'], token: '02', ts: 1 });
    expect(h.events.map((e) => e.endpoint)).toEqual(['b']);
  });

  it('judges a message against the state before it: previous() is the last value, ep the old registration', () => {
    const h = new RuleHarness(rulesFrom(`id: backwards
sid: 8
${HEADER}operations: [read]
when: m.records.exists(r, type(previous(r.path)) == double && r.value < previous(r.path))
message: "{{m.records.map(r, string(previous(r.path)) + '>' + string(r.value))}}"
---
id: moved
sid: 9
${HEADER}operations: [update]
when: ep.address != m.src
message: "{{ep.address}} -> {{m.src}}"
`));
    h.register(CLIENT, SERVER, 'meter-1', 0);
    const read = (value: string, ts: number) => {
      h.send(SERVER, CLIENT, { code: 'GET', path: '/3305/0/5805', token: `r${ts}`, mid: ts, ts });
      h.send(CLIENT, SERVER, { code: '2.05', type: 'ACK', token: `r${ts}`, mid: ts, ts: ts + 0.1, payload: value, options: [['Content-Format', Buffer.from([0])]] });
    };
    read('10.5', 10);
    read('12.25', 20);
    expect(h.events).toEqual([]);
    read('3', 30);
    expect(h.events.map((e) => e.message)).toEqual(['["12.25>3"]']);
    h.send('10.1.0.1:40000', SERVER, { code: 'POST', path: '/rd/5', token: 'cc', ts: 40 });
    expect(h.events.at(-1)!.message).toBe(`${CLIENT} -> 10.1.0.1:40000`);
  });

  it('moves an absence deadline on re-arming, earlier as well as later, and keeps what `m` was then', () => {
    const h = new RuleHarness(rulesFrom(`id: silent
sid: 10
${HEADER}operations: [register, update]
kind: absence
when: m.isRequest
absence: { within: "double(m.q.lt)", by: m.srcHost }
message: "{{m.srcHost}} last said lt={{m.q.lt}}"
details: { m: m }
`));
    h.send(CLIENT, SERVER, { code: 'POST', path: '/rd', query: ['ep=a', 'lt=100'], token: '01', ts: 0 }); // deadline 100
    h.send(CLIENT, SERVER, { code: 'POST', path: '/rd/5', query: ['lt=200'], token: '02', ts: 50 }); // later: 250
    h.send(STRANGER, SERVER, { code: 'GET', path: '/x', token: '03', ts: 150 });
    expect(h.events).toEqual([]);
    h.send(CLIENT, SERVER, { code: 'POST', path: '/rd/5', query: ['lt=20'], token: '04', ts: 160 }); // earlier: 180
    h.send(STRANGER, SERVER, { code: 'GET', path: '/x', token: '05', ts: 185 });
    expect(h.events.map((e) => [e.ts, e.message])).toEqual([[180, '10.1.0.1 last said lt=20']]);
    // The evidence is the arming message as it was, not the object `m` became for later messages.
    expect(h.events[0].details.m).toMatchObject({ srcHost: '10.1.0.1', frame: 4, ts: 160 });
    h.send(STRANGER, SERVER, { code: 'GET', path: '/x', token: '06', ts: 300 });
    expect(h.events).toHaveLength(1);
  });

  it('keys a deadline made of state fields anew when those fields change', () => {
    const h = new RuleHarness(rulesFrom(`id: per-address
sid: 11
${HEADER}operations: [update]
kind: absence
when: m.isRequest && ep != null
absence: { within: 100, by: ep.address + " " + ep.name }
message: "{{ep.name}}"
suppress: 0
`));
    h.register(CLIENT, SERVER, 'meter-1', 0);
    h.send(CLIENT, SERVER, { code: 'POST', path: '/rd/5', token: '01', ts: 10 }); // key "10.1.0.1:56830 meter-1"
    h.send('10.1.0.1:40000', SERVER, { code: 'POST', path: '/rd/5', token: '02', ts: 20 }); // ep.address still the old one
    h.send('10.1.0.1:40000', SERVER, { code: 'POST', path: '/rd/5', token: '03', ts: 30 }); // ep moved: a second key
    h.send(STRANGER, SERVER, { code: 'GET', path: '/x', token: '04', ts: 125 });
    expect(h.events.map((e) => e.ts)).toEqual([120]);
    h.send(STRANGER, SERVER, { code: 'GET', path: '/x', token: '05', ts: 135 });
    expect(h.events.map((e) => e.ts)).toEqual([120, 130]);
    // The key whose deadline fired, armed again by the same state object: a new deadline.
    h.send('10.1.0.1:40000', SERVER, { code: 'POST', path: '/rd/5', token: '06', ts: 140 });
    h.send(STRANGER, SERVER, { code: 'GET', path: '/x', token: '07', ts: 239 });
    expect(h.events.map((e) => e.ts)).toEqual([120, 130]);
    h.send(STRANGER, SERVER, { code: 'GET', path: '/x', token: '08', ts: 245 });
    expect(h.events.map((e) => e.ts)).toEqual([120, 130, 240]);
  });

  it('leaves the state objects it reads as they were: no property or symbol added', () => {
    const h = new RuleHarness(rulesFrom(`id: per-endpoint
sid: 12
${HEADER}operations: [update]
kind: absence
when: m.isRequest && ep != null
absence: { within: 100, by: ep.name }
`));
    h.register(CLIENT, SERVER, 'meter-1', 0);
    h.send(CLIENT, SERVER, { code: 'POST', path: '/rd/5', token: '01', ts: 10 });
    const ep = h.tracker.registrations.get('meter-1')!;
    expect(Object.getOwnPropertySymbols(ep)).toEqual([]);
    expect(Object.getOwnPropertyNames(ep)).toEqual(Object.keys(JSON.parse(JSON.stringify(ep))));
  });

  it('keys anew with a reloaded key expression', () => {
    const rule = (by: string) => rulesFrom(`id: per-endpoint
sid: 13
${HEADER}operations: [update]
kind: threshold
when: m.isRequest && ep != null
threshold: { count: 2, within: 100, by: ${by} }
`);
    const h = new RuleHarness(rule('ep.name'));
    h.register(CLIENT, SERVER, 'meter-1', 0);
    h.send(CLIENT, SERVER, { code: 'POST', path: '/rd/5', token: '01', ts: 10 }); // key "meter-1"
    // The same field read, another key made of it.
    h.engine.load(rule(`'"unit " + ep.name'`));
    h.send(CLIENT, SERVER, { code: 'POST', path: '/rd/5', token: '02', ts: 20 }); // key "unit meter-1": a first match
    expect(h.events).toEqual([]);
    h.send(CLIENT, SERVER, { code: 'POST', path: '/rd/5', token: '03', ts: 30 });
    expect(h.events.map((e) => [e.ts, e.details.key])).toEqual([[30, 'unit meter-1']]);
  });

  it('keeps the deadlines of several rules keyed by the same state object apart', () => {
    const rule = (id: string, sid: number, within: number, by: string) => `id: ${id}
sid: ${sid}
${HEADER}operations: [update]
kind: absence
when: m.isRequest && ep != null
absence: { within: ${within}, by: ${by} }
message: "${id} {{ep.name}}"
suppress: 0
`;
    const h = new RuleHarness(rulesFrom([rule('short', 1, 50, 'ep.name'), rule('long', 2, 80, `'"long " + ep.name'`)].join('---\n')));
    h.register(CLIENT, SERVER, 'meter-1', 0);
    h.send(CLIENT, SERVER, { code: 'POST', path: '/rd/5', token: '01', ts: 10 }); // short: 60, long: 90
    h.send(CLIENT, SERVER, { code: 'POST', path: '/rd/5', token: '02', ts: 20 }); // short: 70, long: 100
    h.send(STRANGER, SERVER, { code: 'GET', path: '/x', token: '03', ts: 75 });
    expect(h.events.map((e) => [e.rule, e.ts, e.message])).toEqual([['short', 70, 'short meter-1']]);
    h.send(STRANGER, SERVER, { code: 'GET', path: '/x', token: '04', ts: 105 });
    expect(h.events.map((e) => [e.rule, e.ts])).toEqual([['short', 70], ['long', 100]]);
  });

  it('reads the attributes in force as they are after a Write-Attributes changes them', () => {
    const h = new RuleHarness(rulesFrom(`id: quiet
sid: 14
${HEADER}operations: [observe, notify]
kind: absence
when: m.isResponse && obs != null && has(attrs.pmax)
absence: { within: attrs.pmax, by: "obs.client + ' ' + obs.token" }
message: "{{obs.token}} quiet past pmax {{attrs.pmax}}"
suppress: 0
`));
    const writeAttributes = (pmax: number, mid: number, ts: number) => {
      h.send(SERVER, CLIENT, { code: '0.03', path: '/3/0/9', query: [`pmax=${pmax}`], token: `b${mid}`, mid, ts });
      h.send(CLIENT, SERVER, { code: '2.04', type: 'ACK', token: `b${mid}`, mid, ts: ts + 0.01 });
    };
    const notify = (seq: number, ts: number) =>
      h.send(CLIENT, SERVER, { code: '2.05', type: 'NON', token: 'aa', options: [['Observe', uint(seq)], ['Content-Format', uint(0)]], payload: '5', ts });
    h.register(CLIENT, SERVER, 'meter-7', 0);
    writeAttributes(10, 10, 1);
    h.send(SERVER, CLIENT, { code: '0.01', path: '/3/0/9', token: 'aa', mid: 20, options: [['Observe', uint(0)]], ts: 2 });
    h.send(CLIENT, SERVER, { code: '2.05', type: 'ACK', token: 'aa', mid: 20, options: [['Observe', uint(1)], ['Content-Format', uint(0)]], payload: '5', ts: 2 });
    notify(2, 5); // armed for 15
    writeAttributes(100, 30, 6);
    notify(3, 8); // armed for 108, not 18
    h.send(STRANGER, SERVER, { code: 'GET', path: '/x', token: '04', ts: 20 });
    expect(h.events).toEqual([]);
    h.send(STRANGER, SERVER, { code: 'GET', path: '/x', token: '05', ts: 109 });
    expect(h.events.map((e) => [e.ts, e.message])).toEqual([[108, 'aa quiet past pmax 100']]);
  });

  it('makes a key that fixed fields of the observation decide once per observation, and re-arms by it across a re-observation', () => {
    const [rule] = rulesFrom(`id: quiet
sid: 17
${HEADER}operations: [observe, notify]
kind: absence
when: m.isResponse && obs != null
absence: { within: 100, by: "obs.client + ' ' + obs.token", still: obs.state == "active" }
message: "{{obs.token}} quiet since frame {{obs.notifications}}"
suppress: 0
`);
    const by = rule.absence!.by;
    let made = 0;
    rule.absence = { ...rule.absence!, by: Object.assign((scope: Parameters<typeof by>[0]) => (made++, by(scope)), { source: by.source, fixedBy: by.fixedBy }) };
    const h = new RuleHarness([rule]);
    const observe = (mid: number, ts: number) => {
      h.send(SERVER, CLIENT, { code: '0.01', path: '/3/0/9', token: 'aa', mid, options: [['Observe', uint(0)]], ts });
      h.send(CLIENT, SERVER, { code: '2.05', type: 'ACK', token: 'aa', mid, options: [['Observe', uint(1)], ['Content-Format', uint(0)]], payload: '5', ts });
    };
    const notify = (seq: number, ts: number) =>
      h.send(CLIENT, SERVER, { code: '2.05', type: 'NON', token: 'aa', options: [['Observe', uint(seq)], ['Content-Format', uint(0)]], payload: '5', ts });
    h.register(CLIENT, SERVER, 'meter-7', 0);
    observe(20, 1);
    for (let seq = 2; seq < 6; seq++) notify(seq, seq);
    expect(made).toBe(1);
    // Cancelled and observed again on the same token: another observation, the same key, so
    // the deadline armed by the first is moved, not left to pass on its own.
    h.send(SERVER, CLIENT, { code: '0.01', path: '/3/0/9', token: 'aa', mid: 30, options: [['Observe', uint(1)]], ts: 10 });
    observe(31, 50);
    notify(2, 60);
    expect(made).toBe(2);
    expect(h.engine.keysHeld('armed')).toBe(1);
    h.send(STRANGER, SERVER, { code: 'GET', path: '/x', token: '04', ts: 120 });
    expect(h.events).toEqual([]);
    h.send(STRANGER, SERVER, { code: 'GET', path: '/x', token: '05', ts: 161 });
    expect(h.events.map((e) => [e.ts, e.message])).toEqual([[160, 'aa quiet since frame 1']]);
  });

  it('skips a rule whose top-level `m.FIELD &&` is false without evaluating it', () => {
    const [rule] = rulesFrom(`id: resp
sid: 15
${HEADER}when: m.size >= 0 && m.isResponse && !m.retransmission
`);
    expect(rule.require).toEqual(['isResponse']);
  });

  it('keeps windows of rules that survive a reload and drops those of removed rules', () => {
    const yaml = `id: flood
sid: 16
${HEADER}operations: [register]
kind: threshold
when: m.isRequest
threshold: { count: 2, within: 100, by: '"all"' }
`;
    const h = new RuleHarness(rulesFrom(yaml));
    h.send(CLIENT, SERVER, { code: 'POST', path: '/rd', query: ['ep=a'], token: '01', ts: 0 });
    h.engine.load(rulesFrom(yaml));
    h.send(CLIENT, SERVER, { code: 'POST', path: '/rd', query: ['ep=b'], token: '02', ts: 1 });
    expect(h.events).toHaveLength(1);
    expect(h.engine.rules.map((r) => r.id)).toEqual(['flood']);
  });
});
