import { exchangeRecord, RECORD_RETENTION, SINGLE, summarize, type CoapEvent, type CoapMessage, type CoapType, type ExchangeMatch, type ExchangeRecord, type MessageRole } from '../../coap/index.js';
import { DEFAULT_MAX_SESSIONS, type DtlsEvent, type DtlsSession } from '../../dtls/index.js';
import { readPayload, type Lwm2mInfo, type Lwm2mRecord, type Operation } from '../../lwm2m/index.js';
import type { AnalyzedMessage } from '../../pipeline/index.js';
import type { SpentArrays, TableStrings, UnitBatch } from './protocol.js';

/*
 * The formatter thread decodes each packet once and hands the state thread what state and
 * rules read of every message, as numbers in a Float64Array that is transferred, not copied.
 * Why not postMessage's structured clone of the messages: on the 200k bench capture it cost
 * ~4.5 µs per message to write and ~7.5 µs to read, more than decoding the packet again.
 *
 * The formatter thread is the busier of the two, so what can be had from what the state thread
 * already holds is not sent again:
 * - The payload's records are not written out: the body's bytes go (`chars`) and the state
 *   thread decodes them itself with the LwM2M stage's own readPayload.
 * - Exchange records the state thread still holds are named by serial (see RECORD_STORES and
 *   RECENT_RECORDS); an answer's addresses and token are mostly its request's; the operation,
 *   endpoint and path of a message are mostly those the last answer to the same request had,
 *   or for an ACK those of the response it acknowledges (LastReadings).
 * - Strings of few values that recur as the same string objects (addresses, operations,
 *   endpoint names) are numbered: a string gets a number the first time a batch carries it and
 *   goes along in that batch's `strings`; later batches send only the number. Strings made anew
 *   for every message (tokens, paths, query items) have their characters copied into `chars`
 *   and are made again from them: looking each up in a table of every token and path ever seen
 *   cost more than copying them (the lookups missed the caches). Long strings and strings beyond
 *   Latin-1 go whole in `inline`.
 *
 * What is not sent, because nothing after the pipeline reads it (state, rules, the endpoint
 * and event lines): the options list, the payload bytes (only their count: `payload` is a
 * zero-filled stand-in of that length; the body, which the records come from, is sent), the
 * block-wise outcome, and the LwM2M stage's tag on exchange records.
 */

const KIND_MESSAGE = 1;
const KIND_DTLS = 2;
/** Not a unit: a record store starts a new generation. */
const KIND_ROTATE = 3;
/** A null string or a null number that is never negative. */
const NONE = -1;
/** Numbered strings before a table starts over (in both threads at the same batch). */
const STRING_TABLE_LIMIT = 1 << 16;
/** Longer strings are sent inline in their batch, not numbered. */
const INLINE_LENGTH = 256;
/** Spare arrays kept (about as many batches as are ever in flight). */
const MAX_SPARE = 4;
/** Slots a message takes besides its lists and records; room is made for this much at once. */
const MESSAGE_SLOTS = 64;

const ROLES: readonly MessageRole[] = ['request', 'response', 'notification', 'ack', 'reset', 'ping', 'signal'];
const TRANSPORTS: readonly CoapEvent['transport'][] = ['udp', 'tcp', 'dtls'];
const TYPES: readonly CoapType[] = ['CON', 'NON', 'ACK', 'RST'];
// Shared empty lists, frozen: nothing after the pipeline changes a message.
const NO_RECORDS = Object.freeze([]) as unknown as Lwm2mRecord[];
const NO_STRINGS = Object.freeze([]) as unknown as string[];
const NO_OPTIONS = Object.freeze([]) as unknown as CoapMessage['options'];

// The numbers of these fixed sets are their places in the lists above (the decoder's side).
// Switches rather than Map lookups: a switch on constant strings compares pointers.
function roleNumber(role: MessageRole): number {
  switch (role) {
    case 'request': return 0;
    case 'response': return 1;
    case 'notification': return 2;
    case 'ack': return 3;
    case 'reset': return 4;
    case 'ping': return 5;
    case 'signal': return 6;
  }
}

