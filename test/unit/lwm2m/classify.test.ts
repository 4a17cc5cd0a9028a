import { describe, expect, it } from 'vitest';
import { CoapFlow, uint } from '../../support/coap-flow.js';

const CLIENT = '10.0.0.2:56830';
const SERVER = '10.0.0.1:5683';
const BOOTSTRAP = '10.0.0.9:5685';

function registered(): CoapFlow {
  const flow = new CoapFlow();
  flow.send(CLIENT, SERVER, { code: '0.02', mid: 1, token: '01', path: '/rd', query: ['ep=meter-7', 'lt=300', 'lwm2m=1.1', 'b=U'], options: [['Content-Format', uint(40)]], payload: '</1/0>,</3/0>,</3305/0>' });
  flow.send(SERVER, CLIENT, { code: '2.01', type: 'ACK', mid: 1, token: '01', options: [['Location-Path', Buffer.from('rd')], ['Location-Path', Buffer.from('5a3')]] });
  return flow;
}

describe('LwM2M operation of server-initiated requests (LwM2M 1.2 core, DM&SE interface)', () => {
  const cases: Array<[string, Parameters<CoapFlow['send']>[2]]> = [
    ['read', { code: '0.01', path: '/3/0/9' }],
    ['read', { code: '0.01', path: '/3305', options: [['Accept', uint(110)]] }],
    ['discover', { code: '0.01', path: '/3/0', options: [['Accept', uint(40)]] }],
    ['observe', { code: '0.01', path: '/3305/0/5800', token: 'aa', options: [['Observe', uint(0)]] }],
    ['cancel-observation', { code: '0.01', path: '/3305/0/5800', token: 'aa', options: [['Observe', uint(1)]] }],
    ['read-composite', { code: '0.05', path: '/', options: [['Content-Format', uint(110)]], payload: '[{"n":"/3/0/9"}]' }],
    ['observe-composite', { code: '0.05', path: '/', options: [['Observe', uint(0)], ['Content-Format', uint(110)]], payload: '[{"n":"/3/0/9"}]' }],
    ['cancel-observation-composite', { code: '0.05', path: '/', options: [['Observe', uint(1)], ['Content-Format', uint(110)]], payload: '[{"n":"/3/0/9"}]' }],
    ['write', { code: '0.03', path: '/1/0/1', options: [['Content-Format', uint(0)]], payload: '600' }],
    ['write', { code: '0.03', path: '/3/0', options: [['Content-Format', uint(11542)]], payload: Buffer.from('c80e06', 'hex') }],
    ['write-partial', { code: '0.02', path: '/3/0', options: [['Content-Format', uint(110)]], payload: '[{"n":"/3/0/14","vs":"+01:00"}]' }],
    ['write-composite', { code: '0.07', path: '/', options: [['Content-Format', uint(110)]], payload: '[{"n":"/3/0/14","vs":"+01:00"}]' }],
    ['write-attributes', { code: '0.03', path: '/3305/0/5800', query: ['pmin=10', 'pmax=60', 'gt=2000'] }],
    ['write-attributes', { code: '0.03', path: '/3/0/9', query: ['pmin', 'pmax'] }],
    ['execute', { code: '0.02', path: '/3/0/4' }],
    ['execute', { code: '0.02', path: '/5/0/2', payload: "0='x'" }],
    ['create', { code: '0.02', path: '/3305', options: [['Content-Format', uint(11542)]], payload: Buffer.from('080100', 'hex') }],
    ['delete', { code: '0.04', path: '/3305/1' }],
    ['unknown', { code: '0.04', path: '/3305' }],
    ['unknown', { code: '0.01', path: '/.well-known/core' }],
  ];
  for (const [operation, spec] of cases) {
    it(`${spec.code} ${spec.path}${spec.query ? '?' + spec.query.join('&') : ''} → ${operation}`, () => {
      const flow = registered();
      const m = flow.send(SERVER, CLIENT, spec);
      expect(m.lwm2m?.operation).toBe(operation);
      expect(m.lwm2m?.endpoint).toBe('meter-7');
    });
  }

  it('a response carries its request operation, endpoint and path, and decodes against the request path', () => {
    const flow = registered();
    flow.send(SERVER, CLIENT, { code: '0.01', mid: 50, token: '0b', path: '/1/0/1' });
    const res = flow.send(CLIENT, SERVER, { code: '2.05', type: 'ACK', mid: 50, token: '0b', options: [['Content-Format', uint(0)]], payload: '300' });
    expect(res.lwm2m).toMatchObject({ operation: 'read', endpoint: 'meter-7', path: '/1/0/1' });
    expect(res.lwm2m?.records).toEqual([{ path: '/1/0/1', name: 'Lifetime', type: 'integer', value: 300 }]);
    expect(res.coap.match.request?.frame).toBe(3);
  });
});

