import { describe, expect, it } from 'vitest';
import { DtlsStage, type DtlsEvent } from '../../../src/dtls/index.js';
import { MAX_CERTIFICATES } from '../../../src/dtls/handshake.js';
import { MAX_ALERTS } from '../../../src/dtls/lifecycle.js';
import { OverflowCounters } from '../../../src/util/bounded-map.js';
import {
  CERT_DER, CLIENT, SERVER, certificateMessage, clientHello, datagram, extension, handshake, record, serverHello, sni, vec,
} from './builders.js';

function stage(opts: ConstructorParameters<typeof DtlsStage>[0] = {}) {
  const events: DtlsEvent[] = [];
  const s = new DtlsStage({ ...opts, onEvent: (e) => events.push({ ...e, session: structuredClone(e.session) }) });
  const plain: Buffer[] = [];
  const send = (fromClient: boolean, payload: Buffer) => s.handle(datagram(fromClient, payload), (d) => plain.push(d.payload));
  return { s, events, plain, send, changes: () => events.map((e) => e.change) };
}

describe('DTLS session table', () => {
  it('a certificate handshake ending in a fatal alert: offered suites, SNI, max fragment length, CID, certificate, failure', () => {
    const { events, send, changes, s } = stage();
    send(true, record(22, 0, 0, handshake(1, 0, clientHello([0xc0ae, 0xc0a8, 0x002f], [sni('lwm2m.example'), extension(1, Buffer.from([2])), extension(54, vec(1, Buffer.from('0102', 'hex')))]))));
    send(false, Buffer.concat([
      record(22, 0, 1, handshake(2, 1, serverHello(0xc0ae))),
      record(22, 0, 2, handshake(11, 2, certificateMessage([CERT_DER]))),
    ]));
    send(true, record(21, 0, 1, Buffer.from([2, 42])));
    expect(changes()).toEqual(['client-hello', 'server-hello', 'alert', 'handshake-failed']);
    const last = events.at(-1)!.session;
    expect(last).toMatchObject({
      client: CLIENT, server: SERVER, state: 'failed', reason: 'fatal alert bad_certificate', version: 'DTLS 1.2',
      cipherSuite: 'TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8', cipherSuiteId: 0xc0ae, sni: 'lwm2m.example', maxFragmentLength: 1024,
      connectionId: { client: '0102', server: null }, weakSuite: false, cbcSuite: false, handshakeSeen: true,
    });
    expect(last.offeredSuites).toEqual(['TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8', 'TLS_PSK_WITH_AES_128_CCM_8', 'TLS_RSA_WITH_AES_128_CBC_SHA']);
    expect(last.certificates).toEqual([{ subject: 'CN=lwm2m.example, O=coapwatch test', issuer: 'CN=lwm2m.example, O=coapwatch test', notBefore: expect.stringMatching(/^2026-11-23T/), notAfter: expect.stringMatching(/^2036-11-20T/), error: null }]);
    expect(last.alerts).toMatchObject([{ level: 'fatal', description: 'bad_certificate', from: CLIENT }]);
    expect(s.stats).toMatchObject({ sessions: 1, failed: 1, established: 0 });
  });

  it('dtls.certificates: a chain longer than a session keeps is cut, and counted', () => {
    const counters = new OverflowCounters();
    const { events, send } = stage({ counters });
    send(true, record(22, 0, 0, handshake(1, 0, clientHello([0xc0ae]))));
    send(false, Buffer.concat([
      record(22, 0, 1, handshake(2, 1, serverHello(0xc0ae))),
      record(22, 0, 2, handshake(11, 2, certificateMessage(Array(MAX_CERTIFICATES + 1).fill(CERT_DER)))),
    ]));
    send(true, record(21, 0, 1, Buffer.from([2, 42])));
    expect(events.at(-1)!.session.certificates).toHaveLength(MAX_CERTIFICATES);
    expect(counters.overflows()).toEqual([{ table: 'dtls.certificates', bound: MAX_CERTIFICATES, evicted: 1 }]);
  });

  it('dtls.alerts: alerts past what a session keeps are still reported, not kept, and counted', () => {
    const counters = new OverflowCounters();
    const { events, send } = stage({ counters });
    send(true, record(22, 0, 0, handshake(1, 0, clientHello([0xc0ae]))));
    // Warning alerts (no_certificate) do not end the handshake.
    for (let i = 0; i < MAX_ALERTS + 2; i++) send(true, record(21, 0, 1 + i, Buffer.from([1, 41])));
    expect(events.filter((e) => e.change === 'alert')).toHaveLength(MAX_ALERTS + 2);
    expect(events.at(-1)!.session.alerts).toHaveLength(MAX_ALERTS);
    expect(counters.overflows()).toEqual([{ table: 'dtls.alerts', bound: MAX_ALERTS, evicted: 2 }]);
  });

  it('a handshake message split over two records is reassembled', () => {
    const { events, send } = stage();
    const body = clientHello([0x00ae], [sni('x'.repeat(100))]);
    const half = 60;
    send(true, record(22, 0, 0, handshake(1, 0, body.subarray(0, half), 0, body.length)));
    expect(events).toHaveLength(0);
    send(true, record(22, 0, 1, handshake(1, 0, body.subarray(half), half, body.length)));
    expect(events.map((e) => e.change)).toEqual(['client-hello']);
    expect(events[0].session.sni).toBe('x'.repeat(100));
  });

  it('PSK handshake without a key: identity hint and identity in clear, weak and CBC flags, Finished in epoch 1, encrypted alert closes', () => {
    const { events, send, changes } = stage();
    send(true, record(22, 0, 0, handshake(1, 0, clientHello([0x00ae, 0x008b]))));
    send(false, Buffer.concat([
      record(22, 0, 1, handshake(2, 1, serverHello(0x008b))),
      record(22, 0, 2, handshake(12, 2, vec(2, Buffer.from('hint')))),
      record(22, 0, 3, handshake(14, 3, Buffer.alloc(0))),
    ]));
    send(true, Buffer.concat([record(22, 0, 1, handshake(16, 1, vec(2, Buffer.from('meter-0001')))), record(20, 0, 2, Buffer.from([1])), record(22, 1, 0, Buffer.alloc(40, 7))]));
    send(false, Buffer.concat([record(20, 0, 4, Buffer.from([1])), record(22, 1, 0, Buffer.alloc(40, 9))]));
    send(true, record(23, 1, 1, Buffer.alloc(30)));
    send(true, record(21, 1, 2, Buffer.alloc(18)));
    expect(changes()).toEqual(['client-hello', 'server-hello', 'established', 'alert', 'closed']);
    expect(events.at(-1)!.session).toMatchObject({
      cipherSuite: 'TLS_PSK_WITH_3DES_EDE_CBC_SHA', weakSuite: true, cbcSuite: true, pskIdentityHint: 'hint', pskIdentity: 'meter-0001',
      appDataBytes: 30, records: 11, state: 'closed', decryption: null, alerts: [expect.objectContaining({ level: 'encrypted' })],
    });
  });

  it('the capture began inside a session: application data only', () => {
    const { events, send } = stage();
    send(true, record(23, 1, 5, Buffer.alloc(40)));
    send(false, record(23, 1, 9, Buffer.alloc(24)));
    expect(events.map((e) => e.change)).toEqual(['established']);
    expect(events[0].session).toMatchObject({ handshakeSeen: false, client: CLIENT, server: SERVER, state: 'established', cipherSuite: null });
  });

  it('an unfinished handshake fails at the end of input; a new ClientHello after a finished session opens a new one', () => {
    const { s, events, send } = stage();
    send(true, record(23, 1, 5, Buffer.alloc(40)));
    send(true, record(22, 0, 0, handshake(1, 0, clientHello([0xc0a8], [], Buffer.alloc(32, 1)))));
    expect(events.map((e) => [e.session.id, e.change])).toEqual([[1, 'established'], [1, 'closed'], [2, 'client-hello']]);
    s.finish();
    expect(events.at(-1)).toMatchObject({ change: 'handshake-failed', frame: null });
    expect(events.at(-1)!.session.reason).toMatch(/no ServerHello/);
  });

  it('the table is bounded', () => {
    const s = new DtlsStage({ maxSessions: 3 });
    for (let i = 0; i < 10; i++) {
      const d = datagram(true, record(22, 0, 0, handshake(1, 0, clientHello([0xc0a8]))));
      s.handle({ ...d, src: `10.9.0.${i}:4000` }, () => {});
    }
    expect(s.stats.sessions).toBe(10);
    expect(s.stats.evicted).toBe(7);
    expect(s.currentSessions()).toHaveLength(3);
  });

  it('links a session to an endpoint by PSK identity once the endpoint is known', () => {
    const { s, events, send } = stage();
    send(true, record(22, 0, 0, handshake(1, 0, clientHello([0xc0a8]))));
    send(false, record(22, 0, 1, handshake(2, 1, serverHello(0xc0a8))));
    send(true, record(22, 0, 1, handshake(16, 1, vec(2, Buffer.from('meter-7')))));
    expect(events.at(-1)!.session.endpoint).toBeNull();
    s.endpointIdentified({ endpoint: 'meter-7', client: '192.0.2.1:1234', server: '10.0.0.1:5683', viaDtls: false, frame: 99, ts: 1 });
    expect(events.at(-1)).toMatchObject({ change: 'endpoint', frame: 99 });
    expect(events.at(-1)!.session.endpoint).toBe('meter-7');
  });

  it('claims DTLS on CoAP ports, ClientHellos elsewhere (with the heuristic), and known flows', () => {
    const s = new DtlsStage();
    const ch = record(22, 0, 0, handshake(1, 0, clientHello([0xc0a8])));
    const other = { ...datagram(true, ch), srcPort: 40000, dstPort: 5784, src: '10.1.0.1:40000', dst: '10.0.0.1:5784' };
    expect(s.claims(other)).toBe(true);
    expect(new DtlsStage({ heuristic: false }).claims(other)).toBe(false);
    expect(s.claims({ ...other, payload: record(23, 1, 1, Buffer.alloc(20)) })).toBe(false);
    s.handle(other, () => {});
    expect(s.claims({ ...other, src: other.dst, dst: other.src, payload: record(23, 1, 1, Buffer.alloc(20)) })).toBe(true);
    expect(s.claims({ ...datagram(true, Buffer.from('40010001', 'hex')) })).toBe(false);
  });
});
