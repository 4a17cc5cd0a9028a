import { describe, expect, it } from 'vitest';
import { DEFAULT_RULES } from '../../../src/cli/rule-set.js';
import { loadRules } from '../../../src/rules/index.js';
import { uint } from '../../support/coap-flow.js';
import { CLIENT, RuleHarness, SERVER, STRANGER } from './support.js';

/**
 * The default rules on what real peers do that once raised alarms (the captures of the same
 * traffic are in captures/reference: anjay-queue-sleep, wakaama-blockwise-observe16,
 * anjay-bootstrap-wakaama), each next to the attack the rule is for.
 */
const defaults = loadRules([DEFAULT_RULES]).rules;
const rule = (id: string) => [defaults.find((r) => r.id === id)!].map((r) => ({ ...r, suppress: { ...r.suppress, type: 'limit' as const, count: 1, seconds: 0 } }));
const fired = (h: RuleHarness, id: string) => h.events.filter((e) => e.rule === id).map((e) => e.frame);

describe('notification-after-cancel', () => {
  /** An observation of /3/0/13 on token 00000001, answered with Observe 0 (frames 3 and 4). */
  function observed(): RuleHarness {
    const h = new RuleHarness(rule('notification-after-cancel'));
    h.register(CLIENT, SERVER, 'anjay-qs-01', 1000);
    h.send(SERVER, CLIENT, { code: 'GET', path: '/3/0/13', token: '00000001', mid: 10, options: [['Observe', uint(0)]], ts: 1001 });
    h.send(CLIENT, SERVER, { code: '2.05', type: 'ACK', token: '00000001', mid: 10, options: [['Observe', uint(0)]], payload: '1', ts: 1001.1 });
    return h;
  }

  it('stays silent on the empty ACK of a confirmable notification whose Observe is 1 (a sequence number)', () => {
    const h = observed();
    for (let seq = 1; seq <= 4; seq++) {
      h.send(CLIENT, SERVER, { code: '2.05', type: 'CON', token: '00000001', mid: 200 + seq, options: [['Observe', uint(seq)]], payload: String(seq), ts: 1002 + seq });
      h.send(SERVER, CLIENT, { code: '0.00', type: 'ACK', mid: 200 + seq, ts: 1002.01 + seq });
    }
    expect(h.events).toEqual([]);
  });

  it('fires on a notification after the server cancelled with GET and Observe 1', () => {
    const h = observed();
    h.send(SERVER, CLIENT, { code: 'GET', path: '/3/0/13', token: '00000001', mid: 11, options: [['Observe', uint(1)]], ts: 1010 });
    h.send(CLIENT, SERVER, { code: '2.05', type: 'ACK', token: '00000001', mid: 11, payload: '9', ts: 1010.1 });
    const late = h.send(CLIENT, SERVER, { code: '2.05', type: 'CON', token: '00000001', mid: 300, options: [['Observe', uint(7)]], payload: '10', ts: 1011 });
    h.send(SERVER, CLIENT, { code: '0.00', type: 'ACK', mid: 300, ts: 1011.01 });
    expect(fired(h, 'notification-after-cancel')).toEqual([late.coap.frame]);
  });
});

describe('observe-flood', () => {
  it('counts one observation whose Block2 transfer repeats the Observe option on each of 26 block requests once', () => {
    const h = new RuleHarness(rule('observe-flood'));
    h.register(CLIENT, SERVER, 'meter-block', 1000);
    for (let num = 0; num < 26; num++) {
      const more = num < 25 ? 0x08 : 0;
      h.send(SERVER, CLIENT, { code: 'GET', path: '/3/0', token: '00000001', mid: 100 + num, options: [['Observe', uint(0)], ['Block2', uint(num << 4)]], ts: 1001 + num * 0.01 });
      h.send(CLIENT, SERVER, {
        code: '2.05', type: 'ACK', token: '00000001', mid: 100 + num, options: [['Observe', uint(num)], ['Block2', uint((num << 4) | more)]],
        payload: Buffer.alloc(16, 0x61), ts: 1001.005 + num * 0.01,
      });
    }
    expect(h.events).toEqual([]);
  });

  it('fires on 20 new observations (new tokens) from one host within 10 s', () => {
    const h = new RuleHarness(rule('observe-flood'));
    h.register(CLIENT, SERVER, 'meter-1', 1000);
    for (let i = 0; i < 20; i++) {
      const token = (0x100 + i).toString(16).padStart(4, '0');
      h.send(STRANGER, CLIENT, { code: 'GET', path: '/3/0/9', token, mid: 100 + i, options: [['Observe', uint(0)]], ts: 1001 + i * 0.1 });
    }
    expect(fired(h, 'observe-flood')).toHaveLength(1);
  });

  it('counts an Observe with a live token on another path as a new observation', () => {
    const h = new RuleHarness(rule('observe-flood'));
    h.register(CLIENT, SERVER, 'meter-1', 1000);
    for (let i = 0; i < 20; i++) {
      h.send(STRANGER, CLIENT, { code: 'GET', path: `/3/0/${i}`, token: '0101', mid: 100 + i, options: [['Observe', uint(0)]], ts: 1001 + i * 0.1 });
      h.send(CLIENT, STRANGER, { code: '2.05', type: 'ACK', token: '0101', mid: 100 + i, options: [['Observe', uint(0)]], payload: '1', ts: 1001.05 + i * 0.1 });
    }
    expect(fired(h, 'observe-flood')).toHaveLength(1);
  });
});

