import { coapPorts, COAPS_PORT, onPort } from '../decode/ports.js';
import type { Datagram } from '../decode/types.js';
import { BlockAssembler, SINGLE, type BlockOutcome } from './blockwise.js';
import { decodeCoapTcp, decodeCoapUdp } from './decode.js';
import { heuristicCoap, looksLikeDtls } from './detect.js';
import { ExchangeTracker, type ExchangeLimits, type ExchangeMatch } from './exchanges.js';
import type { CoapMessage } from './message.js';
import { TcpFramer } from './tcp-framer.js';
import { BoundedMap, type OverflowCounters } from '../util/bounded-map.js';
import { MAX_TRANSFERS } from './blockwise.js';

export * from './message.js';
export { optionDefinition, OPTION } from './options.js';
export { decodeCoapUdp, decodeCoapTcp } from './decode.js';
export { EXCHANGE_LIFETIME, isObserveCancel, MAX_EXCHANGES, MAX_OBSERVE_REQUESTS, type ExchangeLimits, type ExchangeMatch, type ExchangeRecord, type MessageRole, type MessageSummary } from './exchanges.js';
export { MAX_BODY, SINGLE, type BlockOutcome, type ReassembledBody } from './blockwise.js';

/** One CoAP message with everything the CoAP layer knows about it. */
export interface CoapEvent {
  frame: number;
  ts: number;
  src: string;
  dst: string;
  /** 'dtls': decrypted from DTLS application data (UDP CoAP framing). */
  transport: 'udp' | 'tcp' | 'dtls';
  msg: CoapMessage;
  /** Bytes of the CoAP message on the wire (the UDP payload, or the RFC 8323 frame). */
  size: number;
  match: ExchangeMatch;
  /**
   * The body to decode: the payload of a message outside any block-wise transfer, or the
   * whole reassembled body on the message that completes one; null while a transfer is
   * still incomplete or when it broke.
   */
  body: Buffer | null;
  block: BlockOutcome;
}

export interface CoapStageOptions {
  /** UDP/TCP ports decoded as CoAP besides the well-known ones (src/decode/ports.ts). */
  ports?: readonly number[];
  /** Decode UDP on other ports when the payload decodes cleanly as CoAP. */
  heuristic?: boolean;
  /** Bounds of the CoAP stage's tables; the defaults hold a fleet of 10^6 meters. */
  limits?: CoapLimits;
}

export interface CoapLimits extends ExchangeLimits {
  /** Block-wise transfers in progress (coap.blockwise). */
  blockTransfers?: number;
  /** TCP connections framed at once (coap.tcp-framers). */
  tcpConnections?: number;
}

/** TCP connections framed at once: as many as the decode stage follows (maxTcpFlows). */
export const MAX_TCP_CONNECTIONS = 65_536;

export interface CoapStats {
  messages: number;
  malformed: number;
  /** DTLS records seen on CoAP ports (decrypted/dissected by the DTLS stage, not here). */
  dtlsRecords: number;
  /** Datagrams or frames that were not CoAP. */
  notCoap: number;
  /** TCP framing problems (gaps, oversized frames). */
  tcpErrors: number;
}

export class CoapStage {
  readonly stats: CoapStats = { messages: 0, malformed: 0, dtlsRecords: 0, notCoap: 0, tcpErrors: 0 };
  private readonly ports: Set<number>;
  private readonly heuristic: boolean;
  private readonly exchanges: ExchangeTracker;
  private readonly blocks: BlockAssembler;
  /** RFC 8323 framing state per TCP direction; a dropped one resynchronises when its flow sends again. */
  private readonly framers: BoundedMap<string, TcpFramer>;

  /** `overflow`: the run's counters, where the stage's tables report reached bounds. */
  constructor(opts: CoapStageOptions = {}, overflow?: OverflowCounters) {
    this.ports = new Set(coapPorts(opts.ports));
    this.heuristic = opts.heuristic ?? true;
    const limits = opts.limits ?? {};
    this.exchanges = new ExchangeTracker(limits, overflow);
    this.blocks = new BlockAssembler(limits.blockTransfers ?? MAX_TRANSFERS, overflow);
    this.framers = new BoundedMap('coap.tcp-framers', limits.tcpConnections ?? MAX_TCP_CONNECTIONS, overflow);
  }

  /** Block-wise bodies abandoned for growing past the reassembly limit (MAX_BODY bytes). */
  get bodiesOverLimit(): number {
    return this.blocks.bodiesOverLimit;
  }

  handle(d: Datagram, emit: (e: CoapEvent) => void): void {
    if (d.transport === 'tcp') return this.handleTcp(d, emit);
    const payload = d.payload;
    if (d.transport === 'dtls') {
      // Decrypted application data: CoAP over DTLS uses the UDP message format (RFC 7252 9.1).
      if (payload.length >= 4 && payload[0] >> 6 === 1) this.process(d, 'dtls', decodeCoapUdp(payload), payload.length, emit);
      else this.stats.notCoap++;
      return;
    }
    let msg: CoapMessage | null = null;
    if (onPort(this.ports, d)) {
      if (looksLikeDtls(payload)) {
        this.stats.dtlsRecords++;
        return;
      }
      msg = decodeCoapUdp(payload);
    } else if (this.heuristic) {
      msg = heuristicCoap(payload);
    }
    if (!msg) {
      this.stats.notCoap++;
      return;
    }
    this.process(d, 'udp', msg, payload.length, emit);
  }

  private handleTcp(d: Datagram, emit: (e: CoapEvent) => void): void {
    if (!onPort(this.ports, d) || d.dstPort === COAPS_PORT || d.srcPort === COAPS_PORT) {
      this.stats.notCoap++;
      return;
    }
    const flow = d.flow ?? `${d.src}>${d.dst}`;
    if (d.flowEvent === 'open') this.framers.delete(flow);
    let framer = this.framers.get(flow);
    if (!framer) {
      framer = new TcpFramer();
      this.framers.set(flow, framer);
    }
    if (d.payload.length > 0 || d.gap) {
      framer.push(d.payload, d.gap === true, (frame) => this.process(d, 'tcp', decodeCoapTcp(frame), frame.length, emit), () => {
        this.stats.tcpErrors++;
      });
    }
    if (d.flowEvent === 'close') this.framers.delete(flow);
  }

  private process(d: Datagram, transport: CoapEvent['transport'], msg: CoapMessage, size: number, emit: (e: CoapEvent) => void): void {
    this.stats.messages++;
    const match: ExchangeMatch = msg.error
      ? { role: 'request', request: null, retransmissionOf: null, responseTime: null, record: null }
      : this.exchanges.match(d.frame, d.ts, d.src, d.dst, msg, size);
    if (msg.error) this.stats.malformed++;
    let block: BlockOutcome = SINGLE;
    if (!msg.error && match.retransmissionOf === null) {
      if (msg.block1 && msg.code >> 5 === 0) {
        block = this.blocks.addRequestBlock(d.frame, d.ts, d.src, d.dst, msg);
      } else if (msg.block2 && msg.code >> 5 !== 0) {
        const req = match.request;
        block = this.blocks.addResponseBlock(d.frame, d.ts, d.dst, d.src, req ?? null, msg);
      }
    }
    const body = block.state === 'single' ? msg.payload : block.state === 'complete' ? block.body.body : null;
    emit({ frame: d.frame, ts: d.ts, src: d.src, dst: d.dst, transport, msg, size, match, body, block });
  }
}
