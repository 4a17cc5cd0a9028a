import { describe, expect, it } from 'vitest';
import { DEFAULT_RULES } from '../../../src/cli/rule-set.js';
import { DeclaredServers, loadRules, parseServerSpec, RULE_TABLES, type Rule } from '../../../src/rules/index.js';
import type { AnalyzedMessage } from '../../../src/pipeline/index.js';
import { OverflowCounters } from '../../../src/util/bounded-map.js';
import { CLIENT, RuleHarness, SERVER } from './support.js';

/** The bundled rules, without suppression, so that every match is an event. */
const DEFAULTS: Rule[] = loadRules([DEFAULT_RULES]).rules.map((r) => ({ ...r, suppress: { ...r.suppress, type: 'limit' as const, count: 1, seconds: 0 } }));

/** Another port on the server's host: a tool run beside the server. */
const SERVER_HOST_TOOL = '10.0.0.1:40000';
/** Another port on the client's host: a second device behind the client's NAT, or the client rebooted. */
const CLIENT_HOST_OTHER = '10.1.0.1:40001';

function harness(servers?: string[]): RuleHarness {
  return new RuleHarness(DEFAULTS, undefined, undefined, servers ? new DeclaredServers(servers) : undefined);
}

const rulesFired = (h: RuleHarness) => h.events.map((e) => `${e.rule} ${e.frame}`);

/** A Register and its 2.01 with their own message ID and token (RuleHarness.register reuses one, a retransmission within 247 s). */
function registerAgain(h: RuleHarness, client: string, ep: string, ts: number, n: number, location = '5', server = SERVER): void {
  const token = `bb${String(n).padStart(2, '0')}`;
  h.send(client, server, { code: 'POST', path: '/rd', query: [`ep=${ep}`, 'lt=300', 'lwm2m=1.1', 'b=U'], token, mid: 100 + n, ts, payload: '</3/0>' });
  h.send(server, client, { code: '2.01', type: 'ACK', token, mid: 100 + n, ts: ts + 0.01, options: [['Location-Path', Buffer.from('rd')], ['Location-Path', Buffer.from(location)]] });
}

/** An Update (or, with `code: 'DELETE'`, a De-register) of location /rd/5 and the server's answer. */
function onRegistration(h: RuleHarness, client: string, ts: number, n: number, answer = '2.04', code = 'POST', location = '/rd/5'): AnalyzedMessage {
  const token = `cc${String(n).padStart(2, '0')}`;
  const request = h.send(client, SERVER, { code, path: location, token, mid: 200 + n, ts });
  h.send(SERVER, client, { code: answer, type: 'ACK', token, mid: 200 + n, ts: ts + 0.01 });
  return request;
}

const RANK: Record<string, number> = { info: 0, low: 1, medium: 2, high: 3, critical: 4 };
const alerts = (h: RuleHarness) => h.events.filter((e) => RANK[e.severity] >= RANK.medium).map((e) => `${e.rule} ${e.frame}`);

