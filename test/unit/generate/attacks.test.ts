import { describe, expect, it } from 'vitest';
import { decodeCoapUdp } from '../../../src/coap/decode.js';
import type { CoapMessage } from '../../../src/coap/message.js';
import { AttackContext, ATTACK_NAMES, planAttacks } from '../../../src/generate/attacks/index.js';
import { malformedCoapDatagrams } from '../../../src/generate/attacks/outsiders.js';
import type { Datagram } from '../../../src/generate/datagram.js';
import { BuiltInDemand } from '../../../src/generate/demand.js';
import { CLIENT_HELLO, CLIENT_KEY_EXCHANGE, CONTENT_ALERT, CONTENT_APPLICATION_DATA, CONTENT_HANDSHAKE, SERVER_HELLO } from '../../../src/generate/dtls-handshake.js';
import { buildFleet, DEFAULT_OBSERVATION } from '../../../src/generate/fleet.js';
import { mergeByTime } from '../../../src/generate/merge-by-time.js';
import { parseHandshake, parseRecords } from './dtls-parse.js';

const START_US = Date.UTC(2024, 2, 1, 6, 30) * 1000;
const DURATION_S = 900;
const SERVER_IP = 0x0a000001;

interface Run {
  all: Datagram[];
  /** The messages labelled with the attack, in capture order. */
  labelled: Datagram[];
  endpoints: string[];
}

/** The whole capture's messages, in time order, of a small fleet with `attack` planted. */
function run(attack: string, o: { meters?: number; bootstrap?: boolean; seed?: number } = {}): Run {
  const fleet = buildFleet({
    meters: o.meters ?? 4, households: 2, seed: o.seed ?? 3, startUs: START_US, durationS: DURATION_S,
    server: { ip: SERVER_IP, port: 5683 }, bootstrap: o.bootstrap ?? false, queueMode: false, lifetimeS: 300,
    observation: DEFAULT_OBSERVATION, demand: new BuiltInDemand(3),
  });
  const ctx = new AttackContext(fleet, START_US, START_US + DURATION_S * 1e6, fleet.rng);
  const plan = planAttacks(ctx, [attack]);
  const all = [...mergeByTime([...fleet.streams, ...plan.streams])];
  const labelled = all.filter((d) => d.attack !== undefined);
  expect(labelled.length, attack).toBeGreaterThan(0);
  expect(labelled.every((d) => d.attack === attack)).toBe(true);
  return { all, labelled, endpoints: fleet.meters.map((m) => m.endpoint) };
}

const coap = (d: Datagram): CoapMessage => decodeCoapUdp(d.coap);
const code = (m: CoapMessage) => `${m.code >> 5}.${String(m.code & 31).padStart(2, '0')}`;
const fromServer = (d: Datagram) => d.from.ip === SERVER_IP;
const toServer = (d: Datagram) => d.to.ip === SERVER_IP;

