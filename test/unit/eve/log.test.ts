import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EveLog, eveTime } from '../../../src/eve/index.js';
import { OverflowCounters } from '../../../src/util/bounded-map.js';
import { CoapFlow } from '../../support/coap-flow.js';

const CLIENT = '10.1.0.1:56830';
const SERVER = '10.0.0.1:5683';

function setup(bound?: number) {
  const path = join(mkdtempSync(join(tmpdir(), 'coapwatch-eve-')), 'eve.json');
  const counters = new OverflowCounters();
  const log = new EveLog({ path, sensor: 'unit', iface: null, ruleById: () => undefined }, counters, bound);
  const flow = new CoapFlow();
  const send = (src: string, dst: string, spec: Parameters<CoapFlow['send']>[2]) => log.message(flow.send(src, dst, spec));
  const lines = () => (log.flush(), readFileSync(path, 'utf8').trimEnd().split('\n').filter(Boolean).map((l) => JSON.parse(l)));
  return { log, send, lines, counters, path };
}

describe('EveLog transactions', () => {
  it('a request waits for its response and is logged with it, once; a retransmission adds nothing', () => {
    const { send, lines } = setup();
    send(SERVER, CLIENT, { code: 'GET', path: '/3/0/9', token: 'aa', mid: 7, ts: 10 });
    send(SERVER, CLIENT, { code: 'GET', path: '/3/0/9', token: 'aa', mid: 7, ts: 12 }); // retransmitted
    expect(lines()).toEqual([]);
    send(CLIENT, SERVER, { code: '2.05', type: 'ACK', token: 'aa', mid: 7, ts: 12.5 });
    const [tx] = lines();
    expect(tx).toMatchObject({
      timestamp: '1970-01-01T00:00:12.500000+0000', event_type: 'coap', src_ip: '10.0.0.1', src_port: 5683, dest_ip: '10.1.0.1', dest_port: 56830,
      proto: 'UDP', app_proto: 'coap', host: 'unit', pcap_cnt: 3,
      coap: { status: 'answered', request: { frame: 1, method: 'GET', uri_path: '/3/0/9' }, response: { frame: 3, code: '2.05' }, response_time: 2.5 },
      lwm2m: { operation: 'read', path: '/3/0/9' },
    });
    expect(lines()).toHaveLength(1);
  });

  it('a request unanswered for an exchange lifetime (247 s of capture time) is logged as unanswered, at that time and at the end', () => {
    const { log, send, lines } = setup();
    send(SERVER, CLIENT, { code: 'GET', path: '/3/0', token: 'a1', ts: 100 });
    send(SERVER, CLIENT, { code: 'GET', path: '/3/0', token: 'a2', ts: 300 });
    log.tick(347);
    expect(lines()).toEqual([]);
    log.tick(348);
    expect(lines().map((l) => [l.coap.status, l.coap.request.token, l.timestamp])).toEqual([['unanswered', 'a1', eveTime(100)]]);
    log.finish();
    expect(lines().map((l) => [l.coap.status, l.coap.request.token])).toEqual([['unanswered', 'a1'], ['unanswered', 'a2']]);
  });

  it('at its bound, the oldest waiting request is logged as unanswered (not lost), and the overflow is counted', () => {
    const { send, lines, counters } = setup(2);
    for (let i = 0; i < 3; i++) send(SERVER, CLIENT, { code: 'GET', path: '/3/0', token: `b${i}`, ts: 10 + i });
    expect(lines().map((l) => [l.coap.status, l.coap.request.token])).toEqual([['unanswered', 'b0']]);
    expect(counters.overflows()).toEqual([{ table: 'eve.pending-transactions', bound: 2, evicted: 1 }]);
  });

  it('a response to no request seen is logged as unmatched, in the request direction', () => {
    const { send, lines } = setup();
    send(CLIENT, SERVER, { code: '2.05', type: 'NON', token: 'ff', ts: 5 });
    expect(lines()[0]).toMatchObject({ src_ip: '10.0.0.1', dest_ip: '10.1.0.1', coap: { status: 'unmatched', request: null, response: { code: '2.05' } } });
  });

  it('timestamps: Suricata\'s form, microseconds, UTC offset', () => {
    expect(eveTime(1_796_653_221.123456)).toBe('2026-12-07T14:20:21.123456+0000');
    expect(eveTime(0.0000004)).toBe('1970-01-01T00:00:00.000000+0000');
    expect(eveTime(59.9999996)).toBe('1970-01-01T00:01:00.000000+0000');
  });

  it('reopen(): the lines after it go to a new file of the same name (logrotate moved the old one)', async () => {
    const { renameSync } = await import('node:fs');
    const { log, send, path } = setup();
    send(CLIENT, SERVER, { code: '2.05', type: 'NON', token: '01', ts: 5 });
    log.flush();
    renameSync(path, `${path}.1`);
    expect(log.reopen()).toBeNull();
    send(CLIENT, SERVER, { code: '2.05', type: 'NON', token: '02', ts: 6 });
    log.close();
    expect(readFileSync(`${path}.1`, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l).coap.response.token)).toEqual(['01']);
    expect(readFileSync(path, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l).coap.response.token)).toEqual(['02']);
  });

  it('text from packets: C1 controls, bidi overrides and line separators are escaped, and read back the same', () => {
    const { send, path, log } = setup();
    const name = 'ev\u009b2J\u202eil\u2028x\u001b';
    send(CLIENT, SERVER, { code: 'POST', path: '/rd', query: [`ep=${name}`, 'lt=300'], token: 'c1', ts: 1 });
    send(SERVER, CLIENT, { code: '2.01', type: 'ACK', token: 'c1', mid: 1000, ts: 2 });
    log.flush();
    const text = readFileSync(path, 'utf8');
    expect(text).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e]/);
    expect(text).toContain('ev\\u009b2J\\u202eil\\u2028x\\u001b');
    expect(JSON.parse(text).lwm2m.endpoint).toBe(name);
  });
});