describe('peer identity: the socket, not the host', () => {
  it('a read from another port of the server\'s host is a stranger\'s; from the server\'s socket it is not', () => {
    const h = harness();
    h.register(CLIENT, SERVER, 'meter-1', 0);
    const own = h.send(SERVER, CLIENT, { code: 'GET', path: '/3/0', token: 'c1', ts: 1 });
    const tool = h.send(SERVER_HOST_TOOL, CLIENT, { code: 'GET', path: '/3/0', token: 'c2', ts: 2 });
    expect(rulesFired(h)).toEqual([`request-from-stranger ${tool.coap.frame}`]);
    expect(rulesFired(h).some((r) => r.endsWith(` ${own.coap.frame}`))).toBe(false);
  });

  it('a Server-object write from another port of the server\'s host is a stranger\'s', () => {
    const h = harness();
    h.register(CLIENT, SERVER, 'meter-1', 0);
    const write = h.send(SERVER_HOST_TOOL, CLIENT, { code: 'PUT', path: '/1/0/1', token: 'c1', ts: 1, payload: '1', options: [['Content-Format', Buffer.from([0])]] });
    expect(rulesFired(h).sort()).toEqual([`request-from-stranger ${write.coap.frame}`, `server-object-modified-by-stranger ${write.coap.frame}`]);
  });

  it('a Register in the endpoint\'s name sent from elsewhere to a socket of the sender\'s does not make that socket its server', () => {
    const h = harness();
    h.register(CLIENT, SERVER, 'meter-1', 0);
    // A tool on the server's host registers "meter-1" with a second socket of its own, which then reads the meter.
    const accomplice = '10.0.0.1:40002';
    registerAgain(h, SERVER_HOST_TOOL, 'meter-1', 10, 1, '6', accomplice);
    const read = h.send(accomplice, CLIENT, { code: 'GET', path: '/3/0', token: 'c1', ts: 11 });
    expect(rulesFired(h)).toContain(`request-from-stranger ${read.coap.frame}`);
  });

  it('--servers: a declared host, socket or subnet is a server; another port of a declared socket\'s host is not', () => {
    const h = harness(['10.0.5.0/24', '10.0.6.1:5683', '2001:db8::7']);
    h.register(CLIENT, SERVER, 'meter-1', 0);
    h.send('10.0.5.200:61000', CLIENT, { code: 'GET', path: '/3/0', token: 'c1', ts: 1 });
    h.send('10.0.6.1:5683', CLIENT, { code: 'GET', path: '/3/0', token: 'c2', ts: 2 });
    h.send('[2001:db8:0::7]:5683', CLIENT, { code: 'GET', path: '/3/0', token: 'c3', ts: 3 });
    expect(h.events).toEqual([]);
    const other = h.send('10.0.6.1:5684', CLIENT, { code: 'GET', path: '/3/0', token: 'c4', ts: 4 });
    const outside = h.send('10.0.7.1:5683', CLIENT, { code: 'GET', path: '/3/0', token: 'c5', ts: 5 });
    expect(rulesFired(h)).toEqual([`request-from-stranger ${other.coap.frame}`, `request-from-stranger ${outside.coap.frame}`]);
  });

  it('--servers judges the peer of an endpoint whose own servers are not known', () => {
    // A bound of one endpoint: registering meter-2 forgets meter-1's servers.
    const declared = new RuleHarness(DEFAULTS, undefined, { endpointServers: 1 }, new DeclaredServers(['10.0.0.0/8']));
    const undeclared = new RuleHarness(DEFAULTS, undefined, { endpointServers: 1 });
    for (const h of [declared, undeclared]) {
      h.register(CLIENT, SERVER, 'meter-1', 0);
      h.register('10.1.0.2:56830', SERVER, 'meter-2', 1);
      h.send('203.0.113.9:5683', CLIENT, { code: 'GET', path: '/3/0', token: 'c1', ts: 2 });
    }
    expect(declared.events.map((e) => [e.rule, e.endpoint])).toEqual([['request-from-stranger', 'meter-1']]);
    expect(undeclared.events).toEqual([]);
  });
});

describe('server sockets per endpoint', () => {
  it('keeps the first ones and counts those past the bound', () => {
    const counters = new OverflowCounters();
    const h = new RuleHarness(DEFAULTS, counters, { serversPerEndpoint: 1 });
    h.register(CLIENT, SERVER, 'meter-1', 0);
    registerAgain(h, CLIENT, 'meter-1', 10, 1, '6', '10.0.0.2:5683');
    expect(counters.overflows()).toEqual([{ table: RULE_TABLES.serversPerEndpoint, bound: 1, evicted: 1 }]);
    h.send(SERVER, CLIENT, { code: 'GET', path: '/3/0', token: 'c1', ts: 20 });
    const second = h.send('10.0.0.2:5683', CLIENT, { code: 'GET', path: '/3/0', token: 'c2', ts: 21 });
    expect(rulesFired(h)).toEqual([`request-from-stranger ${second.coap.frame}`]);
  });
});