describe('registration interface', () => {
  it('register names the endpoint and lists its objects; update and deregister go to the location', () => {
    const flow = new CoapFlow();
    const reg = flow.send(CLIENT, SERVER, { code: '0.02', mid: 1, token: '01', path: '/rd', query: ['ep=meter-7', 'lt=300'], options: [['Content-Format', uint(40)]], payload: '</>;rt="oma.lwm2m";ct=11543,</1/0>,</3/0>,</3305>;ver=1.1,</3305/0>' });
    expect(reg.lwm2m).toMatchObject({ operation: 'register', endpoint: 'meter-7', path: null, objects: ['/1/0', '/3/0', '/3305', '/3305/0'] });
    flow.send(SERVER, CLIENT, { code: '2.01', type: 'ACK', mid: 1, token: '01', options: [['Location-Path', Buffer.from('rd')], ['Location-Path', Buffer.from('5a3')]] });
    // An update from a new address (NAT rebinding) is still the same endpoint, by its location.
    const moved = '10.0.0.77:40000';
    const upd = flow.send(moved, SERVER, { code: '0.02', mid: 2, token: '02', path: '/rd/5a3', query: ['lt=600'] });
    expect(upd.lwm2m).toMatchObject({ operation: 'update', endpoint: 'meter-7' });
    // Server requests to the new address are attributed to the endpoint too.
    expect(flow.send(SERVER, moved, { code: '0.01', path: '/3/0' }).lwm2m?.endpoint).toBe('meter-7');
    const dereg = flow.send(moved, SERVER, { code: '0.04', mid: 3, token: '03', path: '/rd/5a3' });
    expect(dereg.lwm2m).toMatchObject({ operation: 'deregister', endpoint: 'meter-7' });
  });

  it('register under an alternate root path strips it from the object list', () => {
    const flow = new CoapFlow();
    const reg = flow.send(CLIENT, SERVER, { code: '0.02', path: '/rd', query: ['ep=x'], options: [['Content-Format', uint(40)]], payload: '</lwm2m>;rt="oma.lwm2m",</lwm2m/1/0>,</lwm2m/3/0>' });
    expect(reg.lwm2m?.objects).toEqual(['/1/0', '/3/0']);
  });

  it('send (POST /dp) and ping (empty CON, answered by RST)', () => {
    const flow = registered();
    const send = flow.send(CLIENT, SERVER, { code: '0.02', path: '/dp', options: [['Content-Format', uint(110)]], payload: '[{"n":"/3305/0/5800","v":1234.5,"t":1700000000}]' });
    expect(send.lwm2m).toMatchObject({ operation: 'send', endpoint: 'meter-7' });
    expect(send.lwm2m?.records[0]).toMatchObject({ path: '/3305/0/5800', value: 1234.5 });
    const ping = flow.send(SERVER, CLIENT, { code: '0.00', mid: 77 });
    expect(ping.lwm2m).toMatchObject({ operation: 'ping', endpoint: 'meter-7' });
    const pong = flow.send(CLIENT, SERVER, { code: '0.00', type: 'RST', mid: 77 });
    expect(pong.coap.match.role).toBe('reset');
    expect(pong.lwm2m).toMatchObject({ operation: 'ping', endpoint: 'meter-7' });
    expect(pong.coap.match.request?.frame).toBe(ping.coap.frame);
  });
});