function transportNumber(transport: CoapEvent['transport']): number {
  return transport === 'udp' ? 0 : transport === 'tcp' ? 1 : 2;
}

function typeNumber(type: CoapType | null): number {
  return type === null ? NONE : type === 'CON' ? 0 : type === 'NON' ? 1 : type === 'ACK' ? 2 : 3;
}

/** An exchange record sent whole, as the record made from the message that names it, or as one the state thread holds. */
const RECORD_FULL = 0;
const RECORD_OWN = 1;
/** A record in the state thread's ring of recent records (see RECENT_RECORDS). */
const RECORD_RECENT = 2;
/** RECORD_KNOWN + the store that holds it. */
const RECORD_KNOWN = 3;
/** Flags of a message whose addresses (swapped) or token are those of the request it answers. */
const FROM_REQUEST_ADDRESSES = 1;
const FROM_REQUEST_TOKEN = 2;

/**
 * Requests' exchange records the state thread holds, by serial, in two stores: Observe
 * requests, which live as long as their notifications keep coming, and all other requests.
 * Each keeps the records described in its current and its previous generation; the formatter
 * thread starts a new generation (KIND_ROTATE, both threads at the same unit) when the period
 * has passed in capture time or it has described `fill` records, and knows from a record's `mark` whether
 * the state thread still holds it. A request's record must stay the same object as long as
 * the exchange tracker can hand it out (state keys observations and request sizes by it), so
 * a store keeps a record at least RECORD_RETENTION after its last use, unless `fill` others
 * were described since.
 */
const RECORD_STORES = [
  { period: RECORD_RETENTION.observation, fill: RECORD_RETENTION.observations },
  { period: RECORD_RETENTION.request, fill: RECORD_RETENTION.requests },
] as const;

/** One record store in the state thread: the records described in its current and its previous generation, by serial. */
interface HeldRecords {
  current: Map<number, ExchangeRecord>;
  previous: Map<number, ExchangeRecord>;
}

/** The store of a request's record; -1 for any other (a confirmable response, which only its ACK names). */
function storeOf(msg: ExchangeRecord['msg']): number {
  return msg.code >> 5 !== 0 ? -1 : msg.observe === 0 ? 0 : 1;
}

/**
 * Records that are in no store (confirmable responses) are kept in a ring of this many, by
 * serial, in both threads alike: the ACK that names one mostly comes right after it.
 */
const RECENT_RECORDS = 256;

/**
 * Numbered strings are kept in two tables, each starting over on its own: the addresses, and
 * the words (operations, endpoint names, errors). Fixed sets (roles, message types) have
 * fixed numbers.
 */
const TABLES = ['addresses', 'words'] as const;
const ADDRESSES = 0;
const WORDS = 1;

/** A message without an LwM2M reading, with one, or with the one the last message answering the same request had. */
const LWM2M_NONE = 0;
const LWM2M_READING = 1;
const LWM2M_AS_BEFORE = 2;
/**
 * Slots for the readings of messages answering requests: direct-mapped by serial, so room for
 * a large fleet's observations with few collisions (with 4,096, a 2,000-meter fleet's
 * notifications missed a third of the time, two observations taking turns in one slot).
 */
const REQUEST_READINGS = 1 << 14;

type Reading = Pick<Lwm2mInfo, 'operation' | 'endpoint' | 'path'>;

/** Readings by serial, direct-mapped. */
class ReadingSlots {
  readonly serials: Float64Array;
  readonly operations: Array<Operation | undefined>;
  readonly endpoints: Array<string | null | undefined>;
  readonly paths: Array<string | null | undefined>;

  constructor(readonly size: number) {
    this.serials = new Float64Array(size).fill(NONE);
    this.operations = new Array<Operation | undefined>(size).fill(undefined);
    this.endpoints = new Array<string | null | undefined>(size).fill(undefined);
    this.paths = new Array<string | null | undefined>(size).fill(undefined);
  }