describe('server sockets per endpoint, several', () => {
  it('every socket kept is a server of the endpoint; one past the bound is a stranger', () => {
    const counters = new OverflowCounters();
    const h = new RuleHarness(DEFAULTS, counters, { serversPerEndpoint: 2 });
    h.register(CLIENT, SERVER, 'meter-1', 0);
    registerAgain(h, CLIENT, 'meter-1', 10, 1, '6', '10.0.0.2:5683');
    registerAgain(h, CLIENT, 'meter-1', 20, 2, '7', '10.0.0.3:5683');
    expect(counters.overflows()).toEqual([{ table: RULE_TABLES.serversPerEndpoint, bound: 2, evicted: 1 }]);
    h.send(SERVER, CLIENT, { code: 'GET', path: '/3/0', token: 'c1', ts: 30 });
    h.send('10.0.0.2:5683', CLIENT, { code: 'GET', path: '/3/0', token: 'c2', ts: 31 });
    const third = h.send('10.0.0.3:5683', CLIENT, { code: 'GET', path: '/3/0', token: 'c3', ts: 32 });
    expect(rulesFired(h)).toEqual([`request-from-stranger ${third.coap.frame}`]);
  });
});

describe('endpoint-name-conflict', () => {
  it('a re-register from a new port of the same host is a reboot; the name going back to the port it left is a conflict', () => {
    const h = harness();
    h.register(CLIENT, SERVER, 'meter-1', 0);
    registerAgain(h, CLIENT_HOST_OTHER, 'meter-1', 10, 1, '6');
    expect(h.events).toEqual([]);
    registerAgain(h, CLIENT, 'meter-1', 20, 2, '7');
    expect(h.events.map((e) => [e.rule, e.src, e.details])).toEqual([
      ['endpoint-name-conflict', CLIENT, { endpoint: 'meter-1', from: CLIENT, registeredFrom: CLIENT_HOST_OTHER }],
    ]);
  });
});

