import type { Datagram } from '../datagram.js';
import {
  ALERT_BAD_RECORD_MAC, ALERT_FATAL, alert, CLIENT_HELLO, CLIENT_KEY_EXCHANGE, clientHello, CONTENT_ALERT, CONTENT_APPLICATION_DATA, DtlsSide,
  protect, pskClientKeyExchange, SERVER_HELLO, SERVER_HELLO_DONE, serverHello, TLS_PSK_WITH_3DES_EDE_CBC_SHA, TLS_PSK_WITH_AES_128_CBC_SHA256,
  TLS_PSK_WITH_AES_128_CCM_8, TLS_PSK_WITH_NULL_SHA256,
} from '../dtls-handshake.js';
import type { MeterSpec } from '../meter.js';
import type { Station } from '../pcap-writer.js';
import type { AttackContext, AttackPlan } from './context.js';
import { METER_ROUND_TRIP_US, SERVER_TURNAROUND_US } from './exchange.js';

/** CoAP over DTLS (RFC 7252 §6.2). */
const COAPS_PORT = 5684;
/** What a meter offers: the LwM2M mandatory CCM_8 first, then older suites a lax stack still lists. */
const OFFERED_SUITES = [TLS_PSK_WITH_AES_128_CCM_8, TLS_PSK_WITH_AES_128_CBC_SHA256, TLS_PSK_WITH_3DES_EDE_CBC_SHA, TLS_PSK_WITH_NULL_SHA256];
const WEAK_SUITES = [TLS_PSK_WITH_NULL_SHA256, TLS_PSK_WITH_3DES_EDE_CBC_SHA];
const APPLICATION_RECORDS = 3;
/** Sizes of the CoAP messages the application-data records stand for. */
const PLAINTEXT_BYTES = [60, 120];

interface Handshake {
  ctx: AttackContext;
  attack: string;
  meter: MeterSpec;
  us: number;
  suite: number;
}

/**
 * The PSK handshake's first three flights (no HelloVerifyRequest): ClientHello; ServerHello and
 * ServerHelloDone; ClientKeyExchange naming the meter's endpoint, ChangeCipherSpec and Finished.
 */
function pskHandshake(h: Handshake, client: DtlsSide, server: DtlsSide, secure: Station): { messages: Datagram[]; us: number } {
  const { ctx, attack, meter, suite } = h;
  let us = h.us;
  const send = (from: Station, to: Station, records: Buffer[]) => ctx.raw(us, from, to, Buffer.concat(records), attack, meter.endpoint);
  const messages = [send(meter.station, secure, [client.handshake(CLIENT_HELLO, clientHello(ctx.rng.bytes(32), OFFERED_SUITES))])];
  us += SERVER_TURNAROUND_US;
  messages.push(send(secure, meter.station, [server.handshake(SERVER_HELLO, serverHello(ctx.rng.bytes(32), suite)), server.handshake(SERVER_HELLO_DONE, Buffer.alloc(0))]));
  us += METER_ROUND_TRIP_US;
  messages.push(send(meter.station, secure, [client.handshake(CLIENT_KEY_EXCHANGE, pskClientKeyExchange(meter.endpoint)), client.changeCipherSpec(), client.finished(suite, ctx.rng)]));
  return { messages, us };
}

/** A meter's DTLS handshake on 5684 where the server picks a weak suite (NULL_SHA256 or 3DES_EDE_CBC_SHA), then application data at epoch 1. */
export function dtlsWeakCipher(ctx: AttackContext, attack: string): AttackPlan {
  const meter = ctx.victim(attack);
  const secure = { ...meter.server, port: COAPS_PORT };
  const suite = WEAK_SUITES[ctx.rng.int(0, WEAK_SUITES.length - 1)];
  const client = new DtlsSide();
  const server = new DtlsSide();
  const { messages, us: handshakeDone } = pskHandshake({ ctx, attack, meter, us: ctx.moment(), suite }, client, server, secure);
  let us = handshakeDone + SERVER_TURNAROUND_US;
  messages.push(ctx.raw(us, secure, meter.station, Buffer.concat([server.changeCipherSpec(), server.finished(suite, ctx.rng)]), attack, meter.endpoint));
  for (let i = 0; i < APPLICATION_RECORDS; i++) {
    us += METER_ROUND_TRIP_US;
    const request = protect(suite, ctx.rng.bytes(PLAINTEXT_BYTES[0]), ctx.rng);
    messages.push(ctx.raw(us, meter.station, secure, client.record(CONTENT_APPLICATION_DATA, request), attack, meter.endpoint));
    us += SERVER_TURNAROUND_US;
    const answer = protect(suite, ctx.rng.bytes(PLAINTEXT_BYTES[1]), ctx.rng);
    messages.push(ctx.raw(us, secure, meter.station, server.record(CONTENT_APPLICATION_DATA, answer), attack, meter.endpoint));
  }
  return { streams: [messages.values()], events: [] };
}

/** A meter's DTLS handshake on 5684 that the server ends with a fatal bad_record_mac alert, in clear at epoch 0: no application data. */
export function dtlsHandshakeFailure(ctx: AttackContext, attack: string): AttackPlan {
  const meter = ctx.victim(attack);
  const secure = { ...meter.server, port: COAPS_PORT };
  const client = new DtlsSide();
  const server = new DtlsSide();
  const { messages, us } = pskHandshake({ ctx, attack, meter, us: ctx.moment(), suite: TLS_PSK_WITH_AES_128_CCM_8 }, client, server, secure);
  // The client's Finished does not decrypt under the key the server derived: the PSKs differ.
  messages.push(ctx.raw(us + SERVER_TURNAROUND_US, secure, meter.station, server.record(CONTENT_ALERT, alert(ALERT_FATAL, ALERT_BAD_RECORD_MAC)), attack, meter.endpoint));
  return { streams: [messages.values()], events: [] };
}