  /** The slot of the reading remembered under `serial`, or -1. */
  find(serial: number): number {
    const slot = serial % this.size;
    return this.serials[slot] === serial ? slot : -1;
  }

  remember(serial: number, l: Reading): void {
    const slot = serial % this.size;
    this.serials[slot] = serial;
    this.operations[slot] = l.operation;
    this.endpoints[slot] = l.endpoint;
    this.paths[slot] = l.path;
  }
}

/**
 * The operation, endpoint and path last read for messages answering each request, kept alike
 * in both threads: an observation's notifications all read the same, as the same string
 * objects in the formatter thread. A confirmable response's own reading is kept too, for the
 * ACK that answers it and reads the same (a quarter of the bench capture's messages).
 */
class LastReadings {
  private readonly byRequest = new ReadingSlots(REQUEST_READINGS);
  /** Confirmable responses' readings: the ACK mostly comes right after, as for RECENT_RECORDS. */
  private readonly byResponse = new ReadingSlots(RECENT_RECORDS);

  /** Where the reading of a message answering `request` is kept. */
  of(request: ExchangeRecord): ReadingSlots {
    return storeOf(request.msg) >= 0 ? this.byRequest : this.byResponse;
  }

  /** After a message's reading: kept under its own record when that is a confirmable response's. */
  own(record: ExchangeRecord | null, l: Reading): void {
    if (record !== null && storeOf(record.msg) < 0) this.byResponse.remember(record.serial, l);
  }
}

/** One table's strings numbered so far (formatter-thread side). */
class StringNumbers {
  private readonly numbers = new Map<string, number>();
  private fresh: string[] = [];
  private reset = false;

  constructor(private readonly limit: number) {}

  number(s: string): number {
    let number = this.numbers.get(s);
    if (number === undefined) {
      number = this.numbers.size;
      this.numbers.set(s, number);
      this.fresh.push(s);
    }
    return number;
  }

  /** What a batch carries for this table; a full table starts over after it. */
  take(): TableStrings {
    const taken = { strings: this.fresh, reset: this.reset };
    this.fresh = [];
    this.reset = this.numbers.size >= this.limit;
    if (this.reset) this.numbers.clear();
    return taken;
  }
}

/** Formatter-thread side: collects units until take() hands them over as one batch. */
export class UnitEncoder {
  private slots = new Float64Array(1 << 16);
  private n = 0;
  private chars = new Uint8Array(1 << 18);
  private c = 0;
  private readonly tables: StringNumbers[];
  private readonly addresses: StringNumbers;
  private readonly words: StringNumbers;
  private inline: string[] = [];
  private dtls: DtlsEvent[] = [];
  private readonly spare: SpentArrays[] = [];
  /** Units in the batch being collected. */
  units = 0;
  /**
   * Per record store: its generation, when it began (capture time) and how many records were
   * described in it. From 2: a record never described (mark 0) is in no generation held.
   */
  private readonly generations = RECORD_STORES.map(() => 2);
  private readonly rotatedAt = RECORD_STORES.map(() => -Infinity);
  private readonly described = RECORD_STORES.map(() => 0);
  private readonly fills: number[];
  /** The serials in the state thread's ring of recent records. */
  private readonly recent = new Float64Array(RECENT_RECORDS).fill(NONE);
  private readonly lastReadings = new LastReadings();

  /**
   * Tests make the tables and stores small: `tableLimit` numbered strings before a table
   * starts over, `recordFill` records described before a record store's next generation.
   */
  constructor({ tableLimit = STRING_TABLE_LIMIT, recordFill = Infinity }: { tableLimit?: number; recordFill?: number } = {}) {
    this.tables = TABLES.map(() => new StringNumbers(tableLimit));
    this.fills = RECORD_STORES.map((s) => Math.min(s.fill, recordFill));
    this.addresses = this.tables[ADDRESSES]!;
    this.words = this.tables[WORDS]!;
  }