describe('registration hijack', () => {
  it('registration-deleted-by-stranger: a DELETE on the location from another socket, even on the client\'s host', () => {
    const h = harness();
    h.register(CLIENT, SERVER, 'meter-1', 0);
    const foreign = h.send(CLIENT_HOST_OTHER, SERVER, { code: 'DELETE', path: '/rd/5', token: 'd1', ts: 10 });
    expect(h.events.map((e) => [e.rule, e.severity, e.frame, e.endpoint, e.details])).toEqual([[
      'registration-deleted-by-stranger', 'high', foreign.coap.frame, 'meter-1',
      { endpoint: 'meter-1', from: CLIENT_HOST_OTHER, location: '/rd/5', registeredFrom: CLIENT },
    ]]);
  });

  it('registration-deleted-by-stranger: the client deleting its own registration is no event', () => {
    const h = harness();
    h.register(CLIENT, SERVER, 'meter-1', 0);
    h.send(CLIENT, SERVER, { code: 'DELETE', path: '/rd/5', token: 'd1', ts: 10 });
    expect(h.events).toEqual([]);
  });

  it('registration-hijacked: an Update from elsewhere, then the client updating again from the socket it had', () => {
    const h = harness();
    h.register(CLIENT, SERVER, 'meter-1', 0);
    onRegistration(h, '203.0.113.9:5683', 10, 1);
    const back = onRegistration(h, CLIENT, 20, 2);
    // The address changes twice (low, each time); the return to the old socket is the hijack.
    expect(h.events.map((e) => [e.rule, e.severity])).toEqual([['endpoint-address-changed', 'low'], ['endpoint-address-changed', 'low'], ['registration-hijacked', 'high']]);
    expect(h.events[2]).toMatchObject({
      frame: back.coap.frame, endpoint: 'meter-1',
      details: { from: CLIENT, takenOverBy: '203.0.113.9:5683', takenOverAt: back.coap.frame - 1, location: '/rd/5' },
    });
  });

  it('registration-hijacked: the client deregistering from the socket a stranger\'s Update took the registration from', () => {
    const h = harness();
    h.register(CLIENT, SERVER, 'meter-1', 0);
    onRegistration(h, '203.0.113.9:5683', 10, 1);
    const deregister = onRegistration(h, CLIENT, 20, 2, '2.02', 'DELETE');
    // Not registration-deleted-by-stranger: the real client is no stranger to its registration.
    expect(alerts(h)).toEqual([`registration-hijacked ${deregister.coap.frame}`]);
    expect(h.events.at(-1)!.details).toMatchObject({ from: CLIENT, takenOverBy: '203.0.113.9:5683' });
  });

  it('registration-hijacked: a takeover the server refused is none', () => {
    const h = harness();
    h.register(CLIENT, SERVER, 'meter-1', 0);
    onRegistration(h, '203.0.113.9:5683', 10, 1, '4.03');
    onRegistration(h, CLIENT, 20, 2);
    expect(h.events.filter((e) => e.rule === 'registration-hijacked')).toEqual([]);
  });

  it('registration-hijacked: NAT rebinding (a new socket, kept) is no hijack', () => {
    const h = harness();
    h.register(CLIENT, SERVER, 'meter-1', 0);
    onRegistration(h, CLIENT_HOST_OTHER, 10, 1);
    onRegistration(h, CLIENT_HOST_OTHER, 20, 2);
    expect(h.events.map((e) => e.rule)).toEqual(['endpoint-address-changed']);
  });

  it('a reboot (Register from a new port of the same host) followed by silence of the old socket raises nothing', () => {
    const h = harness();
    h.register(CLIENT, SERVER, 'meter-1', 0);
    onRegistration(h, CLIENT, 100, 1);
    registerAgain(h, CLIENT_HOST_OTHER, 'meter-1', 200, 2, '6');
    onRegistration(h, CLIENT_HOST_OTHER, 300, 3, '2.04', 'POST', '/rd/6');
    h.send(SERVER, CLIENT_HOST_OTHER, { code: 'GET', path: '/3/0', token: 'c1', mid: 300, ts: 310 });
    h.send(CLIENT_HOST_OTHER, SERVER, { code: '2.05', type: 'ACK', token: 'c1', mid: 300, ts: 310.01, payload: 'x', options: [['Content-Format', Buffer.from([0])]] });
    onRegistration(h, CLIENT_HOST_OTHER, 400, 4, '2.02', 'DELETE', '/rd/6');
    expect(h.events).toEqual([]);
  });

  it('registration-hijacked: a second client on the same host took the name; the first one\'s De-register after the location was deleted', () => {
    const h = harness();
    h.register(CLIENT, SERVER, 'meter-1', 0);
    // The server gives the second client the same location, as Wakaama does.
    registerAgain(h, CLIENT_HOST_OTHER, 'meter-1', 10, 1, '5');
    onRegistration(h, CLIENT_HOST_OTHER, 20, 2, '2.02', 'DELETE');
    expect(h.events).toEqual([]);
    const late = onRegistration(h, CLIENT, 30, 3, '4.00', 'DELETE');
    // The LwM2M stage no longer knows /rd/5; the event still names the endpoint.
    expect(late.lwm2m?.endpoint).toBeNull();
    expect(h.events.map((e) => [e.rule, e.frame, e.endpoint, e.src, e.details])).toEqual([[
      'registration-hijacked', late.coap.frame, 'meter-1', CLIENT,
      { endpoint: 'meter-1', from: CLIENT, location: '/rd/5', takenOverBy: CLIENT_HOST_OTHER, takenOverAt: late.coap.frame - 3 },
    ]]);
  });

  it('the socket that lost a registration and registers again holds it: its later Updates are no hijack', () => {
    const h = harness();
    h.register(CLIENT, SERVER, 'meter-1', 0);
    registerAgain(h, CLIENT_HOST_OTHER, 'meter-1', 10, 1, '6');
    registerAgain(h, CLIENT, 'meter-1', 20, 2, '7');
    onRegistration(h, CLIENT, 30, 3, '2.04', 'POST', '/rd/7');
    // The Register back is endpoint-name-conflict's (the name returning to the port it left); the Update after it is the holder's own.
    expect(h.events.map((e) => e.rule)).toEqual(['endpoint-name-conflict']);
  });

  it('a client registered with two servers, from one socket for each, is no hijack', () => {
    const h = harness();
    const second = '10.0.0.2:5683';
    h.register(CLIENT, SERVER, 'meter-1', 0);
    registerAgain(h, CLIENT_HOST_OTHER, 'meter-1', 1, 1, '9', second);
    onRegistration(h, CLIENT, 100, 2);
    const token = 'dd01';
    h.send(CLIENT_HOST_OTHER, second, { code: 'POST', path: '/rd/9', token, mid: 400, ts: 101 });
    h.send(second, CLIENT_HOST_OTHER, { code: '2.04', type: 'ACK', token, mid: 400, ts: 101.01 });
    // The state keeps one address per endpoint name, so each Update moves it (low); no socket lost its registration.
    onRegistration(h, CLIENT, 200, 3);
    expect(alerts(h)).toEqual([]);
  });

  it('superseded sockets: the table is bounded, and what it drops is counted', () => {
    const counters = new OverflowCounters();
    const h = new RuleHarness(DEFAULTS, counters, { supersededSockets: 1 });
    h.register(CLIENT, SERVER, 'meter-1', 0);
    h.register('10.1.0.2:56830', SERVER, 'meter-2', 1);
    registerAgain(h, '10.1.0.1:40001', 'meter-1', 10, 1, '5');
    registerAgain(h, '10.1.0.2:40001', 'meter-2', 11, 2, '6');
    expect(counters.overflows()).toEqual([{ table: RULE_TABLES.supersededSockets, bound: 1, evicted: 1 }]);
    // meter-1's old socket was dropped: its return is no longer recognised; meter-2's is.
    onRegistration(h, CLIENT, 20, 3, '4.04');
    const second = onRegistration(h, '10.1.0.2:56830', 21, 4, '4.04');
    expect(h.events.filter((e) => e.rule === 'registration-hijacked').map((e) => e.frame)).toEqual([second.coap.frame]);
  });
});