describe('bootstrap interface: the same methods mean bootstrap operations from a bootstrap server', () => {
  it('request, write, read, discover, delete, finish; pack request', () => {
    const flow = new CoapFlow();
    const req = flow.send(CLIENT, BOOTSTRAP, { code: '0.02', mid: 1, token: '01', path: '/bs', query: ['ep=meter-9', 'pct=11542'] });
    expect(req.lwm2m).toMatchObject({ operation: 'bootstrap-request', endpoint: 'meter-9' });
    expect(flow.send(BOOTSTRAP, CLIENT, { code: '2.04', type: 'ACK', mid: 1, token: '01' }).lwm2m?.operation).toBe('bootstrap-request');
    const ops: Array<[string, Parameters<CoapFlow['send']>[2]]> = [
      ['bootstrap-delete', { code: '0.04', path: '/' }],
      ['bootstrap-delete', { code: '0.04', path: '/0/1' }],
      ['bootstrap-write', { code: '0.03', path: '/0/0', options: [['Content-Format', uint(11542)]], payload: Buffer.from('c800', 'hex') }],
      ['bootstrap-write', { code: '0.03', path: '/1/0/1', options: [['Content-Format', uint(0)]], payload: '300' }],
      ['bootstrap-read', { code: '0.01', path: '/1' }],
      ['bootstrap-discover', { code: '0.01', path: '/', options: [['Accept', uint(40)]] }],
      ['bootstrap-finish', { code: '0.02', path: '/bs' }],
    ];
    for (const [operation, spec] of ops) {
      const m = flow.send(BOOTSTRAP, CLIENT, spec);
      expect(m.lwm2m?.operation, `${spec.code} ${spec.path}`).toBe(operation);
      expect(m.lwm2m?.endpoint).toBe('meter-9');
    }
    // A LwM2M server (not the bootstrap server) writing the same path is a plain write.
    expect(flow.send(SERVER, CLIENT, { code: '0.03', path: '/1/0/1', options: [['Content-Format', uint(0)]], payload: '300' }).lwm2m?.operation).toBe('write');
    const pack = flow.send(CLIENT, BOOTSTRAP, { code: '0.01', path: '/bspack', query: ['ep=meter-9'] });
    expect(pack.lwm2m).toMatchObject({ operation: 'bootstrap-pack-request', endpoint: 'meter-9' });
  });
});