describe('registration-without-bootstrap', () => {
  const BOOTSTRAP = '10.0.0.9:5685';
  /** anjay-bs-01 bootstraps from port 52589 of 10.1.0.1 (the Bootstrap-Request to the Finish's answer). */
  function bootstrapped(): RuleHarness {
    const h = new RuleHarness(rule('registration-without-bootstrap'));
    const socket = '10.1.0.1:52589';
    h.send(socket, BOOTSTRAP, { code: 'POST', path: '/bs', query: ['ep=anjay-bs-01'], token: 'b1', mid: 1, ts: 1000 });
    h.send(BOOTSTRAP, socket, { code: '2.04', type: 'ACK', token: 'b1', mid: 1, ts: 1000.01 });
    h.send(BOOTSTRAP, socket, { code: 'POST', path: '/bs', token: 'b2', mid: 2, ts: 1000.5 });
    h.send(socket, BOOTSTRAP, { code: '2.04', type: 'ACK', token: 'b2', mid: 2, ts: 1000.51 });
    return h;
  }

  it('links a registration from another socket of the same host to the bootstrap of its endpoint name', () => {
    const h = bootstrapped();
    h.register('10.1.0.1:59607', SERVER, 'anjay-bs-01', 1001);
    expect(h.events).toEqual([]);
  });

  it('fires for the same name from another host, and for another name from the same host', () => {
    const h = bootstrapped();
    h.register('10.1.0.66:59607', SERVER, 'anjay-bs-01', 1001);
    h.register('10.1.0.1:59608', SERVER, 'anjay-bs-02', 1002);
    expect(h.events.map((e) => [e.rule, e.endpoint, e.src])).toEqual([
      ['registration-without-bootstrap', 'anjay-bs-01', '10.1.0.66:59607'],
      ['registration-without-bootstrap', 'anjay-bs-02', '10.1.0.1:59608'],
    ]);
  });
});

describe('registration-flood and registration-surge', () => {
  const rules = [...rule('registration-flood'), ...rule('registration-surge')];
  const register = (h: RuleHarness, client: string, ep: string, ts: number) =>
    h.send(client, SERVER, { code: 'POST', path: '/rd', query: [`ep=${ep}`, 'lt=300'], token: 'aa01', mid: 1, ts, payload: '</3/0>' });

  it('a fleet of 400 meters booting within 10 s, each from its own address, is no flood: one low surge event per hundred', () => {
    const h = new RuleHarness(rules);
    for (let i = 0; i < 400; i++) register(h, `10.1.${i >> 8}.${i & 255}:56830`, `meter-${i}`, 1000 + i * 0.025);
    expect(fired(h, 'registration-flood')).toEqual([]);
    expect(h.events.map((e) => [e.rule, e.severity])).toEqual(Array(4).fill(['registration-surge', 'low']));
  });

  it('20 registrations from one host within 10 s are a flood, named by that host', () => {
    const h = new RuleHarness(rules);
    for (let i = 0; i < 20; i++) register(h, `203.0.113.1:${40000 + i}`, `flood-${i}`, 1000 + i * 0.02);
    expect(h.events.map((e) => [e.rule, e.details.from])).toEqual([['registration-flood', '203.0.113.1']]);
  });
});
