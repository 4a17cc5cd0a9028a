import type { AnalyzedMessage } from '../../pipeline/index.js';
import type { UnitOutput } from '../session.js';
import { JsonBytes } from '../format/json-bytes.js';
import { writeMessageTail } from '../format/ndjson.js';
import { ThreadError, type SpentArrays, type TextBatch } from './protocol.js';

/** Room for a batch's texts: the message tails of a batch of units, mostly. */
const TEXT_BYTES = 1 << 19;

/**
 * State-thread side: collects the texts the session writes, tagged with the units seen so far,
 * and posts them with the progress once per batch of units taken in (one postMessage per
 * batch: per message would cost more than the work it moves). The texts go as UTF-8 bytes in
 * an array that is transferred, not copied.
 */
export class TextBatcher implements UnitOutput {
  private units = 0;
  private tags: number[] = [];
  private ends: number[] = [];
  private bytes = new JsonBytes(TEXT_BYTES);

  constructor(private readonly post: (batch: TextBatch) => void) {}

  /**
   * A unit line goes here (its head written by the other thread). Texts written so far all come
   * before it; a message's tail (see protocol.ts) comes right after it.
   */
  unit(m?: AnalyzedMessage): void {
    this.units++;
    if (m === undefined) return;
    writeMessageTail(this.bytes, m);
    this.mark();
  }

  /** After a batch of units: what it produced, how far the state thread got, and the batch's arrays back. */
  progress(spent: SpentArrays): void {
    this.send(this.units, undefined, spent);
  }

  write(text: string): void {
    this.bytes.text(text);
    this.mark();
  }

  /** What was just written ends the text after the current unit (which it extends if there is one). */
  private mark(): void {
    const last = this.tags.length - 1;
    if (last >= 0 && this.tags[last] === this.units) this.ends[last] = this.bytes.length;
    else {
      this.tags.push(this.units);
      this.ends.push(this.bytes.length);
    }
  }

  /** Texts travel with the progress, not on the session's flushes. */
  flush(): void {}

  /** End of the run: everything is sent, with the unit count. */
  end(): void {
    this.send(Infinity, this.units);
  }

  private send(complete: number, units?: number, spent?: SpentArrays): void {
    // A buffer of this size has its memory to itself (Buffer's pool serves small ones only), so
    // the memory can move to the other thread; were it ever pooled, a copy goes instead.
    const buf = this.bytes.buf;
    const own = buf.byteOffset === 0 && buf.buffer.byteLength === buf.length;
    const bytes = own ? new Uint8Array(buf.buffer as ArrayBuffer, 0, this.bytes.length) : new Uint8Array(buf.subarray(0, this.bytes.length));
    this.post({ type: 'texts', tags: this.tags, ends: this.ends, bytes, complete, ...(units === undefined ? {} : { units }), ...(spent ? { spent } : {}) });
    this.tags = [];
    this.ends = [];
    // Its memory has moved (a transferred buffer reads as empty here): a buffer of its own for the next batch.
    this.bytes = new JsonBytes(TEXT_BYTES);
  }
}

/** Where merged output goes: stdout's batched byte buffer (LineWriter) or a stand-in in tests. */
export interface ByteOutput {
  /** Bytes are written here, then written() is called. */
  readonly out: JsonBytes;
  written(): void;
}

/**
 * Bytes already written are dropped from the held buffer once they are this many and at least
 * as many as the bytes still held: each held byte is then moved about once, however far the
 * state thread falls behind (moving the held rest every megabyte copied it over and over).
 */
const COMPACT_BYTES = 1 << 20;

/**
 * Formatter-thread side: interleaves its own unit lines with the state thread's texts in the
 * single-threaded order. Line n can be written once every text tagged below n is known (the
 * state thread's `complete` > n - 1); a text tagged k right after line k. Lines are written as
 * bytes where target() says (writeMessage, or line() for text) and ended with lineEnd(); those
 * that cannot be written yet are held in `lines`: `held` tells the caller how far ahead it is.
 */
export class UnitMerger {
  /** The unit lines produced and not yet written, back to back (from `sent` on). */
  private readonly lines = new JsonBytes();
  /** Units this thread has produced a line for, and how many of those lines are written. */
  private units = 0;
  private written = 0;
  /** End offset in `lines` of each held line, the first being line `endsBase + 1`'s. */
  private ends: number[] = [];
  private endsBase = 0;
  /** Bytes of `lines` already written. */
  private sent = 0;
  /** The state thread's texts not yet written: text i (from textHead on) goes after line tags[i], its bytes in textBytes[i]. */
  private tags: number[] = [];
  private textBytes: Buffer[] = [];
  private textStarts: number[] = [];
  private textEnds: number[] = [];
  private textHead = 0;
  /** Every state-thread text tagged below this has arrived. */
  private complete = 0;
  /** The state thread's unit count, once its last batch is in. */
  private stateUnits: number | null = null;
  /** The line being written goes straight to the output (see target()). */
  private direct = false;

