import { describe, expect, it } from 'vitest';
import { messageLine } from '../../../src/cli/format/ndjson.js';
import { CODE_STRINGS, decodeCoapUdp, SINGLE, type CoapEvent, type CoapMessage, type MessageRole } from '../../../src/coap/index.js';
import type { Lwm2mInfo } from '../../../src/lwm2m/stage.js';

/*
 * The message line writes runs that depend on a few fields (transport, type and code; role;
 * operation; an option's number and name) as bytes made at their first use. Every combination,
 * written twice over in a varying order, must read back as the fields it was written from.
 */

function message(type: CoapMessage['type'], code: number, options: CoapMessage['options'] = []): CoapMessage {
  const msg = decodeCoapUdp(Buffer.from([0x40, code, 0x12, 0x34]));
  return { ...msg, type, options };
}

function event(transport: CoapEvent['transport'], msg: CoapMessage, role: MessageRole, retransmissionOf: number | null): CoapEvent {
  return {
    frame: 7, ts: 1.5, src: '10.0.0.1:5683', dst: '10.0.0.2:56830', transport, msg, size: 4,
    match: { role, request: null, retransmissionOf, responseTime: null, record: null }, body: msg.payload, block: SINGLE,
  };
}

function lwm2m(operation: Lwm2mInfo['operation']): Lwm2mInfo {
  return { operation, endpoint: 'meter-1', path: null, records: [], objects: null, links: null, payloadError: null };
}

type Line = { transport: string; coap: Record<string, unknown>; lwm2m: Record<string, unknown> | null };

describe('the message line', () => {
  it('writes transport, type, code, role and retransmission as given, in any combination and order', () => {
    const transports = ['udp', 'tcp', 'dtls'] as const;
    const types = ['CON', 'NON', 'ACK', 'RST', null] as const;
    const codes = [0, 1, 0x45, 0x84, 0xff];
    const roles: MessageRole[] = ['request', 'response', 'notification', 'ack', 'reset', 'ping', 'signal'];
    for (let round = 0; round < 2; round++) {
      for (const transport of round === 0 ? transports : [...transports].reverse()) {
        for (const type of types) {
          for (const code of codes) {
            for (const role of roles) {
              for (const retransmissionOf of [null, 3]) {
                const line = JSON.parse(messageLine({ coap: event(transport, message(type, code), role, retransmissionOf), lwm2m: null })) as Line;
                expect(line.transport).toBe(transport);
                expect(line.coap).toMatchObject({
                  type, code: CODE_STRINGS[code], mid: 0x1234, role, retransmission: retransmissionOf !== null, retransmissionOf,
                });
              }
            }
          }
        }
      }
    }
  });

  it('writes each operation as given', () => {
    const operations: Lwm2mInfo['operation'][] = ['notify', 'register', 'update', 'read', 'unknown', 'notify'];
    for (const operation of operations) {
      const line = JSON.parse(messageLine({ coap: event('udp', message('CON', 1), 'request', null), lwm2m: lwm2m(operation) })) as Line;
      expect(line.lwm2m).toMatchObject({ operation, endpoint: 'meter-1' });
    }
  });

  it('writes each option by its number and name, also past the numbers whose start it keeps', () => {
    const options = [
      { number: 6, name: 'Observe', value: 25 },
      { number: 11, name: 'Uri-Path', value: 'rd' },
      { number: 65000, name: 'Unknown-65000', value: 'ab' },
      { number: 1023, name: 'Unknown-1023', value: '01' },
      { number: 1024, name: 'Unknown-1024', value: '02' },
      // The same number under another name (as a message made by hand could carry) is written as it is named.
      { number: 11, name: 'Path', value: 'x' },
    ];
    for (let round = 0; round < 2; round++) {
      const line = JSON.parse(messageLine({ coap: event('udp', message('CON', 1, options), 'request', null), lwm2m: null })) as Line;
      expect(line.coap.options).toEqual(options);
    }
  });
});
