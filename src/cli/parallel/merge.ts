import type { TextOutput } from '../session.js';
import { ThreadError, type TextBatch } from './protocol.js';

/**
 * State-thread side: collects the texts the session writes, tagged with the units seen so far,
 * and posts them with the progress every `batchUnits` units (one postMessage per batch: per
 * message would cost more than the work it moves).
 */
export class TextBatcher implements TextOutput {
  private units = 0;
  private tags: number[] = [];
  private texts: string[] = [];

  constructor(private readonly post: (batch: TextBatch) => void, private readonly batchUnits: number) {}

  /** A unit line goes here (written by the other thread). Texts written so far all come before it. */
  unit(): void {
    this.units++;
    if (this.units % this.batchUnits === 0) this.send(this.units);
  }

  write(text: string): void {
    const last = this.tags.length - 1;
    if (last >= 0 && this.tags[last] === this.units) this.texts[last] += text;
    else {
      this.tags.push(this.units);
      this.texts.push(text);
    }
  }

  /** Texts travel with the progress, not on the session's flushes. */
  flush(): void {}

  /** End of the run: everything is sent, with the unit count. */
  end(): void {
    this.send(Infinity, this.units);
  }

  private send(complete: number, units?: number): void {
    this.post({ type: 'texts', tags: this.tags, texts: this.texts, complete, ...(units === undefined ? {} : { units }) });
    this.tags = [];
    this.texts = [];
  }
}

/**
 * Formatter-thread side: interleaves its own unit lines with the state thread's texts in the
 * single-threaded order. Line n can be written once every text tagged below n is known (the
 * state thread's `complete` > n - 1); a text tagged k right after line k. Lines that cannot be
 * written yet are held: `held` tells the caller how far ahead it is.
 */
export class UnitMerger {
  /** Units this thread has produced a line for, and how many of those lines are written. */
  private units = 0;
  private written = 0;
  private lines: string[] = [];
  private lineHead = 0;
  private tags: number[] = [];
  private texts: string[] = [];
  private textHead = 0;
  /** Every state-thread text tagged below this has arrived. */
  private complete = 0;
  /** The state thread's unit count, once its last batch is in. */
  private stateUnits: number | null = null;

  constructor(private readonly out: TextOutput) {}

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

  line(text: string): void {
    this.units++;
    this.lines.push(text);
    if (this.complete >= this.units) this.drain();
  }

  add(batch: TextBatch): void {
    if (this.stateUnits !== null) throw new ThreadError('internal error: the state thread sent texts after its last batch');
    for (let i = 0; i < batch.tags.length; i++) {
      this.tags.push(batch.tags[i]!);
      this.texts.push(batch.texts[i]!);
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
    if (this.textHead < this.texts.length || this.written !== this.units) throw new ThreadError('internal error: output left unmerged');
  }

  private drain(): void {
    const out = this.out;
    const lines = this.lines;
    const tags = this.tags;
    const texts = this.texts;
    for (;;) {
      while (this.textHead < tags.length && tags[this.textHead]! <= this.written) out.write(texts[this.textHead++]!);
      if (this.written < this.units && this.complete > this.written) {
        out.write(lines[this.lineHead]!);
        lines[this.lineHead++] = '';
        this.written++;
      } else break;
    }
    // Drop what is written: reset when all is (the usual case), compact now and then otherwise.
    if (this.lineHead === lines.length) {
      lines.length = 0;
      this.lineHead = 0;
    } else if (this.lineHead > 4096) {
      this.lines = lines.slice(this.lineHead);
      this.lineHead = 0;
    }
    if (this.textHead === tags.length) {
      tags.length = 0;
      texts.length = 0;
      this.textHead = 0;
    } else if (this.textHead > 4096) {
      this.tags = tags.slice(this.textHead);
      this.texts = texts.slice(this.textHead);
      this.textHead = 0;
    }
  }
}
