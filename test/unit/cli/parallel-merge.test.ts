import fc from 'fast-check';
import { MessageChannel, Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { StateThreadLink } from '../../../src/cli/parallel/link.js';
import { defaultThreads, PARALLEL_MIN_BYTES } from '../../../src/cli/parallel/run.js';
import { availableParallelism } from 'node:os';
import { TextBatcher, UnitMerger } from '../../../src/cli/parallel/merge.js';
import { ThreadError, type TextBatch } from '../../../src/cli/parallel/protocol.js';
import { JsonBytes } from '../../../src/cli/format/json-bytes.js';

/*
 * analyze --threads 2 merges the formatter thread's unit lines (messages, DTLS changes) with the
 * state thread's texts (endpoint and event lines): the merged stream must be exactly what one
 * thread writing everything in order produces, whatever the batch size and however the batches
 * and the lines interleave in time.
 */

/** One run as the single thread sees it: a unit line, or a state text (which goes after the lines so far). */
type Step = { unit: true } | { unit: false; text: string };

/** A stand-in for stdout's LineWriter: keeps every byte written, as text. */
function collector() {
  const out = new JsonBytes(16);
  return { out, written: () => undefined, write: (t: string) => void out.text(t), get text() { return out.textFrom(0); } };
}

const SPENT = { slots: new Float64Array(0), chars: new Uint8Array(0) };

/** A TextBatch of these texts (as the state thread's TextBatcher sends them: bytes and ends). */
function textBatch(tags: number[], texts: string[], complete: number, units?: number): TextBatch {
  const bytes = new TextEncoder().encode(texts.join(''));
  const ends: number[] = [];
  let end = 0;
  for (const t of texts) ends.push((end += Buffer.byteLength(t)));
  return { type: 'texts', tags, ends, bytes, complete, ...(units === undefined ? {} : { units }) };
}

/** The state thread's side of a run, played all the way: the batches it posts, in order. */
function stateBatches(steps: Step[], batchUnits: number): TextBatch[] {
  const batches: TextBatch[] = [];
  const batcher = new TextBatcher((b) => batches.push(b));
  let units = 0;
  for (const s of steps) {
    if (s.unit) {
      batcher.unit();
      // The state thread answers each batch of units it takes in.
      if (++units % batchUnits === 0) batcher.progress(SPENT);
    } else batcher.write(s.text);
  }
  batcher.end();
  return batches;
}

/** Runs the steps through both sides; `schedule` decides, per step, how many queued batches reach the merger first. */
function mergeRun(steps: Step[], batchUnits: number, schedule: number[]): string {
  // The state thread runs all the way (it may be anywhere ahead; its batches are queued).
  const batches = stateBatches(steps, batchUnits);
  const out = collector();
  const merger = new UnitMerger(out);
  let next = 0;
  let i = 0;
  // The formatter thread produces its lines; batches arrive in between, in order, at random points.
  for (const s of steps) {
    const deliver = schedule[i++ % Math.max(1, schedule.length)] ?? 0;
    for (let k = 0; k < deliver && next < batches.length; k++) merger.add(batches[next++]!);
    if (s.unit) merger.line(`L${merger.produced + 1};`);
  }
  while (next < batches.length) merger.add(batches[next++]!);
  merger.end();
  return out.text;
}

function sequential(steps: Step[]): string {
  let out = '';
  let n = 0;
  for (const s of steps) out += s.unit ? `L${++n};` : s.text;
  return out;
}

const stepArb = fc.oneof(
  { weight: 3, arbitrary: fc.constant<Step>({ unit: true }) },
  { weight: 1, arbitrary: fc.string({ minLength: 1, maxLength: 3 }).map<Step>((t) => ({ unit: false, text: `<${t}>` })) },
);

describe('TextBatcher + UnitMerger', () => {
  it('write the single-threaded order for any texts, batch size and arrival order', () => {
    fc.assert(
      fc.property(fc.array(stepArb, { maxLength: 200 }), fc.integer({ min: 1, max: 7 }), fc.array(fc.nat(3), { maxLength: 20 }), (steps, batchUnits, schedule) => {
        expect(mergeRun(steps, batchUnits, schedule)).toBe(sequential(steps));
      }),
      { numRuns: 500 },
    );
  });

  it('megabytes held while the state thread falls behind, then written as it catches up', () => {
    const steps: Step[] = [];
    for (let i = 1; i <= 500_000; i++) steps.push(i % 997 === 0 ? { unit: false, text: `<${i}>` } : { unit: true });
    // A batch of 1000 units reaches the merger every 2000 lines: the held lines grow past 1 MiB.
    const schedule = Array.from({ length: 2000 }, (_, i) => (i === 0 ? 1 : 0));
    expect(mergeRun(steps, 1000, schedule)).toBe(sequential(steps));
  });

  it('texts before the first line, between lines and after the last one (the end of the run)', () => {
    const steps: Step[] = [
      { unit: false, text: 'a' }, { unit: true }, { unit: false, text: 'b' }, { unit: false, text: 'c' }, { unit: true }, { unit: true },
      { unit: false, text: 'd' }, { unit: true }, { unit: false, text: 'z' },
    ];
    expect(mergeRun(steps, 2, [0])).toBe('aL1;bcL2;L3;dL4;z');
    expect(mergeRun(steps, 1, [5])).toBe('aL1;bcL2;L3;dL4;z');
  });

  it('holds lines the state thread has not reached, and writes them when it has', () => {
    const out = collector();
    const merger = new UnitMerger(out);
    merger.line('L1;');
    merger.line('L2;');
    expect(out.text).toBe('');
    expect(merger.held).toBe(2);
    // Texts up to unit 1 complete: expiry text before line 1, an event after it.
    merger.add(textBatch([0, 1], ['x', 'e'], 1));
    expect(out.text).toBe('xL1;e');
    expect(merger.held).toBe(1);
    merger.add(textBatch([2], ['f'], Infinity, 2));
    merger.end();
    expect(out.text).toBe('xL1;eL2;f');
  });

  it('keeps the order when megabytes of lines are held behind a slow state thread (held bytes are moved down)', () => {
    // 3,000 lines of ~2 KB, texts after every 7th, the state thread's batches arriving 500 units late.
    const steps: Step[] = [];
    for (let n = 1; n <= 3000; n++) {
      steps.push({ unit: true });
      if (n % 7 === 0) steps.push({ unit: false, text: `<e${n}>` });
    }
    const batches = stateBatches(steps, 100);
    const out = collector();
    const merger = new UnitMerger(out);
    const pad = 'x'.repeat(2000);
    let next = 0;
    for (let n = 1; n <= 3000; n++) {
      merger.line(`L${n}${pad};`);
      if (n > 500 && n % 100 === 0) merger.add(batches[next++]!);
      if (n === 2000) expect(merger.held).toBeGreaterThan(400);
    }
    while (next < batches.length) merger.add(batches[next++]!);
    merger.end();
    let expected = '';
    let n = 0;
    for (const st of steps) expected += st.unit ? `L${++n}${pad};` : st.text;
    expect(out.text).toBe(expected);
  });

  it('a different unit count in the two threads is an error, not a silent misplacement', () => {
    const merger = new UnitMerger(collector());
    merger.line('L1;');
    merger.add(textBatch([], [], Infinity, 2));
    expect(() => merger.end()).toThrow(ThreadError);
    expect(() => merger.end()).toThrow('the threads disagree (1 and 2');
  });
});

/** A state thread played by a few lines of JavaScript: `body` sees `port` (its end of the channel). */
function fakeStateThread(body: string) {
  const { port1, port2 } = new MessageChannel();
  const worker = new Worker(`const { workerData } = require('node:worker_threads'); const port = workerData.port;\n${body}`, {
    eval: true, workerData: { port: port2 }, transferList: [port2], stdout: true, stderr: true,
  });
  const out = collector();
  const merger = new UnitMerger(out);
  const reused: unknown[] = [];
  const link = new StateThreadLink(worker, port1, merger, (spent) => reused.push(spent));
  return { worker, merger, link, out, reused };
}

describe('StateThreadLink: every failure of the state thread ends the wait with one line', () => {
  const cases: Array<[string, string, RegExp]> = [
    ['an uncaught exception', `throw new Error('boom\\n    at somewhere')`, /^state thread: internal error: boom$/],
    ['an exit with a code', `process.exit(3)`, /^state thread: exited with code 3$/],
    ['an exit before the last batch', `port.postMessage({ type: 'texts', tags: [], bytes: new Uint8Array(0), ends: [], complete: 1 }); port.close()`, /^state thread: stopped before the end of the file$/],
    ['a reported error', `port.postMessage({ type: 'error', message: 'x.pcap: cannot open (no such file)' }); port.close()`, /^state thread: x\.pcap: cannot open \(no such file\)$/],
    ['texts after its last batch', `port.postMessage({ type: 'texts', tags: [], bytes: new Uint8Array(0), ends: [], complete: Infinity, units: 0 }); port.postMessage({ type: 'texts', tags: [], bytes: new Uint8Array(0), ends: [], complete: Infinity }); setTimeout(() => {}, 200)`, /^state thread: internal error: the state thread sent texts after its last batch$/],
  ];
  for (const [what, body, message] of cases) {
    it(what, async () => {
      const { merger, link } = fakeStateThread(body);
      const wait = link.waitUntil(() => merger.stateDone && false);
      const err = await wait.then(() => null, (e: unknown) => e);
      link.stop();
      expect(err).toBeInstanceOf(ThreadError);
      expect((err as Error).message).toMatch(message);
      expect((err as Error).message).not.toContain('\n');
      // Later waits fail at once.
      await expect(link.waitUntil(() => true)).rejects.toThrow(ThreadError);
    });
  }

  it('a state thread that finishes: its batches are merged, polled or awaited, and the arrays it gives back are reused', async () => {
    const { merger, link, out, reused } = fakeStateThread(`
      port.postMessage({ type: 'texts', tags: [0], ends: [1], bytes: new TextEncoder().encode('a'), complete: 1, spent: { slots: new Float64Array(2), chars: new Uint8Array(3) } });
      port.postMessage({ type: 'texts', tags: [1, 2], ends: [1, 2], bytes: new TextEncoder().encode('bc'), complete: Infinity, units: 2 });
      port.close();`);
    merger.line('L1;');
    merger.line('L2;');
    await link.waitUntil(() => merger.stateDone);
    merger.end();
    link.close();
    expect(out.text).toBe('aL1;bL2;c');
    expect(reused).toEqual([{ slots: new Float64Array(2), chars: new Uint8Array(3) }]);
  });
});

describe('defaultThreads', () => {
  it('is two threads with rules on a machine with two cores or more for a large capture; one without rules or for a small capture', () => {
    const cores = availableParallelism() >= 2 ? 2 : 1;
    expect(defaultThreads(undefined, PARALLEL_MIN_BYTES)).toBe(cores);
    expect(defaultThreads(['rules/'], 140_000_000)).toBe(cores);
    expect(defaultThreads(false, 140_000_000)).toBe(1);
    expect(defaultThreads(undefined, PARALLEL_MIN_BYTES - 1)).toBe(1);
    expect(defaultThreads(['rules/'], 94_508)).toBe(1);
    expect(defaultThreads(undefined, 0)).toBe(1);
  });
});
