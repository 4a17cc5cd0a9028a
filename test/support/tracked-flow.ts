import type { AnalyzedMessage } from '../../src/pipeline/index.js';
import { StateTracker, type EndpointChange, type StateLimits } from '../../src/state/index.js';
import { CoapFlow, uint, type MessageSpec } from './coap-flow.js';

export const CLIENT = '10.0.0.2:56830';
export const SERVER = '10.0.0.1:5683';
export const BOOTSTRAP = '10.0.0.9:5685';

/** A CoapFlow whose messages also go through a StateTracker (capture time: 1000 + frame). */
export class TrackedFlow {
  readonly flow = new CoapFlow();
  readonly changes: EndpointChange[] = [];
  readonly tracker: StateTracker;
  private mid = 1;

  /** `limits`: small state table bounds; overflow is reported into the flow's pipeline counters. */
  constructor(limits?: StateLimits) {
    this.tracker = new StateTracker(
      { endpointChanged: (c) => this.changes.push({ ...c, endpoint: { ...c.endpoint } }) }, { limits }, this.flow.pipeline.overflow,
    );
  }

  /** The run's tables that reached their bound. */
  overflows() {
    return this.flow.pipeline.overflow.overflows();
  }

  send(src: string, dst: string, spec: MessageSpec): AnalyzedMessage {
    const m = this.flow.send(src, dst, spec);
    this.tracker.handle(m);
    return m;
  }

  /** A request and its piggybacked answer. */
  exchange(src: string, dst: string, spec: MessageSpec, answer: Omit<MessageSpec, 'type' | 'mid' | 'token'>): AnalyzedMessage {
    const mid = this.mid++;
    const token = spec.token ?? mid.toString(16).padStart(4, '0');
    this.send(src, dst, { ...spec, mid, token });
    return this.send(dst, src, { ...answer, type: 'ACK', mid, token });
  }

  register(ep: string, query: string[] = ['lt=300', 'lwm2m=1.1', 'b=U'], client = CLIENT, code = '2.01'): AnalyzedMessage {
    return this.exchange(client, SERVER, {
      code: '0.02', path: '/rd', query: [`ep=${ep}`, ...query], options: [['Content-Format', uint(40)]],
      payload: '</>;rt="oma.lwm2m",</1/0>,</3/0>,</3305>;ver=1.1,</3305/0>',
    }, { code, options: code === '2.01' ? [['Location-Path', Buffer.from('rd')], ['Location-Path', Buffer.from('7')]] : [] });
  }

  /** Unrelated traffic that only moves capture time on by one second per message. */
  idle(seconds: number): void {
    for (let i = 0; i < seconds; i++) this.send('10.9.9.9:5683', '10.9.9.8:5683', { code: '0.00', type: 'CON' });
  }
}
