import type { OverflowCounters } from '../util/bounded-map.js';
import { GenerationalMap } from '../util/generational-map.js';
import type { MessageSummary } from './exchanges.js';
import type { BlockValue, CoapMessage } from './message.js';

/** Largest body reassembled; beyond it the transfer is abandoned (hostile peers). */
export const MAX_BODY = 1 << 20;
/** Block-wise transfers in progress at once (a firmware rollout to 10^5 meters at a time fits). */
export const MAX_TRANSFERS = 1 << 17;
const TRANSFER_TIMEOUT = 247;

interface Transfer {
  firstFrame: number;
  chunks: Buffer[];
  length: number;
  blocks: number;
}

export interface ReassembledBody {
  body: Buffer;
  blocks: number;
  firstFrame: number;
}

export type BlockOutcome =
  | { state: 'single' }
  | { state: 'partial'; blocks: number }
  | { state: 'complete'; body: ReassembledBody }
  | { state: 'broken'; reason: string };

/** The outcome of most messages, shared: the hot path need not allocate it. */
export const SINGLE: BlockOutcome = Object.freeze({ state: 'single' });

/**
 * Reassembles block-wise bodies (RFC 7959): Block1 request bodies keyed by client, server,
 * method, path and Request-Tag; Block2 response bodies keyed by the request that asked for
 * them minus its Block2 option (each block may carry a new token, so tokens cannot be used).
 */
export class BlockAssembler {
  private readonly transfers: GenerationalMap<string, Transfer>;
  /** Transfers abandoned for growing past MAX_BODY, reported at the end of a run. */
  bodiesOverLimit = 0;

  constructor(bound = MAX_TRANSFERS, counters?: OverflowCounters) {
    this.transfers = new GenerationalMap(TRANSFER_TIMEOUT, bound, 'coap.blockwise', counters);
  }

  /** A request's Block1 body part. */
  addRequestBlock(frame: number, ts: number, src: string, dst: string, msg: CoapMessage): BlockOutcome {
    const block = msg.block1;
    if (!block) return SINGLE;
    const key = `1|${src}|${dst}|${msg.code}|${msg.uriPath}|${msg.requestTag ?? ''}`;
    return this.add(key, block, frame, ts, msg.payload);
  }

  /**
   * A response's Block2 body part. `request` is the request it answers (its path and query
   * identify the resource); client/server are the request's sender and receiver.
   */
  addResponseBlock(
    frame: number, ts: number, client: string, server: string, request: MessageSummary | null, msg: CoapMessage,
  ): BlockOutcome {
    const block = msg.block2;
    if (!block) return SINGLE;
    const resource = request ? `${request.uriPath}?${request.uriQuery.join('&')}` : `token:${msg.token}`;
    const key = `2|${client}|${server}|${resource}`;
    return this.add(key, block, frame, ts, msg.payload);
  }

  private add(key: string, block: BlockValue, frame: number, ts: number, payload: Buffer): BlockOutcome {
    let transfer = this.transfers.get(key, ts);
    if (block.num === 0) {
      if (!block.more) {
        this.transfers.delete(key);
        return SINGLE;
      }
      transfer = { firstFrame: frame, chunks: [], length: 0, blocks: 0 };
      this.transfers.set(key, transfer, ts);
    }
    if (!transfer) return { state: 'broken', reason: `block ${block.num} without block 0` };
    const offset = block.num * block.size;
    if (offset < transfer.length) {
      // A repeated block (retransmission or re-request): already have these bytes.
      return { state: 'partial', blocks: transfer.blocks };
    }
    if (offset > transfer.length) {
      this.transfers.delete(key);
      return { state: 'broken', reason: `block ${block.num} leaves a gap at byte ${transfer.length}` };
    }
    if (transfer.length + payload.length > MAX_BODY) {
      this.bodiesOverLimit++;
      this.transfers.delete(key);
      return { state: 'broken', reason: `body larger than ${MAX_BODY} bytes` };
    }
    transfer.chunks.push(Buffer.from(payload));
    transfer.length += payload.length;
    transfer.blocks++;
    if (block.more) return { state: 'partial', blocks: transfer.blocks };
    this.transfers.delete(key);
    return {
      state: 'complete',
      body: { body: Buffer.concat(transfer.chunks, transfer.length), blocks: transfer.blocks, firstFrame: transfer.firstFrame },
    };
  }
}
