import type { RawPacket } from '../capture/types.js';
import { CoapStage, MAX_BODY, type CoapEvent, type CoapStageOptions } from '../coap/index.js';
import { PacketDecoder, type DecoderOptions } from '../decode/index.js';
import type { Datagram } from '../decode/types.js';
import { DtlsStage, type DtlsEvent, type PskKeys } from '../dtls/index.js';
import { Lwm2mStage, endpointIdentified, type Lwm2mInfo } from '../lwm2m/index.js';
import { OverflowCounters } from '../util/bounded-map.js';

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
 * for the CoAP stage. Endpoints the LwM2M layer identifies flow back to the DTLS stage only as
 * plain values (EndpointIdentified) the pipeline hands it, to link sessions to endpoints.
 * The same pipeline serves offline files and live capture.
 */
export class AnalysisPipeline {
  readonly decoder: PacketDecoder;
  readonly coap: CoapStage;
  readonly lwm2m: Lwm2mStage;
  readonly dtls: DtlsStage;
  /** Every bounded table of the stages: which bounds were reached, and how many entries each dropped. */
  readonly overflow = new OverflowCounters();
  private readonly onDatagram;
  private readonly onCoap;

  constructor(sink: MessageSink, opts: PipelineOptions = {}) {
    this.decoder = new PacketDecoder(opts.decoder, this.overflow);
    this.coap = new CoapStage(opts, this.overflow);
    this.lwm2m = new Lwm2mStage({ counters: this.overflow });
    this.dtls = new DtlsStage({ ports: opts.ports, heuristic: opts.heuristic, keys: opts.psk, counters: this.overflow, onEvent: opts.onDtls });
    // Callbacks are bound once: the hot path must not allocate closures per packet.
    this.onCoap = (e: CoapEvent) => {
      const lwm2m = this.lwm2m.handle(e);
      sink({ coap: e, lwm2m });
      const identified = lwm2m === null ? null : endpointIdentified(e, lwm2m);
      if (identified !== null) this.dtls.endpointIdentified(identified);
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

  /**
   * What the stages gave up on, one line each (counted, never one per packet), for the end of
   * a run: the messages are all in the output, but these bytes were not analysed.
   */
  warnings(): string[] {
    const lines: string[] = [];
    const fragments = this.decoder.stats.fragmentsDropped;
    if (fragments > 0) {
      lines.push(`${fragments} IP fragment${fragments === 1 ? '' : 's'} dropped: their datagrams never completed (timed out, over the reassembly memory limit, inconsistent, or cut off by the end of the capture)`);
    }
    const bodies = this.coap.bodiesOverLimit;
    if (bodies > 0) {
      lines.push(`${bodies} block-wise ${bodies === 1 ? 'body' : 'bodies'} abandoned for growing past ${MAX_BODY} bytes: their blocks are in the output, the bodies were not decoded`);
    }
    return lines;
  }
}
