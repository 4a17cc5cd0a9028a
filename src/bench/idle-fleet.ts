import { generate } from 'coap-packet';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { AnalysisSession } from '../cli/session.js';
import { loadRuleSet } from '../cli/rule-set.js';
import type { TableOverflow } from '../util/bounded-map.js';

/*
 * Memory per idle endpoint, as the default analysis keeps it: N meters, each from its own
 * address, register (Register and its 2.01), are observed (Observe GET, answered with the first
 * notification) and notify once more, through the whole session (decode, CoAP, LwM2M, state and
 * the default rules, as `coapwatch analyze` runs them). Then capture time moves on past twice the
 * exchange lifetime with a little traffic from one other host, so that only what an idle,
 * registered, observed meter keeps is left. `rules: false`: the state the dashboard keeps
 * instead (full content with sample series, no rules); `observed: false`: meters that only
 * register. Needs a heap of its own to measure (a fresh process, or a test file's worker).
 */
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const SERVER = [10, 0, 0, 1];
const LINKTYPE_ETHERNET = 1;
const links = Buffer.from('</>;rt="oma.lwm2m";ct=11543,</1/0>,</3/0>,</3305/0>,</3305/1>,</3305/2>');

/** One Ethernet/IPv4/UDP frame (checksums are not checked by the decoder). */
function frame(src: number[], srcPort: number, dst: number[], dstPort: number, packet: Parameters<typeof generate>[0]): Buffer {
  const coap = generate(packet);
  const b = Buffer.alloc(14 + 20 + 8 + coap.length);
  b.writeUInt16BE(0x0800, 12);
  b[14] = 0x45;
  b.writeUInt16BE(28 + coap.length, 16);
  b[22] = 64;
  b[23] = 17;
  for (let k = 0; k < 4; k++) {
    b[26 + k] = src[k];
    b[30 + k] = dst[k];
  }
  b.writeUInt16BE(srcPort, 34);
  b.writeUInt16BE(dstPort, 36);
  b.writeUInt16BE(8 + coap.length, 38);
  coap.copy(b, 42);
  return b;
}

export interface IdleFleet {
  endpoints: number;
  /** Endpoints in the state `registered`, and observations `active`, at the end. */
  registered: number;
  observed: number;
  rules: boolean;
  /** Heap grown over the run, per endpoint, after a full garbage collection. */
  bytesPerEndpoint: number;
  heapMiB: number;
  overflow: TableOverflow[];
}

/** Runs `n` meters through a session as described above and measures the heap they leave. */
export function measureIdleFleet(n: number, opts: { rules?: boolean; observed?: boolean } = {}): IdleFleet {
  const rules = opts.rules ?? true;
  const observed = opts.observed ?? true;
  const session = new AnalysisSession({
    format: 'summary', coapPort: [], heuristic: true, source: 'idle-endpoints',
    rules: rules ? loadRuleSet(undefined) : [], state: !rules,
  });
  let frameNumber = 0;
  const push = (ts: number, data: Buffer) => session.push({ frame: ++frameNumber, ts, linkType: LINKTYPE_ETHERNET, data, origLength: data.length, recordOffset: -1, recordFile: -1 });
  const option = (name: string, value: string | Buffer) => ({ name, value: typeof value === 'string' ? Buffer.from(value) : value });

  gc();
  const before = process.memoryUsage().heapUsed;
  const START = 1_700_000_000;
  for (let i = 0; i < n; i++) {
    const client = [10, 1 + (i >> 16), (i >> 8) & 255, i & 255];
    const ts = START + i / 1000;
    const mid = i & 0xffff;
    const token = (k: number) => Buffer.from([k, i >> 16, (i >> 8) & 255, i & 255]);
    push(ts, frame(client, 56830, SERVER, 5683, {
      code: 'POST', messageId: mid, token: token(1), confirmable: true, payload: links,
      options: [
        option('Uri-Path', 'rd'), option('Content-Format', Buffer.from([40])), option('Uri-Query', `ep=meter-${String(i).padStart(7, '0')}`),
        option('Uri-Query', 'lt=86400'), option('Uri-Query', 'lwm2m=1.1'),
      ],
    }));
    push(ts + 0.0002, frame(SERVER, 5683, client, 56830, {
      code: '2.01', messageId: mid, token: token(1), ack: true, options: [option('Location-Path', 'rd'), option('Location-Path', String(i))],
    }));
    if (!observed) continue;
    push(ts + 0.0004, frame(SERVER, 5683, client, 56830, {
      code: 'GET', messageId: (mid + 1) & 0xffff, token: token(2), confirmable: true,
      options: [option('Observe', Buffer.alloc(0)), option('Uri-Path', '3305'), option('Uri-Path', '0'), option('Uri-Path', '5800')],
    }));
    push(ts + 0.0006, frame(client, 56830, SERVER, 5683, {
      code: '2.05', messageId: (mid + 1) & 0xffff, token: token(2), ack: true,
      options: [option('Observe', Buffer.from([1])), option('Content-Format', Buffer.alloc(0))], payload: Buffer.from(String(100 + (i % 50))),
    }));
    push(ts + 0.0008, frame(client, 56830, SERVER, 5683, {
      code: '2.05', messageId: (mid + 2) & 0xffff, token: token(2),
      options: [option('Observe', Buffer.from([2])), option('Content-Format', Buffer.alloc(0))], payload: Buffer.from(String(150 + (i % 50))),
    }));
  }
  // Past twice the exchange lifetime (247 s): the CoAP stage's exchanges have aged out.
  const end = START + n / 1000;
  for (let k = 1; k <= 3; k++) {
    push(end + k * 300, frame([10, 255, 255, 1], 40000, SERVER, 5683, {
      code: 'GET', messageId: k, token: Buffer.from([k]), confirmable: true, options: [option('Uri-Path', 'x')],
    }));
  }
  gc();
  const after = process.memoryUsage().heapUsed;
  const tracker = session.tracker!;
  const registered = [...tracker.registrations.all()].filter((e) => e.state === 'registered').length;
  const active = [...tracker.observations.all()].filter((o) => o.state === 'active').length;
  return {
    endpoints: n, registered, observed: active, rules, bytesPerEndpoint: Math.round((after - before) / n), heapMiB: Number((after / 1048576).toFixed(1)),
    overflow: session.overflows(),
  };
}