describe('--servers entries', () => {
  it('parses hosts, sockets and subnets of both families', () => {
    expect(parseServerSpec('198.51.100.7')).toEqual({ host: '198.51.100.7', family: 'ipv4', port: null, prefix: null });
    expect(parseServerSpec(' 198.51.100.7:5684 ')).toEqual({ host: '198.51.100.7', family: 'ipv4', port: 5684, prefix: null });
    expect(parseServerSpec('198.51.100.0/24')).toEqual({ host: '198.51.100.0', family: 'ipv4', port: null, prefix: 24 });
    expect(parseServerSpec('2001:db8::7')).toEqual({ host: '2001:db8::7', family: 'ipv6', port: null, prefix: null });
    expect(parseServerSpec('[2001:db8::7]:5683')).toEqual({ host: '2001:db8::7', family: 'ipv6', port: 5683, prefix: null });
    expect(parseServerSpec('2001:db8::/32')).toEqual({ host: '2001:db8::', family: 'ipv6', port: null, prefix: 32 });
  });

  it.each(['', 'server.example', '198.51.100.7:0', '198.51.100.7:65536', '198.51.100.7:http', '198.51.100.0/33', '2001:db8::/129', '10.0.0.1/', '[2001:db8::7', '[2001:db8::7]x', '300.1.1.1'])(
    'refuses %j with the reason', (spec) => {
      expect(() => parseServerSpec(spec)).toThrow(/is not a server address \(.+; expected ADDR, ADDR:PORT/);
    },
  );

  it('matches sockets as the decoder writes them', () => {
    const servers = new DeclaredServers(['10.0.0.0/8', '192.0.2.1:5683', '[2001:db8::1]:5684', '2001:db8:1::/48']);
    expect(['10.9.9.9:1', '192.0.2.1:5683', '[2001:db8::1]:5684', '[2001:db8:1:ffff::2]:5683'].map((s) => servers.has(s))).toEqual([true, true, true, true]);
    expect(['11.0.0.1:5683', '192.0.2.1:5684', '[2001:db8::1]:5683', '[2001:db8:2::1]:5683', 'garbage'].map((s) => servers.has(s))).toEqual([false, false, false, false, false]);
  });
});
