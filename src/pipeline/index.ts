import type { RawPacket } from '../capture/types.js';
import { CoapStage, type CoapEvent, type CoapStageOptions } from '../coap/index.js';
import { PacketDecoder } from '../decode/index.js';
import { Lwm2mStage, type Lwm2mInfo } from '../lwm2m/index.js';

/** One CoAP message as the analysis pipeline hands it to outputs. */
export interface AnalyzedMessage {
  coap: CoapEvent;
  lwm2m: Lwm2mInfo | null;
}

export type MessageSink = (m: AnalyzedMessage) => void;

export type PipelineOptions = CoapStageOptions;

/**
 * Wires the stages in their one direction: frame → decode → CoAP → LwM2M → sink.
 * The same pipeline serves offline files and live capture.
 */
export class AnalysisPipeline {
  readonly decoder = new PacketDecoder();
  readonly coap: CoapStage;
  readonly lwm2m = new Lwm2mStage();
  private readonly onDatagram;
  private readonly onCoap;

  constructor(sink: MessageSink, opts: PipelineOptions = {}) {
    this.coap = new CoapStage(opts);
    // Callbacks are bound once: the hot path must not allocate closures per packet.
    this.onCoap = (e: CoapEvent) => sink({ coap: e, lwm2m: this.lwm2m.handle(e) });
    this.onDatagram = (d: Parameters<CoapStage['handle']>[0]) => this.coap.handle(d, this.onCoap);
  }

  push(packet: RawPacket): void {
    this.decoder.decode(packet, this.onDatagram);
  }

  finish(): void {
    this.decoder.flush(this.onDatagram);
  }
}
