import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { parse, type ParsedPacket } from 'coap-packet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureScaleCapture, PACKETS_PER_METER, turnStride } from '../../../src/bench/scale-capture.js';

const METERS = 600;
const SERVER = 0x0a000001;
const FIRST_METER = 0x0a010001;
const HEADERS = 14 + 20 + 8;

interface Message {
  us: number;
  meter: number;
  toServer: boolean;
  coap: ParsedPacket;
}

/** Our own reading of the little-endian microsecond pcap, independent of the analyzer's reader. */
function readMessages(file: Buffer): Message[] {
  const out: Message[] = [];
  for (let o = 24; o < file.length;) {
    const length = file.readUInt32LE(o + 8);
    const frame = file.subarray(o + 16, o + 16 + length);
    const src = frame.readUInt32BE(14 + 12);
    const dst = frame.readUInt32BE(14 + 16);
    out.push({
      us: file.readUInt32LE(o) * 1e6 + file.readUInt32LE(o + 4),
      meter: (src === SERVER ? dst : src) - FIRST_METER,
      toServer: dst === SERVER,
      coap: parse(frame.subarray(HEADERS)),
    });
    o += 16 + length;
  }
  return out;
}

const text = (p: ParsedPacket, name: string) => p.options.filter((o) => o.name === name).map((o) => o.value.toString('latin1'));
const path = (p: ParsedPacket) => '/' + text(p, 'Uri-Path').join('/');
const kind = (m: Message) => {
  const p = m.coap;
  if (p.confirmable && p.code === '0.02' && path(p) === '/rd') return 'register';
  if (p.confirmable && p.code === '0.02') return 'update';
  if (p.confirmable && p.code === '0.01' && text(p, 'Observe').length === 1) return 'observe';
  if (p.confirmable && p.code === '2.05') return 'notify';
  return `ack ${p.code}`;
};

describe('bench scale capture', () => {
  let dir: string;
  let file: string;
  let messages: Message[];

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'coapwatch-scale-'));
    const capture = ensureScaleCapture(dir, METERS);
    file = capture.path;
    expect(capture.packets).toBe(METERS * PACKETS_PER_METER);
    messages = readMessages(readFileSync(file));
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('is named by fleet size and format version, reused, and the same bytes when built again', () => {
    expect(basename(file)).toBe('scale-600-v1.pcap');
    const first = readFileSync(file);
    expect(ensureScaleCapture(dir, METERS).buildSeconds).toBeNull();
    expect(ensureScaleCapture(dir, METERS, true).buildSeconds).not.toBeNull();
    expect(readFileSync(file).equals(first)).toBe(true);
  });

  it('holds 10 packets for each meter, each meter from its own address, in time order', () => {
    expect(messages).toHaveLength(METERS * PACKETS_PER_METER);
    for (let i = 1; i < messages.length; i++) expect(messages[i].us).toBeGreaterThanOrEqual(messages[i - 1].us);
    const perMeter = new Map<number, Message[]>();
    for (const m of messages) {
      expect(m.meter).toBeGreaterThanOrEqual(0);
      expect(m.meter).toBeLessThan(METERS);
      perMeter.set(m.meter, [...(perMeter.get(m.meter) ?? []), m]);
    }
    expect(perMeter.size).toBe(METERS);
    for (const [meter, list] of perMeter) {
      expect(list.map(kind)).toEqual([
        'register', 'ack 2.01', 'observe', 'ack 2.05', 'notify', 'ack 0.00', 'notify', 'ack 0.00', 'update', 'ack 2.04',
      ]);
      expect(list.map((m) => m.toServer)).toEqual([true, false, false, true, true, false, true, false, true, false]);
      const [register, created, observe, first, notify1, ack1, notify2, ack2, update, updated] = list.map((m) => m.coap);
      expect(text(register, 'Uri-Query')).toEqual([`ep=meter-${String(meter).padStart(7, '0')}`, 'lt=3600', expect.stringMatching(/^lwm2m=1\.[01]$/), 'b=U']);
      expect(register.payload.toString('latin1')).toMatch(/<\/3\/0>,<\/(3305|10243)\/0>$/);
      // Each answer matches its request; the Update goes to the location the server gave.
      for (const [request, answer] of [[register, created], [observe, first], [notify1, ack1], [notify2, ack2], [update, updated]]) {
        expect(answer.messageId).toBe(request.messageId);
        expect(answer.ack).toBe(true);
      }
      expect(path(update)).toBe('/' + text(created, 'Location-Path').join('/'));
      expect(path(observe)).toMatch(/^\/(3305|10243)\/0$/);
      // Notifications carry the Observe's token and rising sequence numbers, with a payload.
      for (const n of [first, notify1, notify2]) {
        expect(n.token.equals(observe.token)).toBe(true);
        expect(n.payload.length).toBeGreaterThan(0);
      }
      const sequence = [first, notify1, notify2].map((n) => n.options.find((o) => o.name === 'Observe')!.value.readUIntBE(0, n.options.find((o) => o.name === 'Observe')!.value.length));
      expect(sequence[1]).toBe(sequence[0] + 1);
      expect(sequence[2]).toBe(sequence[0] + 2);
    }
  });

  it('registers the whole fleet before the first Observe, and interleaves meters rather than playing them one by one', () => {
    const firstObserve = messages.findIndex((m) => kind(m) === 'observe');
    const lastRegister = messages.findLastIndex((m) => kind(m) === 'register');
    expect(lastRegister).toBeLessThan(firstObserve);
    const registered = new Set(messages.slice(0, firstObserve).filter((m) => kind(m) === 'register').map((m) => m.meter));
    expect(registered.size).toBe(METERS);
    // Meters in turn order are not neighbours by number, and the turn order changes from window to window.
    const registerOrder = messages.filter((m) => kind(m) === 'register').map((m) => m.meter);
    const observeOrder = messages.filter((m) => kind(m) === 'observe').map((m) => m.meter);
    expect(registerOrder.slice(0, 5)).not.toEqual([0, 1, 2, 3, 4]);
    expect(observeOrder).not.toEqual(registerOrder);
    // Captured at the server: its answers leave within a millisecond, a meter's come a cellular round trip later
    // (at a million meters, turns 0.3 ms apart, hundreds of exchanges are then open at once).
    const delays = { server: [] as number[], meter: [] as number[] };
    const requests = new Map<string, Message>();
    for (const m of messages) {
      const key = `${m.meter} ${m.coap.messageId}`;
      if (!m.coap.ack) requests.set(key, m);
      else (m.toServer ? delays.meter : delays.server).push(m.us - requests.get(key)!.us);
    }
    expect(delays.meter).toHaveLength(METERS);
    expect(Math.min(...delays.meter)).toBeGreaterThanOrEqual(40_000);
    expect(Math.max(...delays.meter)).toBeLessThanOrEqual(300_000);
    expect(Math.max(...delays.server)).toBeLessThanOrEqual(1_000);
  });

  it('shuffles with a stride coprime with the fleet size, so that every meter gets exactly one turn', () => {
    const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));
    for (const n of [600, 30_000, 300_000, 1_000_000]) {
      for (let k = 0; k < 5; k++) expect(gcd(turnStride(n, k), n)).toBe(1);
    }
    // 600 * 0.618... = 370 shares 2, 5 and 37 with 600: the stride moves on to the next coprime number.
    expect(turnStride(600, 0)).toBe(371);
  });
});
