import { generate } from 'coap-packet';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { Datagram } from '../decode/types.js';
import { AnalysisPipeline } from '../pipeline/index.js';
import { StateTracker } from '../state/index.js';

/*
 * Memory per idle endpoint: N clients register (Register and its 2.01 through the real CoAP and
 * LwM2M stages into the state tracker with full content tracking), then capture time moves on
 * past the exchange lifetime with a little traffic from one other host, so that only what an idle
 * registered endpoint keeps is left. Prints one line of JSON. Run by `npm run bench` in its own
 * process (it needs a clean heap and --expose-gc).
 */
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const SERVER = '10.0.0.1:5683';
const n = Number(process.argv[2] ?? 100_000);
const links = Buffer.from('</>;rt="oma.lwm2m";ct=11543,</1/0>,</3/0>,</3305/0>,</3305/1>,</3305/2>');

function datagram(frame: number, ts: number, src: string, dst: string, packet: Parameters<typeof generate>[0]): Datagram {
  const port = (a: string) => Number(a.slice(a.lastIndexOf(':') + 1));
  return { frame, ts, transport: 'udp', src, dst, srcPort: port(src), dstPort: port(dst), payload: generate(packet) };
}

const tracker = new StateTracker();
const pipeline = new AnalysisPipeline((m) => tracker.handle(m));
const feed = (d: Datagram) => pipeline.coap.handle(d, (e) => tracker.handle({ coap: e, lwm2m: pipeline.lwm2m.handle(e) }));
gc();
const before = process.memoryUsage().heapUsed;
let frame = 0;
for (let i = 0; i < n; i++) {
  const client = `10.${1 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}:56830`;
  const ts = 1_700_000_000 + i / 1000;
  const token = Buffer.from([i >> 16, (i >> 8) & 255, i & 255]);
  feed(datagram(++frame, ts, client, SERVER, {
    code: 'POST', messageId: i & 0xffff, token, confirmable: true, payload: links,
    options: [
      { name: 'Uri-Path', value: Buffer.from('rd') }, { name: 'Content-Format', value: Buffer.from([40]) },
      { name: 'Uri-Query', value: Buffer.from(`ep=meter-${String(i).padStart(6, '0')}`) },
      { name: 'Uri-Query', value: Buffer.from('lt=86400') }, { name: 'Uri-Query', value: Buffer.from('lwm2m=1.1') },
    ],
  }));
  feed(datagram(++frame, ts + 0.0005, SERVER, client, {
    code: '2.01', messageId: i & 0xffff, token, ack: true,
    options: [{ name: 'Location-Path', value: Buffer.from('rd') }, { name: 'Location-Path', value: Buffer.from(String(i)) }],
  }));
}
// Past twice the exchange lifetime (247 s): the CoAP stage's exchange memory has rotated out.
const end = 1_700_000_000 + n / 1000;
for (let k = 1; k <= 3; k++) {
  feed(datagram(++frame, end + k * 300, '10.255.255.1:40000', SERVER, { code: 'GET', messageId: k, token: Buffer.from([k]), confirmable: true, options: [{ name: 'Uri-Path', value: Buffer.from('x') }] }));
}
gc();
const after = process.memoryUsage().heapUsed;
const registered = [...tracker.registrations.all()].filter((e) => e.state === 'registered').length;
process.stdout.write(JSON.stringify({ endpoints: n, registered, bytesPerEndpoint: Math.round((after - before) / n), heapMiB: Number((after / 1048576).toFixed(1)) }) + '\n');
