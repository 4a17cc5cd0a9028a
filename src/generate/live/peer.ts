import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { generate, parse, type Packet, type ParsedPacket } from 'coap-packet';
import type { Rng } from '../prng.js';

export interface Address {
  address: string;
  port: number;
}

/** The Uri-Path of a message as `/a/b`, and its Uri-Query options. */
export function pathOf(p: ParsedPacket): string {
  return '/' + p.options.filter((o) => o.name === 'Uri-Path').map((o) => o.value.toString('latin1')).join('/');
}

export function queriesOf(p: ParsedPacket): string[] {
  return p.options.filter((o) => o.name === 'Uri-Query').map((o) => o.value.toString('latin1'));
}

export function uintOf(p: ParsedPacket, name: string): number | null {
  const option = p.options.find((o) => o.name === name);
  return option === undefined ? null : option.value.length === 0 ? 0 : option.value.readUIntBE(0, option.value.length);
}

/**
 * A CoAP endpoint on one UDP socket: sends confirmable requests and matches their piggybacked
 * answers by message ID; hands everything else to `onRequest`. Loopback loses nothing, so there
 * are no retransmissions.
 */
export class Peer {
  readonly socket: Socket;
  private mid: number;
  private readonly waiting = new Map<number, (answer: ParsedPacket) => void>();

  constructor(protected readonly rng: Rng, private readonly onRequest: (p: ParsedPacket, from: RemoteInfo) => void) {
    this.mid = rng.int(0, 0xffff);
    this.socket = createSocket('udp4');
    this.socket.on('message', (data, from) => {
      let packet: ParsedPacket;
      try {
        packet = parse(data);
      } catch {
        return; // not CoAP: a peer ignores it
      }
      const answered = this.waiting.get(packet.messageId);
      if ((packet.ack || packet.reset) && answered !== undefined) {
        this.waiting.delete(packet.messageId);
        answered(packet);
      } else if (!packet.ack && !packet.reset) {
        this.onRequest(packet, from);
      }
    });
  }

  bind(address: Address): Promise<Address> {
    return new Promise((resolve, reject) => {
      this.socket.once('error', reject);
      this.socket.bind(address.port, address.address, () => resolve(this.socket.address()));
    });
  }

  /** A confirmable request; resolves with the answer. */
  ask(to: Address, packet: Packet): Promise<ParsedPacket> {
    this.mid = (this.mid + 1) & 0xffff;
    const messageId = this.mid;
    return new Promise((resolve) => {
      this.waiting.set(messageId, resolve);
      this.send(to, { ...packet, confirmable: true, messageId, token: packet.token ?? this.rng.bytes(4) });
    });
  }

  /** A piggybacked answer (ACK) to `request`. */
  answer(to: Address, request: ParsedPacket, packet: Packet): void {
    this.send(to, { ...packet, ack: true, messageId: request.messageId, token: request.token });
  }

  nextMid(): number {
    return (this.mid = (this.mid + 1) & 0xffff);
  }

  send(to: Address, packet: Packet): void {
    this.socket.send(generate(packet), to.port, to.address);
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.socket.close(() => resolve()));
  }
}
