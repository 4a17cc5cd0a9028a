import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readCapture } from '../../../src/capture/index.js';
import { UnitDecoder, UnitEncoder } from '../../../src/cli/parallel/unit-codec.js';
import type { UnitBatch } from '../../../src/cli/parallel/protocol.js';
import type { ExchangeRecord } from '../../../src/coap/index.js';
import { pskKeys, type DtlsEvent } from '../../../src/dtls/index.js';
import { AnalysisPipeline, type AnalyzedMessage } from '../../../src/pipeline/index.js';
import { JsonBytes } from '../../../src/cli/format/json-bytes.js';
import { writeMessage, writeMessageHead, writeMessageTail } from '../../../src/cli/format/ndjson.js';

/*
 * analyze --threads 2 hands the state thread each decoded message as numbers (unit-codec.ts).
 * What comes out must be what went in, for every field state, rules and their lines read;
 * exchange records and DTLS sessions must keep their identity from message to message.
 */

const root = join(import.meta.dirname, '../../..');

/** The pipeline's PSK keys for `identity:hexkey`, as --psk takes them. */
function keysOf(psk: string | undefined) {
  return psk ? pskKeys([{ identity: psk.split(':')[0]!, key: Buffer.from(psk.split(':')[1]!, 'hex') }]) : undefined;
}

type Unit = { message: AnalyzedMessage } | { dtls: DtlsEvent };
type Viewed = { unit: Unit; view: unknown };

/** Decodes batches as the state thread gets them: copies (postMessage), the arrays moved. */
class StateSide {
  readonly units: Viewed[] = [];
  constructor(private readonly decoder = new UnitDecoder()) {}

  take(batch: UnitBatch | null): void {
    if (batch === null) return;
    this.decoder.decode(
      structuredClone(batch, { transfer: [batch.slots.buffer, batch.chars.buffer] }),
      (m) => this.units.push({ unit: { message: m }, view: messageView(m) }),
      (e) => this.units.push({ unit: { dtls: e }, view: structuredClone(e) }),
    );
  }
}

/**
 * Runs a capture through the pipeline, encoding each unit as it comes (as the formatter thread
 * does: records change later) in batches of `batchUnits`: the views of what the pipeline
 * made, and of what the decoder gave back.
 */
async function roundTrip(file: string, batchUnits: number, opts: { ports?: number[]; psk?: string; recordFill?: number } = {}): Promise<{ made: Viewed[]; back: Viewed[] }> {
  const made: Viewed[] = [];
  const encoder = new UnitEncoder({ recordFill: opts.recordFill });
  const state = new StateSide();
  const taken = () => {
    if (encoder.units >= batchUnits) state.take(encoder.take());
  };
  const keys = keysOf(opts.psk);
  const pipeline = new AnalysisPipeline((m) => {
    made.push({ unit: { message: m }, view: messageView(m) });
    encoder.message(m);
    taken();
  }, {
    ports: opts.ports, psk: keys, onDtls: (e) => {
      made.push({ unit: { dtls: e }, view: structuredClone(e) });
      encoder.dtlsEvent(e);
      taken();
    },
  });
  const info = await readCapture(join(root, file), (p) => pipeline.push(p));
  pipeline.finish();
  state.take(encoder.take());
  expect(info.packets).toBeGreaterThan(0);
  return { made, back: state.units };
}

function recordView(r: ExchangeRecord | null): unknown {
  return r === null ? null : { serial: r.serial, frame: r.frame, ts: r.ts, src: r.src, dst: r.dst, msg: { ...r.msg, uriQuery: [...r.msg.uriQuery] }, answeredAt: r.answeredAt, acknowledgedBy: r.acknowledgedBy };
}

/** What state and rules read of a message (not the options, the payload bytes, the block-wise outcome). */
function messageView(m: AnalyzedMessage): unknown {
  const { coap, lwm2m } = m;
  const msg = coap.msg;
  return {
    frame: coap.frame, ts: coap.ts, src: coap.src, dst: coap.dst, transport: coap.transport, size: coap.size,
    msg: {
      type: msg.type, code: msg.code, mid: msg.mid, token: msg.token, uriPath: msg.uriPath, uriQuery: [...msg.uriQuery], locationPath: msg.locationPath,
      contentFormat: msg.contentFormat, accept: msg.accept, observe: msg.observe, payloadLength: msg.payload.length, error: msg.error,
    },
    match: {
      role: coap.match.role, retransmissionOf: coap.match.retransmissionOf, responseTime: coap.match.responseTime,
      record: recordView(coap.match.record), request: recordView(coap.match.request),
    },
    // JSON keeps the records' property order and drops nothing they have; links' attributes have a null prototype.
    lwm2m: lwm2m === null ? null : JSON.parse(JSON.stringify(lwm2m)),
  };
}

