import { describe, expect, it } from 'vitest';
import { endpointIdentified } from '../../../src/lwm2m/index.js';
import type { AnalyzedMessage } from '../../../src/pipeline/index.js';
import { CoapFlow } from '../../support/coap-flow.js';

const METER = '192.0.2.10:56830';
const SERVER = '198.51.100.1:5683';

function identified(m: AnalyzedMessage, transport: 'udp' | 'dtls' = 'udp') {
  return endpointIdentified({ ...m.coap, transport }, m.lwm2m!);
}

describe('endpointIdentified', () => {
  const registered = () => {
    const flow = new CoapFlow();
    const register = flow.send(METER, SERVER, { code: '0.02', token: '01', path: '/rd', query: ['ep=meter-1', 'lt=300'], payload: '</3/0>' });
    const created = flow.send(SERVER, METER, { code: '2.01', type: 'ACK', mid: register.coap.msg.mid, token: '01', options: [['Location-Path', Buffer.from('rd')], ['Location-Path', Buffer.from('a1')]] });
    return { flow, register, created };
  };

  it('a Register names its sender; its response names nobody', () => {
    const { register, created } = registered();
    expect(identified(register)).toEqual({ endpoint: 'meter-1', client: METER, server: SERVER, viaDtls: false, frame: 1, ts: 1001 });
    expect(identified(created)).toBeNull();
  });

  it('an Update names its sender, from a new address too', () => {
    const { flow } = registered();
    const update = flow.send('192.0.2.99:40000', SERVER, { code: '0.02', token: '02', path: '/rd/a1' });
    expect(identified(update)).toMatchObject({ endpoint: 'meter-1', client: '192.0.2.99:40000', server: SERVER, viaDtls: false });
  });

  it('a server request names the endpoint only inside a decrypted session, with the client as the receiver', () => {
    const { flow } = registered();
    const read = flow.send(SERVER, METER, { code: '0.01', token: '03', path: '/3/0/0' });
    expect(read.lwm2m).toMatchObject({ operation: 'read', endpoint: 'meter-1' });
    expect(identified(read)).toBeNull();
    expect(identified(read, 'dtls')).toMatchObject({ endpoint: 'meter-1', client: METER, server: SERVER, viaDtls: true });
  });

  it('a request without an endpoint names nobody', () => {
    const flow = new CoapFlow();
    const anonymous = flow.send(METER, SERVER, { code: '0.02', token: '04', path: '/dp' });
    expect(anonymous.lwm2m).toMatchObject({ operation: 'send', endpoint: null });
    expect(identified(anonymous)).toBeNull();
    expect(identified(anonymous, 'dtls')).toBeNull();
  });
});
