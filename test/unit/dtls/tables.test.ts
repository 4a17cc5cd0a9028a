import { describe, expect, it } from 'vitest';
import type { Datagram } from '../../../src/decode/types.js';
import { DtlsStage, type DtlsEvent } from '../../../src/dtls/index.js';
import { KnownEndpoints } from '../../../src/dtls/sessions.js';
import { OverflowCounters } from '../../../src/util/bounded-map.js';
import { SERVER, clientHello, datagram, handshake, record, serverHello, vec } from './builders.js';

const PSK_SUITE = 0xc0a8; // TLS_PSK_WITH_AES_128_CCM_8

/** A stage whose datagrams come from (or go to) client `n` at 10.9.0.n. */
function stage(maxSessions: number, counters?: OverflowCounters) {
  const events: DtlsEvent[] = [];
  const s = new DtlsStage({ maxSessions, counters, onEvent: (e) => events.push({ ...e, session: structuredClone(e.session) }) });
  const client = (n: number) => `10.9.0.${n}:4000`;
  const send = (n: number, fromClient: boolean, payload: Buffer) => {
    const d = datagram(fromClient, payload);
    const moved: Datagram = fromClient ? { ...d, src: client(n), srcPort: 4000 } : { ...d, dst: client(n), dstPort: 4000 };
    s.handle(moved, () => {});
  };
  const hello = (n: number) => send(n, true, record(22, 0, 0, handshake(1, 0, clientHello([PSK_SUITE]))));
  /** A PSK handshake up to the client's key exchange naming `identity`. */
  const pskHandshake = (n: number, identity: string) => {
    hello(n);
    send(n, false, record(22, 0, 1, handshake(2, 1, serverHello(PSK_SUITE))));
    send(n, true, record(22, 0, 1, handshake(16, 1, vec(2, Buffer.from(identity)))));
  };
  const sessionsByClient = () => s.currentSessions().map((x) => x.client);
  return { s, events, client, send, hello, pskHandshake, sessionsByClient };
}

describe('DTLS session table bounds', () => {
  it('a full table drops the session least recently active, not the oldest', () => {
    const { s, client, send, hello, sessionsByClient } = stage(3);
    for (const n of [1, 2, 3]) hello(n);
    send(1, true, record(23, 1, 1, Buffer.alloc(24))); // session 1 is active again
    hello(4);
    expect(sessionsByClient()).toEqual([client(1), client(3), client(4)]);
    expect(s.stats.evicted).toBe(1);
  });

  it('drops are counted in the run counters, with every table of the stage and its bound', () => {
    const counters = new OverflowCounters();
    const { hello } = stage(2, counters);
    for (let n = 1; n <= 5; n++) hello(n);
    expect(counters.overflows()).toEqual([{ table: 'dtls.sessions', bound: 2, evicted: 3 }]);
    expect(counters.tables().map((t) => t.table)).toEqual([
      'dtls.sessions', 'dtls.sessions-by-client', 'dtls.sessions-by-psk-identity', 'dtls.endpoint-names', 'dtls.endpoint-by-address',
      'dtls.certificates', 'dtls.alerts',
    ]);
  });

  it('the default bounds hold a fleet of 10^6 endpoints', () => {
    const counters = new OverflowCounters();
    new DtlsStage({ counters });
    // dtls.certificates and dtls.alerts bound one session's lists, not tables of the fleet.
    const tables = counters.tables().filter((t) => t.table !== 'dtls.certificates' && t.table !== 'dtls.alerts');
    expect(tables).toHaveLength(5);
    for (const t of tables) expect(t.bound, t.table).toBeGreaterThanOrEqual(1_000_000);
  });

  it('a dropped session is no longer found by its PSK identity or client address', () => {
    const { s, events, client, pskHandshake, hello } = stage(1);
    pskHandshake(1, 'meter-1');
    hello(2);
    expect(s.stats.evicted).toBe(1);
    const before = events.length;
    s.endpointIdentified({ endpoint: 'meter-1', client: client(1), server: SERVER, viaDtls: false, frame: 50, ts: 1 });
    expect(events.slice(before)).toEqual([]);
  });

  it('a session whose ClientKeyExchange is repeated with another identity is found by the new one only', () => {
    const { s, events, send, pskHandshake } = stage(10);
    pskHandshake(1, 'meter-1');
    send(1, true, record(22, 0, 2, handshake(16, 2, vec(2, Buffer.from('meter-2')))));
    s.endpointIdentified({ endpoint: 'meter-1', client: '10.7.0.1:1', server: SERVER, viaDtls: false, frame: 60, ts: 1 });
    expect(events.filter((e) => e.change === 'endpoint')).toEqual([]);
    s.endpointIdentified({ endpoint: 'meter-2', client: '10.7.0.2:1', server: SERVER, viaDtls: false, frame: 61, ts: 1 });
    expect(events.filter((e) => e.change === 'endpoint').map((e) => [e.frame, e.session.endpoint])).toEqual([[61, 'meter-2']]);
  });
});

describe('KnownEndpoints', () => {
  it('keeps the endpoints most recently seen up to its bound, counting what it drops', () => {
    const counters = new OverflowCounters();
    const known = new KnownEndpoints(2, counters);
    known.seen('meter-1', '10.0.0.1:1');
    known.seen('meter-2', '10.0.0.2:1');
    known.seen('meter-1', '10.0.0.1:1');
    known.seen('meter-3', '10.0.0.3:1');
    expect(['meter-1', 'meter-2', 'meter-3'].map((e) => known.isEndpoint(e))).toEqual([true, false, true]);
    expect(['10.0.0.1:1', '10.0.0.2:1', '10.0.0.3:1'].map((a) => known.at(a))).toEqual(['meter-1', undefined, 'meter-3']);
    expect(counters.overflows()).toEqual([
      { table: 'dtls.endpoint-names', bound: 2, evicted: 1 }, { table: 'dtls.endpoint-by-address', bound: 2, evicted: 1 },
    ]);
  });
});