  message(m: AnalyzedMessage): void {
    this.units++;
    const c = m.coap;
    const msg = c.msg;
    const match = c.match;
    this.rotate(c.ts);
    this.room(3);
    this.slots[this.n++] = KIND_MESSAGE;
    this.slots[this.n++] = c.frame;
    this.slots[this.n++] = c.ts;
    // The request first: an answer's addresses (swapped) and token are mostly its.
    const request = match.request;
    this.record(request, c);
    const swapped = request !== null && request.src === c.dst && request.dst === c.src;
    const sameToken = request !== null && request.msg.token === msg.token;
    // Read after room(), which may have grown the array.
    this.room(MESSAGE_SLOTS + msg.uriQuery.length);
    const o = this.slots;
    let i = this.n;
    o[i++] = (swapped ? FROM_REQUEST_ADDRESSES : 0) | (sameToken ? FROM_REQUEST_TOKEN : 0);
    if (!swapped) {
      o[i++] = this.numbered(this.addresses, c.src);
      o[i++] = this.numbered(this.addresses, c.dst);
    }
    o[i++] = transportNumber(c.transport);
    o[i++] = c.size;
    o[i++] = typeNumber(msg.type);
    o[i++] = msg.code;
    o[i++] = msg.mid ?? NONE;
    if (!sameToken) o[i++] = this.raw(msg.token);
    o[i++] = this.maybeRaw(msg.uriPath);
    o[i++] = this.maybeRaw(msg.locationPath);
    o[i++] = msg.contentFormat ?? NONE;
    o[i++] = msg.accept ?? NONE;
    o[i++] = msg.observe ?? NONE;
    o[i++] = msg.payload.length;
    o[i++] = this.maybeNumbered(this.words, msg.error);
    i = this.list(i, msg.uriQuery);
    o[i++] = roleNumber(match.role);
    o[i++] = match.retransmissionOf ?? NONE;
    o[i++] = match.responseTime ?? NaN;
    this.n = i;
    this.record(match.record, c);
    this.lwm2m(m.lwm2m, c.body, request, match.record);
  }

  /** A DTLS session change, copied now: the session object goes on changing. */
  dtlsEvent(e: DtlsEvent): void {
    this.units++;
    this.room(1);
    this.slots[this.n++] = KIND_DTLS;
    this.dtls.push(structuredClone(e));
  }

  /**
   * Arrays of a batch the state thread is done with, for a later one: fresh arrays for every
   * batch cost the collector work (and zeroing) in both threads.
   */
  reuse(spent: SpentArrays): void {
    if (this.spare.length < MAX_SPARE) this.spare.push(spent);
  }

  /** The units collected since the last take, or null when there are none. */
  take(): UnitBatch | null {
    if (this.n === 0) return null;
    const batch: UnitBatch = {
      type: 'units', slots: this.slots, length: this.n, chars: this.chars, strings: this.tables.map((t) => t.take()), inline: this.inline, dtls: this.dtls,
    };
    // The arrays go to the other thread (transferred): others for the next batch.
    const spent = this.spare.pop();
    this.slots = spent?.slots ?? new Float64Array(this.slots.length);
    this.chars = spent?.chars ?? new Uint8Array(this.chars.length);
    this.n = 0;
    this.c = 0;
    this.units = 0;
    this.inline = [];
    this.dtls = [];
    return batch;
  }

