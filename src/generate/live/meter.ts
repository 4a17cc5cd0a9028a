import type { RemoteInfo } from 'node:dgram';
import type { ParsedPacket } from 'coap-packet';
import { contentFormat, observe, uriPath, uriQuery } from '../coap-options.js';
import type { DemandProfile } from '../demand.js';
import { deviceResources, encodeResources, LINK_FORMAT, registerLinks, type PayloadFormat, type ResourceValue } from '../payloads.js';
import type { PowerObject } from '../power-objects.js';
import type { Rng } from '../prng.js';
import { Peer, pathOf, queriesOf, uintOf, type Address } from './peer.js';

/** What a meter did, to be compared with what the server saw. */
export interface MeterCounts {
  registrations: number;
  updates: number;
  reads: number;
  notifications: number;
}

export interface LiveMeterSpec {
  endpoint: string;
  version: '1.0' | '1.1';
  format: PayloadFormat;
  powerObject: PowerObject;
  firstHousehold: number;
  households: number;
  lifetimeS: number;
  server: Address;
  /** Simulated time now, in seconds since the epoch. */
  clock: () => number;
  /** Wall-clock milliseconds for a span of simulated seconds. */
  realMs: (simulatedSeconds: number) => number;
}

/**
 * A meter as a live peer: registers, answers the server's Read, Write-Attributes and Observe,
 * then notifies every pmin (simulated) and updates its registration at 80 % of the lifetime.
 */
export class LiveMeter extends Peer {
  readonly counts: MeterCounts = { registrations: 0, updates: 0, reads: 0, notifications: 0 };
  private readonly timers: NodeJS.Timeout[] = [];
  private location = '';
  private pminS = 10;
  private observation: { token: Buffer; sequence: number } | null = null;

  constructor(rng: Rng, private readonly m: LiveMeterSpec, private readonly demand: DemandProfile) {
    super(rng, (p, from) => this.handle(p, from));
  }

  async start(): Promise<void> {
    await this.bind({ address: this.m.server.address, port: 0 });
    const query = [`ep=${this.m.endpoint}`, `lt=${this.m.lifetimeS}`, `lwm2m=${this.m.version}`, 'b=U'];
    const answer = await this.ask(this.m.server, {
      code: 'POST', options: [...uriPath('/rd'), contentFormat(LINK_FORMAT), ...query.map(uriQuery)],
      payload: registerLinks(this.m.version, this.m.powerObject.id, this.m.households),
    });
    if (answer.code !== '2.01') return;
    this.counts.registrations++;
    this.location = '/' + answer.options.filter((o) => o.name === 'Location-Path').map((o) => o.value.toString('latin1')).join('/');
    this.timers.push(setInterval(() => void this.update(), this.m.realMs(this.m.lifetimeS * 0.8)));
  }

  /** Stops acting; the socket stays open a moment longer so that answers in flight still arrive. */
  stop(): void {
    for (const t of this.timers) clearInterval(t);
  }

  private async update(): Promise<void> {
    await this.ask(this.m.server, { code: 'POST', options: uriPath(this.location) });
    this.counts.updates++;
  }

  private handle(p: ParsedPacket, from: RemoteInfo): void {
    const path = pathOf(p);
    if (p.code === '0.00' && p.confirmable) {
      this.send(from, { code: '0.00', reset: true, messageId: p.messageId });
    } else if (p.code === '0.01' && path === '/3/0') {
      this.counts.reads++;
      const device = deviceResources(`SN${this.m.endpoint.replace(/\D/g, '')}`, Math.floor(this.m.clock()), 'U');
      this.answer(from, p, { code: '2.05', options: [contentFormat(this.m.format)], payload: encodeResources(this.m.format, device, 2) });
    } else if (p.code === '0.03' && p.payload.length === 0) {
      const pmin = queriesOf(p).find((q) => q.startsWith('pmin='));
      if (pmin !== undefined) this.pminS = Number(pmin.slice(5));
      this.answer(from, p, { code: '2.04' });
    } else if (p.code === '0.01' && uintOf(p, 'Observe') === 0 && path === `/${this.m.powerObject.id}`) {
      this.observation = { token: p.token, sequence: 2 };
      this.answer(from, p, { code: '2.05', options: [observe(this.observation.sequence), contentFormat(this.m.format)], payload: this.readings() });
      this.timers.push(setInterval(() => this.notify(from), this.m.realMs(this.pminS)));
    } else if (p.confirmable) {
      this.answer(from, p, { code: '4.04' });
    }
  }

  private notify(to: Address): void {
    if (this.observation === null) return;
    this.observation.sequence++;
    this.counts.notifications++;
    this.send(to, {
      code: '2.05', confirmable: false, messageId: this.nextMid(), token: this.observation.token,
      options: [observe(this.observation.sequence), contentFormat(this.m.format)], payload: this.readings(),
    });
  }

  private readings(): Buffer {
    const second = Math.floor(this.m.clock());
    const values: ResourceValue[] = [];
    for (let h = 0; h < this.m.households; h++) {
      const watts = this.demand.watts(this.m.firstHousehold + h, second);
      values.push({ object: this.m.powerObject.id, instance: h, resource: this.m.powerObject.power, value: Math.round((watts / this.m.powerObject.wattsPerUnit) * 1e4) / 1e4, float: true });
    }
    return encodeResources(this.m.format, values, 1);
  }
}
