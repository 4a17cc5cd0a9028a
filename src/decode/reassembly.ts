import type { OverflowCounters } from '../util/bounded-map.js';
import type { DecodeStats } from './types.js';

/** A datagram put back together from its fragments. */
export interface ReassembledDatagram {
  payload: Buffer;
  /** The protocol (IPv4) or next header (IPv6) given by the fragment at offset 0. */
  protocol: number;
}

export interface ReassemblyLimits {
  /** Seconds of capture time a datagram may wait, from its first fragment, for the others. */
  timeout: number;
  /** Bytes held over all incomplete datagrams before the oldest are given up. */
  maxBytes: number;
}

/** The largest IP payload a fragment offset and length can describe (IPv4 total length is 16 bits). */
const MAX_DATAGRAM = 65535;
/**
 * Bookkeeping charged per stored fragment on top of its bytes, so a flood of tiny fragments
 * hits the memory limit too.
 */
const FRAGMENT_OVERHEAD = 64;

/** A contiguous range of a datagram's payload, copied out of the frame it arrived in. */
interface Piece {
  start: number;
  end: number;
  bytes: Buffer;
}

class PartialDatagram {
  /** Sorted by start and never overlapping: bytes already held are not replaced. */
  readonly pieces: Piece[] = [];
  /** Payload bytes held: the sum of the pieces' lengths. */
  received = 0;
  /** Payload length, known once the last fragment (more-fragments clear) has arrived. */
  total = -1;
  /** Highest end offset of any fragment so far. */
  maxEnd = 0;
  protocol = -1;
  /** Frames that contributed, reported as dropped if the datagram never completes. */
  fragments = 0;
  /** Memory charged against the reassembler's limit. */
  cost = 0;

  constructor(readonly firstTs: number) {}

  /**
   * Stores the parts of data[start, end) (payload offset `offset`) that no earlier fragment
   * covered. First copy wins: a duplicate or overlapping fragment cannot rewrite bytes held.
   */
  insert(offset: number, data: Buffer, start: number, end: number): void {
    const pieces = this.pieces;
    const stop = offset + (end - start);
    let pos = offset;
    let i = 0;
    while (pos < stop) {
      while (i < pieces.length && pieces[i].end <= pos) i++;
      const next = i < pieces.length ? pieces[i] : undefined;
      if (next !== undefined && next.start <= pos) {
        pos = next.end;
        continue;
      }
      const holeEnd = next === undefined ? stop : Math.min(next.start, stop);
      const bytes = Buffer.copyBytesFrom(data, start + (pos - offset), holeEnd - pos);
      pieces.splice(i, 0, { start: pos, end: holeEnd, bytes });
      this.received += holeEnd - pos;
      i++;
      pos = holeEnd;
    }
    this.maxEnd = Math.max(this.maxEnd, stop);
  }

  assemble(): Buffer {
    const payload = Buffer.allocUnsafe(this.total);
    for (const piece of this.pieces) piece.bytes.copy(payload, piece.start);
    return payload;
  }
}

/**
 * True for a fragment no IP stack would accept: empty, reaching past the largest datagram, or
 * a non-final fragment whose length is not a multiple of 8 (the next offset could not follow it).
 */
export function fragmentIsMalformed(offset: number, length: number, more: boolean): boolean {
  return length === 0 || offset + length > MAX_DATAGRAM || (more && length % 8 !== 0);
}

/**
 * IP fragment reassembly shared by IPv4 and IPv6; the caller builds the key from the fields
 * that identify a datagram. Out-of-order, duplicate and overlapping fragments are accepted.
 * Memory is bounded by a byte limit (oldest datagrams are dropped first) and a timeout in
 * capture time, checked whenever a fragment arrives.
 */
export class FragmentReassembler {
  /** In order of first fragment, so the oldest are first for expiry and eviction. */
  private readonly partials = new Map<string, PartialDatagram>();
  private heldBytes = 0;
  /** Incomplete datagrams given up to stay within maxBytes (not those that timed out). */
  private overflowed = 0;

  /**
   * The table is bounded in bytes, not entries (each fragment is charged FRAGMENT_OVERHEAD, so
   * it holds at most maxBytes / FRAGMENT_OVERHEAD datagrams); it reports as decode.ip-fragments
   * with maxBytes as its bound.
   */
  constructor(
    private readonly stats: DecodeStats,
    private readonly limits: ReassemblyLimits,
    counters?: OverflowCounters,
  ) {
    counters?.register('decode.ip-fragments', limits.maxBytes, () => this.overflowed);
  }

  /**
   * Adds the fragment data[start, end) found at payload offset `offset`. Returns the whole
   * datagram when this fragment completes it, null while fragments are missing. The data are
   * copied: the frame buffer may be reused after the call.
   */
  add(
    key: string,
    ts: number,
    offset: number,
    more: boolean,
    protocol: number,
    data: Buffer,
    start: number,
    end: number,
  ): ReassembledDatagram | null {
    this.stats.fragments++;
    this.expire(ts);
    let partial = this.partials.get(key);
    if (partial === undefined) {
      partial = new PartialDatagram(ts);
      this.partials.set(key, partial);
    }
    const fragmentEnd = offset + (end - start);
    const conflictsWithEnd = more
      ? partial.total >= 0 && fragmentEnd > partial.total
      : (partial.total >= 0 && partial.total !== fragmentEnd) || partial.maxEnd > fragmentEnd;
    if (conflictsWithEnd) {
      // A fragment past the end the last fragment announced, or a second, different last
      // fragment: no stack would accept it, so it is not allowed to shape the datagram.
      this.stats.fragmentsDropped++;
      return null;
    }
    if (!more) partial.total = fragmentEnd;
    if (offset === 0 && partial.protocol < 0) partial.protocol = protocol;
    partial.fragments++;
    const before = partial.received;
    partial.insert(offset, data, start, end);
    const cost = partial.received - before + FRAGMENT_OVERHEAD;
    partial.cost += cost;
    this.heldBytes += cost;

    if (partial.received === partial.total) {
      this.forget(key, partial);
      this.stats.reassembled++;
      return { payload: partial.assemble(), protocol: partial.protocol };
    }
    this.enforceLimit();
    return null;
  }

  /** Drops every incomplete datagram (end of capture), counting their fragments as dropped. */
  clear(): void {
    for (const [key, partial] of this.partials) this.drop(key, partial);
  }

  private expire(now: number): void {
    for (const [key, partial] of this.partials) {
      if (now - partial.firstTs <= this.limits.timeout) break;
      this.drop(key, partial);
    }
  }

  private enforceLimit(): void {
    for (const [key, partial] of this.partials) {
      if (this.heldBytes <= this.limits.maxBytes) break;
      this.drop(key, partial);
      this.overflowed++;
    }
  }

  private drop(key: string, partial: PartialDatagram): void {
    this.stats.fragmentsDropped += partial.fragments;
    this.forget(key, partial);
  }

  private forget(key: string, partial: PartialDatagram): void {
    this.partials.delete(key);
    this.heldBytes -= partial.cost;
  }
}
