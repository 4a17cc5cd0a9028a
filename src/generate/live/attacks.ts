import { setTimeout as sleep } from 'node:timers/promises';
import { contentFormat, uriPath, uriQuery } from '../coap-options.js';
import { LINK_FORMAT, registerLinks } from '../payloads.js';
import type { Rng } from '../prng.js';
import { Peer, type Address } from './peer.js';

/**
 * The attacks `generate --live` can play: those an outside host plays by registering, as in the
 * pcap generator (src/generate/attacks/registration.ts), from 127.0.113.x (loopback's answer to
 * TEST-NET-3), one address per attack.
 */
export const LIVE_ATTACK_NAMES = ['registration-flood', 'endpoint-impersonation', 'absurd-lifetime'];

const FLOOD_REGISTRATIONS = 100;
const FLOOD_GAP_S = 0.02;
const ABSURD_LIFETIME_S = 4_294_967_295;
const FIRST_STRANGER = 1;

export interface LiveAttackContext {
  server: Address;
  rng: Rng;
  /** Endpoint names of the fleet, for impersonation. */
  endpoints: string[];
  realMs: (simulatedSeconds: number) => number;
}

/** An outside host's socket: it answers whatever the server asks of it with 4.04. */
class Stranger extends Peer {
  constructor(rng: Rng) {
    super(rng, (p, from) => {
      if (p.confirmable) this.answer(from, p, { code: '4.04' });
    });
  }

  async register(server: Address, endpoint: string, lifetimeS: number): Promise<string> {
    const answer = await this.ask(server, {
      code: 'POST',
      options: [...uriPath('/rd'), contentFormat(LINK_FORMAT), uriQuery(`ep=${endpoint}`), uriQuery(`lt=${lifetimeS}`), uriQuery('lwm2m=1.1'), uriQuery('b=U')],
      payload: registerLinks('1.1', 3305, 1),
    });
    return answer.code;
  }
}

/** Plays each named attack in turn; resolves with the registrations the attackers made. */
export async function playLiveAttacks(names: string[], ctx: LiveAttackContext): Promise<number> {
  let registrations = 0;
  let strangers = FIRST_STRANGER;
  const register = async (address: string, endpoint: string, lifetimeS: number, lingerMs = 0) => {
    const peer = new Stranger(ctx.rng);
    await peer.bind({ address, port: 0 });
    if ((await peer.register(ctx.server, endpoint, lifetimeS)) === '2.01') registrations++;
    // The server goes on to read and observe a new client: the stranger stays to refuse.
    if (lingerMs > 0) await sleep(lingerMs);
    await peer.close();
  };
  for (const name of names) {
    const address = `127.0.113.${strangers++}`;
    if (name === 'registration-flood') {
      for (let i = 0; i < FLOOD_REGISTRATIONS; i++) {
        await register(address, `flood-${String(i).padStart(4, '0')}`, 300);
        await sleep(ctx.realMs(FLOOD_GAP_S));
      }
    } else if (name === 'endpoint-impersonation') {
      await register(address, ctx.endpoints[ctx.rng.int(0, ctx.endpoints.length - 1)], 300, 50);
    } else if (name === 'absurd-lifetime') {
      await register(address, 'meter-99999', ABSURD_LIFETIME_S, 50);
    } else {
      throw new Error(`--attack ${name} is not available with --live (those that are: ${LIVE_ATTACK_NAMES.join(', ')})`);
    }
  }
  return registrations;
}