  constructor(private readonly out: ByteOutput) {}

  /** Units the state thread has finished (all of its texts up to them are here). */
  get stateProgress(): number {
    return this.complete;
  }

  get produced(): number {
    return this.units;
  }

  /** Lines produced but not yet written because the state thread has not got that far. */
  get held(): number {
    return this.units - this.written;
  }

  /** True once the state thread's last batch has arrived. */
  get stateDone(): boolean {
    return this.stateUnits !== null;
  }

  /**
   * Where the next unit line is to be written, then ended with lineEnd(): straight into the
   * output when nothing is held and the state thread is past that unit (without rules, or with
   * few, where it runs ahead), else into `lines`, to be held (with the default rules the state
   * thread is the slower one, and most lines wait for it).
   */
  target(): JsonBytes {
    this.direct = this.written === this.units && this.complete > this.units;
    return this.direct ? this.out.out : this.lines;
  }

  /** A unit line given as text (DTLS lines, tests). */
  line(text: string): void {
    this.target().text(text);
    this.lineEnd();
  }

  /** The unit line just written where target() said is complete. */
  lineEnd(): void {
    this.units++;
    if (this.direct) {
      // Nothing is held: the next held line will be this one's successor.
      this.written++;
      this.endsBase = this.units;
      this.out.written();
      this.writeTexts();
      return;
    }
    this.ends.push(this.lines.length);
    if (this.complete >= this.units) this.drain();
  }

  add(batch: TextBatch): void {
    if (this.stateUnits !== null) throw new ThreadError('internal error: the state thread sent texts after its last batch');
    const bytes = Buffer.from(batch.bytes.buffer, batch.bytes.byteOffset, batch.bytes.byteLength);
    let start = 0;
    for (let i = 0; i < batch.tags.length; i++) {
      const end = batch.ends[i]!;
      this.tags.push(batch.tags[i]!);
      this.textBytes.push(bytes);
      this.textStarts.push(start);
      this.textEnds.push(end);
      start = end;
    }
    this.complete = batch.complete;
    if (batch.units !== undefined) this.stateUnits = batch.units;
    this.drain();
  }

  /** This thread is done too: both must have counted the same units; everything is written. */
  end(): void {
    if (this.stateUnits === null) throw new ThreadError('internal error: the state thread has not finished');
    if (this.stateUnits !== this.units) {
      throw new ThreadError(`internal error: the threads disagree (${this.units} and ${this.stateUnits} messages and DTLS changes)`);
    }
    this.drain();
    if (this.textHead < this.tags.length || this.written !== this.units) throw new ThreadError('internal error: output left unmerged');
  }

  private drain(): void {
    const tags = this.tags;
    for (;;) {
      this.writeTexts();
      // Every line the state thread has passed, up to the next text's place, in one piece.
      let upto = Math.min(this.units, this.complete);
      if (this.textHead < tags.length) upto = Math.min(upto, tags[this.textHead]!);
      if (upto <= this.written) break;
      const end = this.ends[upto - 1 - this.endsBase]!;
      this.out.out.raw(this.lines.buf.subarray(this.sent, end));
      this.out.written();
      this.sent = end;
      this.written = upto;
    }
    this.compact();
  }

  /** The state thread's texts that go after the lines written so far. */
  private writeTexts(): void {
    const tags = this.tags;
    for (let h = this.textHead; h < tags.length && tags[h]! <= this.written; h = ++this.textHead) {
      this.out.out.copy(this.textBytes[h]!, this.textStarts[h]!, this.textEnds[h]!);
      this.out.written();
    }
  }

  /** Drops what is written: all of it when nothing is held (the usual case), now and then otherwise. */
  private compact(): void {
    if (this.written === this.units) {
      this.lines.length = 0;
      this.sent = 0;
      this.ends.length = 0;
      this.endsBase = this.units;
    } else if (this.sent >= COMPACT_BYTES && this.sent >= this.lines.length - this.sent) {
      const lines = this.lines;
      lines.buf.copyWithin(0, this.sent, lines.length);
      lines.length -= this.sent;
      const sent = this.sent;
      this.ends = this.ends.slice(this.written - this.endsBase).map((e) => e - sent);
      this.endsBase = this.written;
      this.sent = 0;
    }
    if (this.textHead === this.tags.length) {
      this.tags.length = 0;
      this.textBytes.length = 0;
      this.textStarts.length = 0;
      this.textEnds.length = 0;
      this.textHead = 0;
    } else if (this.textHead > 4096) {
      const head = this.textHead;
      this.tags = this.tags.slice(head);
      this.textBytes = this.textBytes.slice(head);
      this.textStarts = this.textStarts.slice(head);
      this.textEnds = this.textEnds.slice(head);
      this.textHead = 0;
    }
  }
}