  /**
   * An exchange record. One the state thread holds (see RECORD_STORES) is named by its serial
   * with what changes on it ('known'). A request's own record holds the very fields of its
   * message (the tracker copies them), so then only what changes is sent ('own'); any other
   * goes whole.
   */
  private record(r: ExchangeRecord | null, c: CoapEvent): void {
    this.room(16 + (r?.msg.uriQuery.length ?? 0));
    const o = this.slots;
    if (r === null) {
      o[this.n++] = NONE;
      return;
    }
    const rm = r.msg;
    const store = storeOf(rm);
    let i = this.n;
    o[i++] = r.serial;
    o[i++] = r.answeredAt ?? NaN;
    o[i++] = r.acknowledgedBy ?? NONE;
    const slot = r.serial % RECENT_RECORDS;
    if (store >= 0) {
      const generation = this.generations[store]!;
      const known = r.mark >= generation - 1;
      if (r.mark !== generation) {
        r.mark = generation;
        this.described[store]++;
      }
      if (known) {
        o[i++] = RECORD_KNOWN + store;
        this.n = i;
        return;
      }
    } else if (this.recent[slot] === r.serial) {
      o[i++] = RECORD_RECENT;
      this.n = i;
      return;
    } else this.recent[slot] = r.serial;
    const msg = c.msg;
    const own = r.frame === c.frame && r.ts === c.ts && r.src === c.src && r.dst === c.dst && rm.type === msg.type && rm.code === msg.code
      && rm.mid === msg.mid && rm.token === msg.token && rm.uriPath === msg.uriPath && rm.uriQuery === msg.uriQuery && rm.observe === msg.observe;
    if (own) {
      o[i++] = RECORD_OWN;
      this.n = i;
      return;
    }
    o[i++] = RECORD_FULL;
    o[i++] = r.frame;
    o[i++] = r.ts;
    o[i++] = this.numbered(this.addresses, r.src);
    o[i++] = this.numbered(this.addresses, r.dst);
    o[i++] = typeNumber(rm.type);
    o[i++] = rm.code;
    o[i++] = rm.mid ?? NONE;
    o[i++] = this.raw(rm.token);
    o[i++] = this.maybeRaw(rm.uriPath);
    o[i++] = rm.observe ?? NONE;
    this.n = this.list(i, rm.uriQuery);
  }

  /** Starts a new generation of a record store where its period has passed or it has taken its fill (both threads do, here). */
  private rotate(ts: number): void {
    for (let store = 0; store < RECORD_STORES.length; store++) {
      if (ts - this.rotatedAt[store]! < RECORD_STORES[store]!.period && this.described[store]! < this.fills[store]!) continue;
      this.generations[store]++;
      this.rotatedAt[store] = ts;
      this.described[store] = 0;
      this.room(2);
      this.slots[this.n++] = KIND_ROTATE;
      this.slots[this.n++] = store;
    }
  }

  /**
   * The LwM2M reading without its payload's records: the state thread decodes the body
   * itself (readPayload), which costs it less than this thread would spend writing them.
   */
  private lwm2m(l: Lwm2mInfo | null, body: Buffer | null, request: ExchangeRecord | null, own: ExchangeRecord | null): void {
    this.room(5);
    const o = this.slots;
    if (l === null) {
      o[this.n++] = LWM2M_NONE;
      return;
    }
    let i = this.n;
    const readings = request === null ? null : this.lastReadings.of(request);
    const slot = readings === null ? -1 : readings.find(request!.serial);
    if (slot >= 0 && readings!.operations[slot] === l.operation && readings!.endpoints[slot] === l.endpoint && readings!.paths[slot] === l.path) {
      o[i++] = LWM2M_AS_BEFORE;
    } else {
      o[i++] = LWM2M_READING;
      o[i++] = this.numbered(this.words, l.operation);
      o[i++] = this.maybeNumbered(this.words, l.endpoint);
      o[i++] = this.maybeRaw(l.path);
      readings?.remember(request!.serial, l);
    }
    this.lastReadings.own(own, l);
    o[i++] = body === null ? NONE : this.bytes(body);
    this.n = i;
  }

  /** Writes a list of strings (count, then each, raw) at `i`; the caller made room. */
  private list(i: number, items: readonly string[]): number {
    const o = this.slots;
    o[i++] = items.length;
    for (const s of items) o[i++] = this.raw(s);
    return i;
  }

  private maybeNumbered(table: StringNumbers, s: string | null): number {
    return s === null ? NONE : this.numbered(table, s);
  }

  /** A string's number in `table` (≥ 0), or for a long one -2 - its place in `inline`. */
  private numbered(table: StringNumbers, s: string): number {
    return s.length > INLINE_LENGTH ? this.inlined(s) : table.number(s);
  }

