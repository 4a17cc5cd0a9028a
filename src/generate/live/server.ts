import type { RemoteInfo } from 'node:dgram';
import type { ParsedPacket } from 'coap-packet';
import { accept, locationPath, observe, uriPath, uriQuery } from '../coap-options.js';
import type { ObservationSettings } from '../meter.js';
import type { Rng } from '../prng.js';
import { Peer, pathOf, type Address } from './peer.js';

/** What the server saw, to be compared with what the meters say they did. */
export interface ServerCounts {
  registrations: number;
  updates: number;
  reads: number;
  observations: number;
  notifications: number;
  sends: number;
}

/**
 * The LwM2M server as a live peer: accepts registrations, then reads /3/0, writes observation
 * attributes and observes the power object of each new client, acknowledges what needs it.
 */
export class LiveServer extends Peer {
  readonly counts: ServerCounts = { registrations: 0, updates: 0, reads: 0, observations: 0, notifications: 0, sends: 0 };
  private registrations = 0;

  constructor(rng: Rng, private readonly obs: ObservationSettings) {
    super(rng, (p, from) => this.handle(p, from));
  }

  private handle(p: ParsedPacket, from: RemoteInfo): void {
    const path = pathOf(p);
    if (p.code === '0.02' && path === '/rd') {
      const location = `/rd/${++this.registrations}`;
      this.counts.registrations++;
      this.answer(from, p, { code: '2.01', options: locationPath(location) });
      const object = /<\/(\d+)\/\d+>/g;
      const objects = [...p.payload.toString('latin1').matchAll(object)].map((m) => Number(m[1])).filter((id) => id > 3);
      if (objects.length > 0) void this.manage(from, objects[0]);
    } else if (p.code === '0.02' && path.startsWith('/rd/')) {
      this.counts.updates++;
      this.answer(from, p, { code: '2.04' });
    } else if (p.code === '0.02' && path === '/dp') {
      this.counts.sends++;
      this.answer(from, p, { code: '2.04' });
    } else if (p.code === '2.05') {
      this.counts.notifications++;
      if (p.confirmable) this.send(from, { code: '0.00', ack: true, messageId: p.messageId });
    } else if (p.confirmable) {
      this.answer(from, p, { code: '4.04' });
    }
  }

  private async manage(client: Address, object: number): Promise<void> {
    const format = 110; // SenML JSON: every 1.1 client has it; a 1.0 client answers in its own format
    await this.ask(client, { code: 'GET', options: [...uriPath('/3/0'), accept(format)] });
    this.counts.reads++;
    await this.ask(client, { code: 'PUT', options: [...uriPath(`/${object}`), uriQuery(`pmin=${this.obs.pminS}`), uriQuery(`pmax=${this.obs.pmaxS}`)] });
    await this.ask(client, { code: 'GET', options: [observe(0), ...uriPath(`/${object}`)] });
    this.counts.observations++;
  }
}

export type { Address };
