import type { RawPacket } from '../capture/types.js';
import { CoapStage, type CoapEvent, type CoapStageOptions } from '../coap/index.js';
import { PacketDecoder, type DecoderOptions } from '../decode/index.js';
import { OverflowCounters } from '../util/bounded-map.js';
import type { Datagram } from '../decode/types.js';
import { DtlsStage, type DtlsEvent, type PskKeys } from '../dtls/index.js';
import { Lwm2mStage, type Lwm2mInfo } from '../lwm2m/index.js';

/** One CoAP message as the analysis pipeline hands it to outputs. */
export interface AnalyzedMessage {
  coap: CoapEvent;
  lwm2m: Lwm2mInfo | null;
}

export type MessageSink = (m: AnalyzedMessage) => void;

export interface PipelineOptions extends CoapStageOptions {
  /** PSK identity → key: DTLS sessions using these are decrypted and their CoAP analysed (transport 'dtls'). */
  psk?: PskKeys;
  /** A DTLS session changed (hello, suite chosen, established, alert, failure, endpoint linked). */
  onDtls?: (e: DtlsEvent) => void;
  /** Limits of the decode stage (reassembly); the defaults suit a fleet of 10^6 meters. */
  decoder?: DecoderOptions;
}

/**
 * Wires the stages in their one direction: frame → decode → (DTLS →) CoAP → LwM2M → sink.
 * UDP datagrams of DTLS flows go to the DTLS stage; what it decrypts comes back as datagrams
 * for the CoAP stage. LwM2M endpoint names flow back to the DTLS stage only as plain values
 * (name, addresses) the pipeline hands it, to link sessions to endpoints.
 * The same pipeline serves offline files and live capture.
 */
export class AnalysisPipeline {
  /** Where every bounded table of the run reports a reached bound (summary, database, dashboard). */
  readonly overflow = new OverflowCounters();
  readonly decoder: PacketDecoder;
  readonly coap: CoapStage;
  readonly lwm2m: Lwm2mStage;
  readonly dtls: DtlsStage;
  private readonly onDatagram;
  private readonly onCoap;

  constructor(sink: MessageSink, opts: PipelineOptions = {}) {
    this.decoder = new PacketDecoder(opts.decoder, this.overflow);
    this.coap = new CoapStage(opts, this.overflow);
    this.lwm2m = new Lwm2mStage();
    this.dtls = new DtlsStage({ ports: opts.ports, heuristic: opts.heuristic, keys: opts.psk, onEvent: opts.onDtls });
    // Callbacks are bound once: the hot path must not allocate closures per packet.
    this.onCoap = (e: CoapEvent) => {
      const lwm2m = this.lwm2m.handle(e);
      sink({ coap: e, lwm2m });
      if (lwm2m !== null && e.match.role === 'request' && lwm2m.endpoint !== null && (e.transport === 'dtls' || LINKING_OPERATIONS.has(lwm2m.operation))) {
        this.dtls.endpointSeen(lwm2m.endpoint, e.src, e.dst, e.transport === 'dtls', e.frame, e.ts);
      }
    };
    const plain = (d: Datagram) => this.coap.handle(d, this.onCoap);
    this.onDatagram = (d: Datagram) => {
      if (d.transport === 'udp' && this.dtls.claims(d)) this.dtls.handle(d, plain);
      else this.coap.handle(d, this.onCoap);
    };
  }

  push(packet: RawPacket): void {
    this.decoder.decode(packet, this.onDatagram);
  }

  finish(): void {
    this.decoder.flush(this.onDatagram);
    this.dtls.finish();
  }
}

/** Requests that name their sender's endpoint: what links a DTLS session by client address or PSK identity. */
const LINKING_OPERATIONS = new Set<string>(['register', 'update', 'bootstrap-request', 'bootstrap-pack-request']);
