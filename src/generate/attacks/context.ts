import { generate, type Packet } from 'coap-packet';
import type { Datagram } from '../datagram.js';
import type { Fleet } from '../fleet.js';
import { INITIAL_TTL, ROUTER_MAC } from '../fleet.js';
import type { MeterSpec } from '../meter.js';
import type { Station } from '../pcap-writer.js';
import type { Rng } from '../prng.js';

/** Something an attack stands for that no message shows (a meter falling silent): listed with frame null. */
export interface TruthEvent {
  us: number;
  attack: string;
  endpoint: string;
}

/** What an attack adds: message streams of its own, and events without a message. */
export interface AttackPlan {
  streams: Array<Iterator<Datagram>>;
  events: TruthEvent[];
}

/** Outsiders come from TEST-NET-3 (RFC 5737), one address each, so no two attacks share one. */
const FIRST_STRANGER_IP = 0xcb007101; // 203.0.113.1

/** Registrations the attacks obtain are numbered apart from the fleet's. */
const FIRST_ROGUE_REGISTRATION = 9000;

/** New addresses a carrier NAT gives meters it rebinds: 10.2.0.1, 10.2.0.2, … */
const FIRST_REBOUND_IP = 0x0a020001;

export class AttackContext {
  private strangers = 0;
  private rogueRegistrations = 0;
  private rebounds = 0;

  constructor(readonly fleet: Fleet, readonly startUs: number, readonly endUs: number, readonly rng: Rng) {}

  /** A time in the middle of the run, when every meter is registered and observed. */
  moment(): number {
    return Math.round(this.startUs + (this.endUs - this.startUs) * this.rng.between(0.3, 0.7));
  }

  /** A meter picked at random among those `fits` accepts; an error names the attack when there is none. */
  victim(attack: string, fits: (m: MeterSpec) => boolean = () => true): MeterSpec {
    const pool = this.fleet.meters.filter(fits);
    if (pool.length === 0) throw new Error(`--attack ${attack}: no meter left to play it (each misbehaving meter plays one attack; add --meters)`);
    return pool[this.rng.int(0, pool.length - 1)];
  }

  /** A new station outside the fleet. */
  stranger(port = 5683): Station {
    return { mac: ROUTER_MAC, ip: FIRST_STRANGER_IP + this.strangers++, port, ttl: INITIAL_TTL - 17, ipId: this.rng.int(0, 0xffff) };
  }

  /** `station` as a NAT rebinding leaves it: a new address and source port, same path (TTL). */
  rebound(station: Station): Station {
    return { ...station, ip: FIRST_REBOUND_IP + this.rebounds++, port: this.rng.int(1024, 65535), ipId: this.rng.int(0, 0xffff) };
  }

  /** One labelled datagram of bytes as they are, for what coap-packet cannot or will not write. */
  raw(us: number, from: Station, to: Station, bytes: Buffer, attack: string, endpoint: string, operation?: string): Datagram {
    return { us, from, to, coap: bytes, attack, endpoint, operation };
  }

  /** One labelled message; attack traffic is CON with random message IDs and tokens, as a tool's would be. */
  message(us: number, from: Station, to: Station, packet: Packet, attack: string, endpoint: string, operation?: string): Datagram {
    return { us, from, to, coap: generate(packet), attack, endpoint, operation };
  }

  /** The location the server gives the next rogue registration. */
  rogueRegistration(): string {
    return `/rd/${FIRST_ROGUE_REGISTRATION + this.rogueRegistrations++}`;
  }

  mid(): number {
    return this.rng.int(0, 0xffff);
  }

  token(): Buffer {
    return this.rng.bytes(this.rng.int(2, 8));
  }
}