describe('attacks', () => {
  it('are all known by name, the 16 first ones in their first order', () => {
    expect(ATTACK_NAMES.slice(0, 16)).toContain('plaintext-downgrade');
    expect(ATTACK_NAMES).toHaveLength(37);
  });

  it('acl-write: the server writes /2/0 in TLV, the meter answers 2.04', () => {
    const [request, answer] = run('acl-write').labelled.map(coap);
    expect([code(request), request.uriPath, request.contentFormat, request.error]).toEqual(['0.03', '/2/0', 11542, null]);
    expect(request.payload.length).toBeGreaterThan(0);
    expect([answer.type, code(answer), answer.mid]).toEqual(['ACK', '2.04', request.mid]);
  });

  it('firmware-update: the server executes /5/0/2 with no payload, answered 2.04', () => {
    const { labelled } = run('firmware-update');
    const [request, answer] = labelled.map(coap);
    expect(fromServer(labelled[0])).toBe(true);
    expect([code(request), request.uriPath, request.payload.length]).toEqual(['0.02', '/5/0/2', 0]);
    expect(code(answer)).toBe('2.04');
  });

  it('address-change: a registered meter updates from a new address and port, and stays there', () => {
    const { all, labelled } = run('address-change');
    const [update, answer] = labelled.map(coap);
    expect([code(update), code(answer)]).toEqual(['0.02', '2.04']);
    expect(update.uriPath).toMatch(/^\/rd\/\d+$/);
    const endpoint = labelled[0].endpoint;
    const before = all.find((d) => d.endpoint === endpoint && toServer(d))!;
    expect(labelled[0].from.ip).not.toBe(before.from.ip);
    expect(labelled[0].from.port).not.toBe(before.from.port);
    const after = all.slice(all.indexOf(labelled[1]) + 1).filter((d) => d.endpoint === endpoint && toServer(d));
    expect(after.length).toBeGreaterThan(0);
    expect(after.every((d) => d.from.ip === labelled[0].from.ip && d.from.port === labelled[0].from.port)).toBe(true);
  });

  it('tiny-lifetime and unknown-version: an outside host registers with lt=5, or lwm2m=9.9', () => {
    const [tiny] = run('tiny-lifetime').labelled.map(coap);
    expect(tiny.uriPath).toBe('/rd');
    expect(tiny.uriQuery).toContain('lt=5');
    const [odd] = run('unknown-version').labelled.map(coap);
    expect(odd.uriQuery).toContain('lwm2m=9.9');
  });

  it('binding-change: a meter updates its registration with a binding it did not register with', () => {
    const { all, labelled } = run('binding-change');
    const [update, answer] = labelled.map(coap);
    const register = all.map(coap).find((m) => m.uriPath === '/rd' && m.uriQuery.includes(`ep=${labelled[0].endpoint}`))!;
    const binding = (m: CoapMessage) => m.uriQuery.find((q) => q.startsWith('b='));
    expect(binding(update)).toMatch(/^b=[ST]$/);
    expect(binding(update)).not.toBe(binding(register));
    expect([code(update), code(answer)]).toEqual(['0.02', '2.04']);
  });

  it('skip-bootstrap: in a --bootstrap fleet one meter registers without asking the bootstrap server; without --bootstrap it is refused', () => {
    const { all, labelled } = run('skip-bootstrap', { bootstrap: true });
    const endpoint = labelled[0].endpoint;
    expect(coap(labelled[0]).uriQuery).toContain(`ep=${endpoint}`);
    const bootstrapped = new Set(all.map(coap).filter((m) => m.uriPath === '/bs' && m.uriQuery.length > 0).map((m) => m.uriQuery[0].slice(3)));
    expect(bootstrapped.has(endpoint)).toBe(false);
    expect(bootstrapped.size).toBe(3);
    expect(() => run('skip-bootstrap')).toThrow(/skip-bootstrap: needs --bootstrap/);
  });

  it('deregistration-storm: at least 10 distinct registrations deleted within 2 s, each answered 2.02; fewer meters are refused', () => {
    const { labelled, endpoints } = run('deregistration-storm', { meters: 12 });
    const deletes = labelled.filter(toServer).map(coap);
    expect(deletes.every((m) => code(m) === '0.04')).toBe(true);
    expect(new Set(deletes.map((m) => m.uriPath)).size).toBeGreaterThanOrEqual(10);
    expect(labelled[labelled.length - 1].us - labelled[0].us).toBeLessThan(2e6);
    expect(labelled.filter(fromServer).map(coap).every((m) => code(m) === '2.02')).toBe(true);
    expect(new Set(labelled.map((d) => d.endpoint))).toEqual(new Set(endpoints));
    expect(() => run('deregistration-storm')).toThrow(/at least 10 meters/);
  });

  it('unknown-token-notify: a meter notifies (2.05 with Observe) on a token no request used', () => {
    const { all, labelled } = run('unknown-token-notify');
    const notification = coap(labelled[0]);
    expect([code(notification), notification.observe !== null, notification.error]).toEqual(['2.05', true, null]);
    const requestTokens = new Set(all.filter((d) => d.attack === undefined).map(coap).filter((m) => m.code >> 5 === 0 && m.code !== 0).map((m) => m.token));
    expect(requestTokens.has(notification.token)).toBe(false);
  });

  it('amplification: a small GET draws an answer ten times its size, with 1000-1400 bytes of payload', () => {
    const { labelled } = run('amplification');
    for (let i = 0; i < labelled.length; i += 2) {
      const [request, answer] = [labelled[i], labelled[i + 1]];
      expect(coap(request).uriPath).toBe('/.well-known/core');
      expect(answer.coap.length).toBeGreaterThanOrEqual(10 * request.coap.length);
      expect(coap(answer).payload.length).toBeGreaterThanOrEqual(1000);
      expect(answer.coap.length).toBeLessThan(1400);
    }
  });

  it('malformed-coap: each datagram breaks RFC 7252 for our decoder', () => {
    let mid = 0;
    const errors = malformedCoapDatagrams(() => mid++).map((b) => decodeCoapUdp(b).error);
    expect(errors[0]).toMatch(/token length 9/);
    expect(errors[1]).toMatch(/delta nibble 15/);
    expect(errors[2]).toMatch(/past the end/);
    const { labelled } = run('malformed-coap');
    expect(labelled).toHaveLength(3);
    expect(labelled.every((d) => toServer(d) && d.to.port === 5683 && coap(d).error !== null)).toBe(true);
  });

  it('unknown-content-format: a meter answers a read in Content-Format 65000', () => {
    const [, answer] = run('unknown-content-format').labelled.map(coap);
    expect([code(answer), answer.contentFormat]).toEqual(['2.05', 65000]);
    expect(answer.payload.length).toBeGreaterThan(0);
  });

  it('orphan-response: an outside host sends responses (ACK and NON) matching no request', () => {
    const { all, labelled } = run('orphan-response');
    const responses = labelled.map(coap);
    expect(responses.map((m) => m.type)).toEqual(expect.arrayContaining(['ACK', 'NON']));
    expect(responses.every((m) => m.code >> 5 === 2)).toBe(true);
    const requests = all.filter((d) => d.attack === undefined).map(coap).filter((m) => m.code >> 5 === 0 && m.code !== 0);
    for (const r of responses) expect(requests.some((q) => q.mid === r.mid || q.token === r.token)).toBe(false);
  });

  it('retransmission-storm: one CON notification sent 12 times, same bytes, over about 30 s, never acknowledged', () => {
    const { all, labelled } = run('retransmission-storm');
    expect(labelled).toHaveLength(12);
    expect(labelled.every((d) => d.coap.equals(labelled[0].coap))).toBe(true);
    const m = coap(labelled[0]);
    expect([m.type, code(m), m.observe !== null]).toEqual(['CON', '2.05', true]);
    const span = labelled[11].us - labelled[0].us;
    expect(span).toBeGreaterThan(20e6);
    expect(span).toBeLessThan(40e6);
    expect(all.map(coap).some((a) => a.type === 'ACK' && a.mid === m.mid && a.code === 0)).toBe(false);
  });

  it('rogue-read: an outside host reads /3/0 and the power instance; the meter answers 2.05', () => {
    const { labelled } = run('rogue-read');
    const requests = labelled.filter((d) => d.operation === 'read');
    expect(requests.map((d) => coap(d).uriPath)).toEqual(['/3/0', expect.stringMatching(/^\/(3305|10243)\/0$/)]);
    expect(requests.every((d) => d.from.ip !== SERVER_IP && d.to.port === 56830)).toBe(true);
    expect(labelled.filter((d) => d.operation === undefined).map((d) => code(coap(d)))).toEqual(['2.05', '2.05']);
  });

  it('foreign-deregistration: another port of the meter\'s own address deletes its registration; the server answers 2.02', () => {
    const { all, labelled } = run('foreign-deregistration');
    const [request, answer] = labelled;
    expect(labelled).toHaveLength(2);
    expect([coap(request).code, code(coap(answer))]).toEqual([4, '2.02']);
    // The meter's own socket: the address and port it registered from.
    const registerFrom = all.find((d) => d.endpoint === request.endpoint && d.to.ip === SERVER_IP && coap(d).uriPath === '/rd')!.from;
    expect(coap(request).uriPath).toMatch(/^\/rd\/\d+$/);
    expect(request.from.ip).toBe(registerFrom.ip);
    expect(request.from.port).not.toBe(registerFrom.port);
    expect(toServer(request)).toBe(true);
    // The consequence, in the meter's own (unlabelled) traffic: its next Update is answered 4.04, and it registers again elsewhere.
    const after = all.filter((d) => d.us > answer.us && d.attack === undefined && (d.from === registerFrom || d.to === registerFrom) && (toServer(d) || fromServer(d)));
    const lines = after.slice(0, 4).map((d) => `${code(coap(d))} ${coap(d).uriPath ?? ''}`);
    expect(lines).toEqual([`0.02 ${coap(request).uriPath}`, '4.04 ', '0.02 /rd', '2.01 ']);
    expect(coap(after[3]).options.filter((o) => o.name === 'Location-Path').map((o) => String(o.value))).toEqual(['rd', '9000']);
  });

  it('foreign-update: an outside host updates a meter\'s registration, then the meter updates it again from its own address', () => {
    const { labelled } = run('foreign-update');
    const updates = labelled.filter(toServer);
    expect(updates.map((d) => d.operation)).toEqual(['update', 'update']);
    expect(new Set(updates.map((d) => coap(d).uriPath)).size).toBe(1);
    expect(updates[0].from.ip).not.toBe(updates[1].from.ip);
    expect(updates[1].from.ip >>> 16).toBe(0x0a01); // the meter's own 10.1.x.x address
    expect(labelled.filter(fromServer).map((d) => code(coap(d)))).toEqual(['2.04', '2.04']);
  });

  it('same-host-stranger: another port on the server\'s host reads /3/0 and writes /1/0; the meter answers both', () => {
    const { labelled } = run('same-host-stranger');
    const requests = labelled.filter((d) => d.operation !== undefined);
    expect(requests.map((d) => [d.operation, coap(d).uriPath])).toEqual([['read', '/3/0'], ['write', '/1/0']]);
    expect(requests.every((d) => fromServer(d) && d.from.port !== 5683 && d.to.port === 56830)).toBe(true);
    expect(labelled.filter((d) => d.operation === undefined).map((d) => code(coap(d)))).toEqual(['2.05', '2.04']);
  });

  it('dtls-weak-cipher: the server picks a weak PSK suite, then records flow at epoch 1', () => {
    const { labelled } = run('dtls-weak-cipher');
    expect(labelled.every((d) => d.to.port === 5684 || d.from.port === 5684)).toBe(true);
    const records = labelled.flatMap((d) => parseRecords(d.coap));
    const handshakes = records.filter((r) => r.type === CONTENT_HANDSHAKE && r.epoch === 0).map((r) => parseHandshake(r.fragment));
    expect(handshakes.map((h) => h.msgType)).toEqual([CLIENT_HELLO, SERVER_HELLO, 14, CLIENT_KEY_EXCHANGE]);
    const suite = handshakes[1].body.readUInt16BE(2 + 32 + 1);
    expect([0x00b0, 0x008b]).toContain(suite);
    expect(handshakes[3].body.subarray(2).toString()).toBe(labelled[0].endpoint);
    expect(records.filter((r) => r.type === CONTENT_APPLICATION_DATA && r.epoch === 1).length).toBeGreaterThanOrEqual(3);
  });

  it('dtls-handshake-failure: the server ends the handshake with a fatal alert in clear, and no application data follows', () => {
    const { labelled } = run('dtls-handshake-failure');
    const records = labelled.flatMap((d) => parseRecords(d.coap));
    const last = records[records.length - 1];
    expect([last.type, last.epoch, last.fragment[0]]).toEqual([CONTENT_ALERT, 0, 2]);
    expect([20, 40]).toContain(last.fragment[1]);
    expect(fromServer(labelled[labelled.length - 1])).toBe(true);
    expect(records.some((r) => r.type === CONTENT_APPLICATION_DATA)).toBe(false);
  });
});