  private maybeRaw(s: string | null): number {
    return s === null ? NONE : this.raw(s);
  }

  /**
   * Copies a string's characters into `chars` and gives its length (≥ 0); one that is long
   * or has a character beyond Latin-1 goes inline (-2 - its place there).
   */
  private raw(s: string): number {
    const length = s.length;
    if (length > INLINE_LENGTH) return this.inlined(s);
    if (this.c + length > this.chars.length) this.growChars(length);
    const chars = this.chars;
    let c = this.c;
    for (let k = 0; k < length; k++) {
      const code = s.charCodeAt(k);
      if (code > 255) return this.inlined(s);
      chars[c++] = code;
    }
    this.c = c;
    return length;
  }

  /** Copies bytes into `chars`; gives their count. */
  private bytes(b: Uint8Array): number {
    if (this.c + b.length > this.chars.length) this.growChars(b.length);
    this.chars.set(b, this.c);
    this.c += b.length;
    return b.length;
  }

  private growChars(k: number): void {
    const grown = new Uint8Array(Math.max(2 * this.chars.length, this.c + k));
    grown.set(this.chars.subarray(0, this.c));
    this.chars = grown;
  }

  private inlined(s: string): number {
    return -2 - (this.inline.push(s) - 1);
  }

  private room(k: number): void {
    if (this.n + k <= this.slots.length) return;
    const grown = new Float64Array(Math.max(2 * this.slots.length, this.n + k));
    grown.set(this.slots.subarray(0, this.n));
    this.slots = grown;
  }
}

/**
 * State-thread side: turns batches back into the messages and DTLS changes the pipeline
 * handed the formatter thread, in the same order.
 *
 * Exchange records keep their identity across messages, as in one thread: state keys
 * observations and request sizes by the request's record object, so the record a response
 * names must be the one its request carried: requests' records stay in the record stores as
 * the formatter thread says (RECORD_STORES); other records (confirmable responses, which only
 * their ACKs name) in a ring of recent ones, and are made anew when they have left it, as
 * nothing is keyed by them. DTLS sessions likewise stay one object per session, updated from
 * each change's copy (so between changes, a session's counters stand as at its last change).
 */
export class UnitDecoder {
  private readonly tables: string[][] = TABLES.map(() => []);
  private readonly addresses = this.tables[ADDRESSES]!;
  private readonly words = this.tables[WORDS]!;
  private chars = Buffer.alloc(0);
  private c = 0;
  private inline: string[] = [];
  private slots: Float64Array = new Float64Array(0);
  private i = 0;
  /** The record stores (RECORD_STORES). */
  private readonly stores: HeldRecords[] = RECORD_STORES.map(() => ({ current: new Map(), previous: new Map() }));
  private readonly recent = new Array<ExchangeRecord | undefined>(RECENT_RECORDS).fill(undefined);
  private readonly lastReadings = new LastReadings();
  private readonly sessions = new Map<number, DtlsSession>();
  private zeros = Buffer.alloc(1 << 16);
  private payloads: Buffer[] = [];

  decode(batch: UnitBatch, onMessage: (m: AnalyzedMessage) => void, onDtls: (e: DtlsEvent) => void): void {
    batch.strings.forEach(({ strings, reset }, t) => {
      const table = this.tables[t]!;
      if (reset) table.length = 0;
      for (const s of strings) table.push(s);
    });
    this.inline = batch.inline;
    this.slots = batch.slots;
    this.chars = Buffer.from(batch.chars.buffer, batch.chars.byteOffset, batch.chars.byteLength);
    this.i = 0;
    this.c = 0;
    let dtls = 0;
    while (this.i < batch.length) {
      const kind = this.slots[this.i++];
      if (kind === KIND_MESSAGE) onMessage(this.message());
      else if (kind === KIND_DTLS) onDtls(this.session(batch.dtls[dtls++]!));
      else if (kind === KIND_ROTATE) {
        const store = this.stores[this.slots[this.i++]!]!;
        store.previous = store.current;
        store.current = new Map();
      }
      else throw new Error(`unit batch: unknown unit kind ${kind} at slot ${this.i - 1}`);
    }
  }

