import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyzeFile } from '../support/analyze.js';

/** The operations listed frame by frame in the reference captures' README (captures/reference/README.md). */
const dir = join(import.meta.dirname, '../../captures/reference');

function expand(spec: Array<[number, number, string]>): Map<number, string> {
  const out = new Map<number, string>();
  for (const [from, to, op] of spec) for (let f = from; f <= to; f++) out.set(f, op);
  return out;
}

async function operations(name: string) {
  const messages = await analyzeFile(join(dir, `${name}.pcap`), { ports: [56830] });
  return messages;
}

describe('LwM2M operations named as the reference README lists them', () => {
  it('wakaama-register-dm: every device-management operation', async () => {
    const expected = expand([
      [1, 2, 'register'], [3, 10, 'read'], [11, 14, 'discover'], [15, 18, 'write'],
      [19, 20, 'write-partial'], [21, 22, 'write'], [23, 24, 'read'], [25, 30, 'write-attributes'],
      [31, 32, 'create'], [33, 34, 'update'], [35, 36, 'read'], [37, 38, 'delete'], [39, 40, 'update'],
      [41, 44, 'execute'], [45, 46, 'deregister'],
    ]);
    const messages = await operations('wakaama-register-dm');
    expect(messages.map((m) => [m.coap.frame, m.lwm2m?.operation])).toEqual([...expected]);
    for (const m of messages) expect(m.lwm2m?.endpoint, `frame ${m.coap.frame}`).toBe('meter-0001');
    const register = messages[0].lwm2m!;
    expect(register.objects).toEqual(['/1', '/1/0', '/2/0', '/3/0', '/4/0', '/5/0', '/6/0', '/7/0', '/31024', '/31024/10', '/31024/11', '/31024/12']);
    expect(messages[42].lwm2m!.path).toBe('/3/0/4');
  });

  it('wakaama-register-dm: values written and read are decoded with registry names', async () => {
    const messages = await operations('wakaama-register-dm');
    const at = (frame: number) => messages.find((m) => m.coap.frame === frame)!.lwm2m!;
    expect(at(15).records).toEqual([{ path: '/3/0/14', name: 'UTC Offset', type: 'string', value: '+02:00' }]);
    expect(at(17).records).toEqual([{ path: '/1/0/1', name: 'Lifetime', type: 'integer', value: 600 }]);
    const device = at(4).records;
    expect(device.find((r) => r.path === '/3/0/0')).toMatchObject({ name: 'Manufacturer', type: 'string' });
    expect(at(4).path).toBe('/3/0');
    expect(at(4).payloadError).toBeNull();
  });

  it('wakaama-observe: observe, notify, cancel, send', async () => {
    const expected = expand([
      [1, 2, 'register'], [3, 6, 'observe'], [7, 11, 'notify'], [12, 15, 'cancel-observation'],
      [16, 19, 'send'], [20, 21, 'deregister'],
    ]);
    const messages = await operations('wakaama-observe');
    expect(messages.map((m) => [m.coap.frame, m.lwm2m?.operation])).toEqual([...expected]);
    for (const m of messages) expect(m.lwm2m?.endpoint, `frame ${m.coap.frame}`).toBe('meter-0002');
    const battery = [7, 8, 9, 10].map((f) => messages.find((m) => m.coap.frame === f)!.lwm2m!.records);
    expect(battery.map((r) => r.map((x) => [x.path, x.value]))).toEqual([
      [['/3/0/9', 55]], [['/3/0/9', 60]], [['/3/0/9', 42]], [['/3/0/9', 17]],
    ]);
    expect(messages.find((m) => m.coap.frame === 7)!.lwm2m!.path).toBe('/3/0/9');
    expect(messages.find((m) => m.coap.frame === 7)!.coap.match.request?.frame).toBe(3);
  });

  it('wakaama-blockwise: block-wise register and reads, decoded from the reassembled bodies', async () => {
    const expected = expand([[1, 6, 'register'], [7, 34, 'read'], [35, 40, 'discover'], [41, 42, 'deregister']]);
    const messages = await operations('wakaama-blockwise');
    expect(messages.map((m) => [m.coap.frame, m.lwm2m?.operation])).toEqual([...expected]);
    for (const m of messages) expect(m.lwm2m?.endpoint, `frame ${m.coap.frame}`).toBe('meter-block');
    const at = (frame: number) => messages.find((m) => m.coap.frame === frame)!;
    expect(at(1).lwm2m!.objects).toBeNull(); // first block: body not complete yet
    expect(at(5).coap.block.state).toBe('complete');
    expect(at(5).lwm2m!.objects).toContain('/3/0');
    expect(at(20).coap.block).toMatchObject({ state: 'complete', body: { blocks: 7, firstFrame: 8 } });
    expect(at(20).lwm2m!.records.find((r) => r.path === '/3/0/0')?.name).toBe('Manufacturer');
    expect(at(34).lwm2m!.records.length).toBeGreaterThan(0);
    expect(at(40).lwm2m!.links?.length).toBeGreaterThan(0);
    for (const f of [8, 10, 18]) expect(at(f).lwm2m!.records).toEqual([]);
  });

  it('libcoap-block-observe: plain CoAP is not given an LwM2M meaning', async () => {
    const messages = await analyzeFile(join(dir, 'libcoap-block-observe.pcap'));
    expect(messages.length).toBe(74);
    for (const m of messages) {
      expect(m.lwm2m?.operation).toBe('unknown');
      expect(m.lwm2m?.endpoint).toBeNull();
    }
  });
});