describe('observation and notification', () => {
  it('notifications on the observe token are notify with the observed path; cancel by RST ends nothing else', () => {
    const flow = registered();
    flow.send(SERVER, CLIENT, { code: '0.01', mid: 60, token: 'cafe', path: '/3305/0/5800', options: [['Observe', uint(0)]] });
    const first = flow.send(CLIENT, SERVER, { code: '2.05', type: 'ACK', mid: 60, token: 'cafe', options: [['Observe', uint(5)], ['Content-Format', uint(0)]], payload: '1200.5' });
    expect(first.lwm2m).toMatchObject({ operation: 'observe', path: '/3305/0/5800' });
    expect(first.coap.match.responseTime).toBe(1);
    const n = flow.send(CLIENT, SERVER, { code: '2.05', type: 'CON', mid: 9000, token: 'cafe', options: [['Observe', uint(6)], ['Content-Format', uint(0)]], payload: '1300.25' });
    expect(n.coap.match.role).toBe('notification');
    expect(n.lwm2m).toMatchObject({ operation: 'notify', endpoint: 'meter-7', path: '/3305/0/5800' });
    expect(n.lwm2m?.records).toEqual([{ path: '/3305/0/5800', name: 'Instantaneous active power', type: 'float', value: 1300.25 }]);
    const ack = flow.send(SERVER, CLIENT, { code: '0.00', type: 'ACK', mid: 9000 });
    expect(ack.coap.match).toMatchObject({ role: 'ack' });
    expect(ack.lwm2m?.operation).toBe('notify');
    // The same CON notification again: a retransmission of frame n.
    const again = flow.send(CLIENT, SERVER, { code: '2.05', type: 'CON', mid: 9000, token: 'cafe', options: [['Observe', uint(6)], ['Content-Format', uint(0)]], payload: '1300.25' });
    expect(again.coap.match.retransmissionOf).toBe(n.coap.frame);
  });

  it("what answers a message gets that message's reading: a notification's, a separate response's, one of an unknown observation's", () => {
    const flow = registered();
    // The observation's endpoint is known: its notifications share one reading.
    flow.send(SERVER, CLIENT, { code: '0.01', mid: 80, token: 'be', path: '/3305/0/5800', options: [['Observe', uint(0)]] });
    const first = flow.send(CLIENT, SERVER, { code: '2.05', type: 'CON', mid: 9200, token: 'be', options: [['Observe', uint(1)]], payload: '1' });
    expect(first.lwm2m).toMatchObject({ operation: 'observe', path: '/3305/0/5800' });
    // The ACK of the separate first answer is no notification of it.
    expect(flow.send(SERVER, CLIENT, { code: '0.00', type: 'ACK', mid: 9200 }).lwm2m).toMatchObject({ operation: 'unknown', path: null });
    flow.send(CLIENT, SERVER, { code: '2.05', type: 'CON', mid: 9201, token: 'be', options: [['Observe', uint(2)]], payload: '2' });
    const rst = flow.send(SERVER, CLIENT, { code: '0.00', type: 'RST', mid: 9201 });
    expect(rst.lwm2m).toMatchObject({ operation: 'notify', endpoint: 'meter-7', path: '/3305/0/5800' });
    // An observation from a peer with no registration: each notification has a reading of its own.
    const STRANGER = '10.0.0.3:56830';
    flow.send(SERVER, STRANGER, { code: '0.01', mid: 81, token: 'bf', path: '/3/0/9', options: [['Observe', uint(0)]] });
    flow.send(STRANGER, SERVER, { code: '2.05', type: 'ACK', mid: 81, token: 'bf', options: [['Observe', uint(1)]], payload: '50' });
    const n = flow.send(STRANGER, SERVER, { code: '2.05', type: 'CON', mid: 9300, token: 'bf', options: [['Observe', uint(2)]], payload: '49' });
    expect(n.lwm2m).toMatchObject({ operation: 'notify', endpoint: null, path: '/3/0/9' });
    expect(flow.send(SERVER, STRANGER, { code: '0.00', type: 'ACK', mid: 9300 }).lwm2m).toMatchObject({ operation: 'notify', endpoint: null, path: '/3/0/9' });
  });

  it('a notification that arrives after the cancel is still notify, on the cancelled path', () => {
    const flow = registered();
    flow.send(SERVER, CLIENT, { code: '0.01', mid: 70, token: 'f00d', path: '/3/0/9', options: [['Observe', uint(0)]] });
    flow.send(CLIENT, SERVER, { code: '2.05', type: 'ACK', mid: 70, token: 'f00d', options: [['Observe', uint(1)]], payload: '50' });
    flow.send(SERVER, CLIENT, { code: '0.01', mid: 71, token: 'f00d', path: '/3/0/9', options: [['Observe', uint(1)]] });
    const cancelled = flow.send(CLIENT, SERVER, { code: '2.05', type: 'ACK', mid: 71, token: 'f00d', payload: '49' });
    expect(cancelled.lwm2m?.operation).toBe('cancel-observation');
    const late = flow.send(CLIENT, SERVER, { code: '2.05', type: 'NON', mid: 9100, token: 'f00d', options: [['Observe', uint(3)]], payload: '48' });
    expect(late.coap.match.role).toBe('notification');
    expect(late.lwm2m).toMatchObject({ operation: 'notify', endpoint: 'meter-7', path: '/3/0/9' });
  });
});

describe('diagnostic payloads of error responses (RFC 7252 5.5.2)', () => {
  it("a 4.04 to a Register with a text body and no Content-Format is no link-format body (libcoap-dtls-psk.pcap frame 37)", () => {
    const flow = new CoapFlow();
    flow.send(CLIENT, SERVER, { code: '0.02', mid: 1, token: '01', path: '/rd', query: ['ep=wk-dtls-ep', 'lt=300'], options: [['Content-Format', uint(40)]], payload: '</1/0>,</3/0>' });
    const answer = flow.send(SERVER, CLIENT, { code: '4.04', type: 'ACK', mid: 1, token: '01', payload: 'Not Found' });
    expect(answer.lwm2m).toMatchObject({ operation: 'register', payloadError: null, links: null, records: [] });
  });

  it('a 4.00 to a read of a resource is no value of it; an error with a Content-Format is still decoded', () => {
    const flow = registered();
    flow.send(SERVER, CLIENT, { code: '0.01', mid: 2, token: '02', path: '/3/0/0' });
    const diagnostic = flow.send(CLIENT, SERVER, { code: '4.00', type: 'ACK', mid: 2, token: '02', payload: 'bad request' });
    expect(diagnostic.lwm2m).toMatchObject({ operation: 'read', payloadError: null, records: [] });
    flow.send(SERVER, CLIENT, { code: '0.01', mid: 3, token: '03', path: '/3/0/0' });
    const typed = flow.send(CLIENT, SERVER, { code: '4.00', type: 'ACK', mid: 3, token: '03', options: [['Content-Format', uint(0)]], payload: 'x' });
    expect(typed.lwm2m!.records).toHaveLength(1);
  });
});