  private message(): AnalyzedMessage {
    const o = this.slots;
    const frame = o[this.i++]!;
    const ts = o[this.i++]!;
    const request = this.record(null);
    const from = o[this.i++]!;
    const swapped = (from & FROM_REQUEST_ADDRESSES) !== 0;
    const src = swapped ? request!.dst : this.numbered(this.addresses);
    const dst = swapped ? request!.src : this.numbered(this.addresses);
    const transport = TRANSPORTS[o[this.i++]!]!;
    const size = o[this.i++]!;
    const type = this.type();
    const code = o[this.i++]!;
    const mid = this.nullable();
    const token = (from & FROM_REQUEST_TOKEN) !== 0 ? request!.msg.token : this.raw();
    const uriPath = this.maybeRaw();
    const locationPath = this.maybeRaw();
    const contentFormat = this.nullable();
    const accept = this.nullable();
    const observe = this.nullable();
    const payload = this.payload(o[this.i++]!);
    const error = this.maybeNumbered(this.words);
    const uriQuery = this.list();
    const msg: CoapMessage = {
      type, code, mid, token, options: NO_OPTIONS, uriPath, uriQuery, locationPath, contentFormat, accept, observe,
      block1: null, block2: null, size1: null, size2: null, requestTag: null, payload, error,
    };
    const role = ROLES[o[this.i++]!]!;
    const retransmissionOf = this.nullable();
    const rt = o[this.i++]!;
    const record = this.record({ frame, ts, src, dst, msg });
    const match: ExchangeMatch = { role, request, retransmissionOf, responseTime: Number.isNaN(rt) ? null : rt, record };
    const coap: CoapEvent = { frame, ts, src, dst, transport, msg, size, match, body: null, block: SINGLE };
    return { coap, lwm2m: this.lwm2m(msg, request, record) };
  }

  /** An exchange record; `own`: the message it may have been made from (not for a message's request). */
  private record(own: Pick<CoapEvent, 'frame' | 'ts' | 'src' | 'dst' | 'msg'> | null): ExchangeRecord | null {
    const o = this.slots;
    const serial = o[this.i++]!;
    if (serial === NONE) return null;
    const answered = o[this.i++]!;
    const answeredAt = Number.isNaN(answered) ? null : answered;
    const acknowledgedBy = this.nullable();
    const form = o[this.i++]!;
    if (form === RECORD_RECENT || form >= RECORD_KNOWN) {
      const held = form === RECORD_RECENT ? this.recent[serial % RECENT_RECORDS] : this.fromStore(this.stores[form - RECORD_KNOWN]!, serial);
      if (held?.serial !== serial) throw new Error(`unit batch: exchange record ${serial} is not held`);
      held.answeredAt = answeredAt;
      held.acknowledgedBy = acknowledgedBy;
      return held;
    }
    let made: ExchangeRecord;
    if (form === RECORD_OWN) {
      if (own === null) throw new Error('unit batch: a request named as its answer\'s own record');
      made = exchangeRecord(serial, own.frame, own.ts, own.src, own.dst, summarize(own.msg), answeredAt, acknowledgedBy);
    } else {
      const frame = o[this.i++]!;
      const ts = o[this.i++]!;
      const src = this.numbered(this.addresses);
      const dst = this.numbered(this.addresses);
      const type = this.type();
      const code = o[this.i++]!;
      const mid = this.nullable();
      const token = this.raw();
      const uriPath = this.maybeRaw();
      const observe = this.nullable();
      const uriQuery = this.list();
      made = exchangeRecord(serial, frame, ts, src, dst, { type, code, mid, token, uriPath, uriQuery, observe }, answeredAt, acknowledgedBy);
    }
    const store = storeOf(made.msg);
    if (store >= 0) this.stores[store]!.current.set(serial, made);
    else this.recent[serial % RECENT_RECORDS] = made;
    return made;
  }