const CAPTURES: Array<[string, { ports?: number[]; psk?: string }]> = [
  ['captures/reference/wakaama-register-dm.pcap', { ports: [56830] }],
  ['captures/reference/wakaama-observe.pcap', { ports: [56830] }],
  ['captures/reference/wakaama-blockwise.pcap', { ports: [56830] }],
  ['captures/reference/libcoap-block-observe.pcap', {}],
  ['captures/reference/libcoap-tcp-ipv6.pcap', {}],
  ['captures/reference/libcoap-dtls-psk.pcap', { psk: 'wk-dtls-ep:736573616d65' }],
  ['captures/generated/fleet-hour.pcap', {}],
  ['captures/generated/attack-malformed-senml.pcap', {}],
  ['captures/generated/attack-dtls-weak-cipher.pcap', {}],
];

/** Every message line of a capture as one thread writes it, or as --threads 2 puts it together: the formatter thread's head, the state thread's tail. */
async function messageLines(file: string, opts: { ports?: number[]; psk?: string }, split: boolean): Promise<string[]> {
  const lines: string[] = [];
  const out = new JsonBytes(1024);
  const line = (write: () => void) => {
    out.length = 0;
    write();
    return out.textFrom(0);
  };
  const heads: string[] = [];
  const encoder = new UnitEncoder();
  const decoder = new UnitDecoder();
  const keys = keysOf(opts.psk);
  const pipeline = new AnalysisPipeline((m) => {
    if (!split) return void lines.push(line(() => writeMessage(out, m)));
    // As the formatter thread sees them: no payload read.
    expect(m.lwm2m === null || (m.lwm2m.records.length === 0 && m.lwm2m.payloadError === null && m.lwm2m.links === null)).toBe(true);
    heads.push(line(() => writeMessageHead(out, m)));
    encoder.message(m);
  }, { ports: opts.ports, psk: keys, payloads: !split, onDtls: (e) => encoder.dtlsEvent(e) });
  await readCapture(join(root, file), (p) => pipeline.push(p));
  pipeline.finish();
  const batch = encoder.take();
  if (batch) decoder.decode(batch, (m) => lines.push(heads[lines.length] + line(() => writeMessageTail(out, m))), () => undefined);
  return lines;
}

