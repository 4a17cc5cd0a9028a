import { describe, expect, it } from 'vitest';
import { messageLine } from '../../../src/cli/format/ndjson.js';
import { isSecretResource } from '../../../src/lwm2m/index.js';
import { CoapFlow } from '../../support/coap-flow.js';

describe('key material in message records', () => {
  it('writes the length of a Secret Key, never its value', () => {
    const flow = new CoapFlow();
    const key = Buffer.from('73657361 6d652d6b6579'.replace(' ', ''), 'hex');
    const m = flow.send('10.0.0.2:5683', '10.1.0.1:56830', { code: 'PUT', path: '/0/1/5', token: '01', payload: key, options: [['Content-Format', Buffer.from([42])]] });
    const line = messageLine(m);
    expect(line).not.toContain(key.toString('hex'));
    const record = JSON.parse(line).lwm2m.records[0];
    expect(record).toEqual({ path: '/0/1/5', name: 'Secret Key', type: 'opaque', value: null, redacted: true, length: key.length });
  });

  it('knows which resources are key material', () => {
    expect(['/0/0/5', '/0/12/5', '/21/0/0', '/21/1/5', '/0/0/5/0'].every(isSecretResource)).toBe(true);
    expect(['/0/0/0', '/0/0/3', '/0/0/50', '/21/0/1', '/2/0/5', '/3/0/5', '/0', '/210/0/0'].some(isSecretResource)).toBe(false);
  });
});
