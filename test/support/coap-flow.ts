import { generate } from 'coap-packet';
import type { Datagram } from '../../src/decode/types.js';
import { AnalysisPipeline, type AnalyzedMessage, type PipelineOptions } from '../../src/pipeline/index.js';

/** Minimal big-endian unsigned encoding for uint option values (RFC 7252 3.2). */
export function uint(n: number): Buffer {
  const bytes: number[] = [];
  while (n > 0) {
    bytes.unshift(n & 0xff);
    n = Math.floor(n / 256);
  }
  return Buffer.from(bytes);
}

export interface MessageSpec {
  code: string;
  type?: 'CON' | 'NON' | 'ACK' | 'RST';
  mid?: number;
  token?: string;
  path?: string;
  query?: string[];
  options?: Array<[string, Buffer]>;
  payload?: string | Buffer;
  /** Capture time; default: 1000 + the frame number. */
  ts?: number;
}

/**
 * Feeds CoAP messages, encoded with the independent `coap-packet` library, between named peers
 * through the real CoAP and LwM2M stages, and returns what the pipeline made of each.
 */
export class CoapFlow {
  private readonly out: AnalyzedMessage[] = [];
  readonly pipeline: AnalysisPipeline;
  private frame = 0;
  private mid = 1000;

  /** `opts`: pipeline options, e.g. small table bounds. */
  constructor(opts: PipelineOptions = {}) {
    this.pipeline = new AnalysisPipeline((m) => this.out.push(m), opts);
  }

  send(src: string, dst: string, spec: MessageSpec): AnalyzedMessage {
    const options: Array<{ name: string; value: Buffer }> = [];
    for (const seg of (spec.path ?? '').split('/').filter(Boolean)) options.push({ name: 'Uri-Path', value: Buffer.from(seg) });
    for (const q of spec.query ?? []) options.push({ name: 'Uri-Query', value: Buffer.from(q) });
    for (const [name, value] of spec.options ?? []) options.push({ name, value });
    const type = spec.type ?? 'CON';
    const bytes = generate({
      code: spec.code,
      messageId: spec.mid ?? this.mid++,
      token: Buffer.from(spec.token ?? '', 'hex'),
      confirmable: type === 'CON',
      ack: type === 'ACK',
      reset: type === 'RST',
      options,
      payload: typeof spec.payload === 'string' ? Buffer.from(spec.payload) : (spec.payload ?? Buffer.alloc(0)),
    });
    const port = (a: string) => Number(a.slice(a.lastIndexOf(':') + 1));
    const d: Datagram = {
      frame: ++this.frame, ts: spec.ts ?? 1000 + this.frame, transport: 'udp', src, dst,
      srcPort: port(src), dstPort: port(dst), payload: bytes,
    };
    const before = this.out.length;
    this.pipeline.coap.handle(d, (e) => this.out.push({ coap: e, lwm2m: this.pipeline.lwm2m.handle(e) }));
    if (this.out.length !== before + 1) throw new Error('expected exactly one message out');
    return this.out[before];
  }
}