  /** A held record, moved into the current generation if it was in the previous one. */
  private fromStore(store: HeldRecords, serial: number): ExchangeRecord | undefined {
    const current = store.current.get(serial);
    if (current !== undefined) return current;
    const previous = store.previous.get(serial);
    if (previous !== undefined) store.current.set(serial, previous);
    return previous;
  }

  private lwm2m(msg: CoapMessage, request: ExchangeRecord | null, own: ExchangeRecord | null): Lwm2mInfo | null {
    const form = this.slots[this.i++]!;
    if (form === LWM2M_NONE) return null;
    let operation: Operation;
    let endpoint: string | null;
    let path: string | null;
    const readings = request === null ? null : this.lastReadings.of(request);
    if (form === LWM2M_AS_BEFORE) {
      const slot = readings === null ? -1 : readings.find(request!.serial);
      if (slot < 0) throw new Error('unit batch: an LwM2M reading as before, with no reading before');
      operation = readings!.operations[slot]!;
      endpoint = readings!.endpoints[slot]!;
      path = readings!.paths[slot]!;
    } else {
      operation = this.numbered(this.words) as Operation;
      endpoint = this.maybeNumbered(this.words);
      path = this.maybeRaw();
      readings?.remember(request!.serial, { operation, endpoint, path });
    }
    const length = this.slots[this.i++]!;
    // As the LwM2M stage makes it, then the payload read as it reads it.
    const info: Lwm2mInfo = { operation, endpoint, path, records: NO_RECORDS, objects: null, links: null, payloadError: null };
    this.lastReadings.own(own, info);
    if (length !== NONE) {
      const start = this.c;
      this.c += length;
      // A view into the batch's array, which goes back to the other thread: records hold no bytes.
      readPayload(info, msg, this.chars.subarray(start, this.c));
    }
    return info;
  }

  /** The session object of `e`'s session, brought up to date with the copy `e` carries. */
  private session(e: DtlsEvent): DtlsEvent {
    const known = this.sessions.get(e.session.id);
    if (known !== undefined) {
      e.session = Object.assign(known, e.session);
      return e;
    }
    // Bounded as the DTLS stage bounds its sessions (analyze uses its default), oldest first.
    if (this.sessions.size >= DEFAULT_MAX_SESSIONS) this.sessions.delete(this.sessions.keys().next().value!);
    this.sessions.set(e.session.id, e.session);
    return e;
  }

  /** A zero-filled stand-in for a payload of `length` bytes: one view per length, made once. */
  private payload(length: number): Buffer {
    if (length > this.zeros.length) {
      this.zeros = Buffer.alloc(length);
      this.payloads = [];
    }
    return (this.payloads[length] ??= this.zeros.subarray(0, length));
  }

  private type(): CoapType | null {
    const t = this.slots[this.i++]!;
    return t === NONE ? null : TYPES[t]!;
  }

  private nullable(): number | null {
    const v = this.slots[this.i++]!;
    return v === NONE ? null : v;
  }

  private list(): string[] {
    const count = this.slots[this.i++]!;
    if (count === 0) return NO_STRINGS;
    const items: string[] = [];
    for (let k = 0; k < count; k++) items.push(this.raw());
    return items;
  }

  private maybeNumbered(table: string[]): string | null {
    if (this.slots[this.i] !== NONE) return this.numbered(table);
    this.i++;
    return null;
  }

  private numbered(table: string[]): string {
    const v = this.slots[this.i++]!;
    return v >= 0 ? table[v]! : this.inline[-2 - v]!;
  }

  private maybeRaw(): string | null {
    if (this.slots[this.i] !== NONE) return this.raw();
    this.i++;
    return null;
  }

  private raw(): string {
    const v = this.slots[this.i++]!;
    if (v < 0) return this.inline[-2 - v]!;
    const start = this.c;
    this.c += v;
    return this.chars.toString('latin1', start, this.c);
  }
}