describe('UnitEncoder → UnitDecoder', () => {
  for (const [file, opts] of CAPTURES) {
    it(`puts together every message line of ${file.split('/').pop()} as one thread writes it, the formatter thread not reading payloads`, async () => {
      const whole = await messageLines(file, opts, false);
      expect(whole.length).toBeGreaterThan(0);
      expect(await messageLines(file, opts, true)).toEqual(whole);
    });
  }

  for (const [file, opts] of CAPTURES) {
    it(`gives back every unit of ${file.split('/').pop()} as the pipeline made it`, async () => {
      // Record stores that start a new generation every few records, too: records the state
      // thread no longer holds are described whole again.
      for (const [batchUnits, recordFill] of [[3, undefined], [1024, undefined], [5, 4]] as const) {
        const { made, back } = await roundTrip(file, batchUnits, { ...opts, recordFill });
        expect(back.map((u) => u.view)).toEqual(made.map((u) => u.view));
      }
    });
  }

  it('keeps a request\'s exchange record the same object in its responses and notifications, across batches', async () => {
    const back = (await roundTrip('captures/generated/fleet-hour.pcap', 3)).back.flatMap((u) => ('message' in u.unit ? [u.unit.message] : []));
    const requests = new Map<number, ExchangeRecord>();
    let answers = 0;
    for (const m of back) {
      const { record, request } = m.coap.match;
      if (m.coap.match.role === 'request' && record) requests.set(record.serial, record);
      if (request && requests.has(request.serial)) {
        expect(request).toBe(requests.get(request.serial));
        answers++;
      }
    }
    expect(answers).toBeGreaterThan(5);
  });

  it('keeps one object per DTLS session, brought up to date at each change', async () => {
    const { back } = await roundTrip('captures/reference/libcoap-dtls-psk.pcap', 2, { psk: 'wk-dtls-ep:736573616d65' });
    const changes = back.flatMap((u) => ('dtls' in u.unit ? [u.unit.dtls] : []));
    expect(changes.length).toBeGreaterThan(2);
    const first = changes[0]!.session;
    for (const c of changes.filter((c) => c.session.id === first.id)) expect(c.session).toBe(first);
    expect(first.state).toBe(changes.filter((c) => c.session.id === first.id).at(-1)!.session.state);
  });

  it('carries any string (beyond Latin-1, lone surrogates, long, empty), more strings than a table holds, and more than a batch\'s array holds', async () => {
    const { made } = await roundTrip('captures/reference/wakaama-observe.pcap', 1024, { ports: [56830] });
    const base = made.flatMap((u) => ('message' in u.unit && u.unit.message.lwm2m !== null ? [u.unit.message] : []))[0]!;
    // Records carry the mark of the encoder that described them: these go to a new one.
    const unmarked = (r: ExchangeRecord | null) => r && { ...r, mark: 0 };
    const match = { ...base.coap.match, record: unmarked(base.coap.match.record), request: unmarked(base.coap.match.request) };
    const odd = ['ünïcödé', '☃ snow', 'lone \ud800 surrogate', '', 'x'.repeat(5000), 'é'.repeat(300)];
    const messages: AnalyzedMessage[] = [];
    // 2,000 distinct endpoint names and operation paths: tables that start over after 300 do so several times.
    // No body: records come from decoding it, which the captures above cover.
    for (let i = 0; i < 2_000; i++) {
      const s = odd[i % odd.length]! + (i % 7 === 0 ? '' : String(i));
      messages.push({
        coap: { ...base.coap, frame: i + 1, body: null, match, msg: { ...base.coap.msg, token: s, uriPath: s, uriQuery: [s, `ep=${i}`], error: i % 2 ? s : null } },
        lwm2m: { ...base.lwm2m!, endpoint: `ep-${s}`, path: s, records: [], objects: null, links: null, payloadError: null },
      });
    }
    // Messages whose request, or the message itself, has more query items than a batch's array has room for: it grows mid-message.
    const many = Array.from({ length: 70_000 }, (_, i) => `q${i}`);
    const answered = made.flatMap((u) => ('message' in u.unit && u.unit.message.coap.match.request ? [u.unit.message] : []))[0]!;
    const request = { ...answered.coap.match.request!, serial: 1e6, mark: 0, msg: { ...answered.coap.match.request!.msg, uriQuery: many } };
    messages.push({ ...answered, coap: { ...answered.coap, match: { ...answered.coap.match, request, record: unmarked(answered.coap.match.record) } } });
    messages.push({ ...messages[1]!, coap: { ...messages[1]!.coap, msg: { ...messages[1]!.coap.msg, uriQuery: many } } });
    const encoder = new UnitEncoder({ tableLimit: 300 });
    const state = new StateSide();
    for (const m of messages) {
      encoder.message(m);
      if (encoder.units === 100) state.take(encoder.take());
    }
    state.take(encoder.take());
    // Compared as JSON text (lone surrogates escaped), one message at a time: a failure names the first that differs.
    const expected = messages.map((m) => JSON.stringify(messageView(m)));
    const got = state.units.map((u) => JSON.stringify(u.view));
    const first = got.findIndex((g, i) => g !== expected[i]);
    const at = first < 0 ? -1 : [...got[first]!].findIndex((ch, k) => ch !== expected[first]![k]);
    expect({ first, got: got[first]?.slice(at - 100, at + 300) }).toEqual({ first: -1, got: undefined, expected: expected[first]?.slice(at - 100, at + 300) });
    expect(got.length).toBe(expected.length);
  });

  it('rejects a batch with a unit it does not know, rather than misreading the rest', () => {
    const batch: UnitBatch = { type: 'units', slots: new Float64Array([9]), length: 1, chars: new Uint8Array(0), strings: [], inline: [], dtls: [] };
    expect(() => new UnitDecoder().decode(batch, () => undefined, () => undefined)).toThrow(/unknown unit kind 9/);
  });
});
