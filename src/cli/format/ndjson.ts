import { CODE_STRINGS, type BlockValue, type CoapMessage, type CoapOption } from '../../coap/index.js';
import { isSecretResource, valueLength, type Lwm2mRecord } from '../../lwm2m/index.js';
import type { AnalyzedMessage } from '../../pipeline/index.js';
import { GenerationalMap } from '../../util/generational-map.js';
import { JsonBytes } from './json-bytes.js';

/*
 * NDJSON writer for the message stream, written field by field as bytes (see JsonBytes for why
 * not strings) rather than JSON.stringify of an object: this runs for every message, and
 * JSON.stringify alone costs ~3 µs for a 700-byte message. Strings from the network go
 * through JsonBytes.string, which writes them as JSON.stringify does whenever escaping is needed.
 */

function value(out: JsonBytes, v: Lwm2mRecord['value']): JsonBytes {
  if (v === null) return out.ascii('null');
  if (typeof v === 'number') return out.jsonNumber(v);
  if (typeof v === 'boolean') return out.boolean(v);
  return out.string(v);
}

/**
 * `{"path":…,"name":…,"type":…,"value":` of a record as bytes, remembered per path:
 * notifications repeat the same few resources millions of times, and writing the prefix (two
 * escape checks, five pieces) cost more than the lookup.
 */
interface RecordPrefix {
  name: string | null;
  type: string;
  /** Null for key material: written as its length only. */
  bytes: Uint8Array | null;
}
const MAX_PREFIXES = 10_000;
/** Bounded by size only (no time: `set` is given 0), the older half forgotten first. */
const prefixes = new GenerationalMap<string, RecordPrefix>(Number.POSITIVE_INFINITY, MAX_PREFIXES);
const scratch = new JsonBytes(1024);
/** The constant pieces of a line, as bytes: copied, not encoded, per message. */
const PIECE = pieces({
  recordPath: '{"path":',
  recordName: ',"name":',
  recordType: ',"type":"',
  recordValue: '","value":',
  redacted: ',"redacted":true,"length":',
  time: ',"time":',
  timeRelative: ',"timeRelative":true',
  blockNum: '{"num":',
  blockMore: ',"more":',
  blockSize: ',"size":',
  optionName: ',"name":"',
  frame: '{"kind":"message","frame":',
  ts: ',"ts":',
  src: ',"src":"',
  dst: '","dst":"',
  token: ',"token":"',
  options: '","options":',
  uriPath: ',"uriPath":',
  uriQuery: ',"uriQuery":',
  contentFormat: ',"contentFormat":',
  accept: ',"accept":',
  observe: ',"observe":',
  noAccept: ',"accept":null,"observe":',
  block1: ',"block1":',
  block2: ',"block2":',
  size1: ',"size1":',
  size2: ',"size2":',
  locationPath: ',"locationPath":',
  payloadLength: ',"payloadLength":',
  role: ',"role":"',
  noBlocksToLocationPath: ',"block1":null,"block2":null,"size1":null,"size2":null,"locationPath":null',
  retransmission: '","retransmission":',
  retransmissionOf: ',"retransmissionOf":',
  responseTo: ',"responseTo":',
  responseTime: ',"responseTime":',
  reassembled: ',"reassembled":',
  reassembledBlocks: '{"blocks":',
  reassembledLength: ',"length":',
  reassembledFirstFrame: ',"firstFrame":',
  reassembledEnd: '}},',
  noReassembly: ',"reassembled":null},',
  lwm2mNull: '"lwm2m":null',
  path: ',"path":',
  records: ',"records":',
  objects: ',"objects":',
  links: ',"links":',
  payloadError: ',"payloadError":',
  noObjectsToPayloadError: ',"objects":null,"links":null,"payloadError":null}',
  error: ',"error":',
  noError: ',"error":null}\n',
  end: '}\n',
});

const TRANSPORTS = ['udp', 'tcp', 'dtls'] as const;
const TYPES = ['CON', 'NON', 'ACK', 'RST', null] as const;

/*
 * Runs of a line that depend only on a few fields with a handful of values each are made into
 * bytes once, at their first use, and copied whole after that: each piece written costs a call
 * and a bounds check whatever its length, and these runs are in every line. Every such table is
 * bounded by its fields' values (CoAP code: 256; transports, types, roles, operations: a fixed
 * few; option numbers: below OPTION_HEADS).
 */

/** `","transport":"udp","coap":{"type":"CON","code":"2.05","mid":`, by transport, type and code. */
const transportToMid: (Uint8Array | undefined)[] = new Array(TRANSPORTS.length * TYPES.length * 256);

function transportToMidPiece(transport: string, type: CoapMessage['type'], code: number): Uint8Array {
  const t = TRANSPORTS.indexOf(transport as (typeof TRANSPORTS)[number]);
  const index = t < 0 ? -1 : (t * TYPES.length + TYPES.indexOf(type)) * 256 + code;
  let piece = index >= 0 ? transportToMid[index] : undefined;
  if (piece === undefined) {
    piece = Buffer.from(`","transport":"${transport}","coap":{"type":${type === null ? 'null' : `"${type}"`},"code":"${CODE_STRINGS[code]}","mid":`, 'latin1');
    if (index >= 0) transportToMid[index] = piece;
  }
  return piece;
}

/** `,"role":"notification","retransmission":false,"retransmissionOf":null`, by role (a message that repeats none). */
const roleFirstSeen = new Map<string, Uint8Array>();
/** `"lwm2m":{"operation":"notify","endpoint":`, by operation. */
const operationPieces = new Map<string, Uint8Array>();

/** `before` + `value` + `after` as bytes, kept in `table` by `value`. */
function constantPiece(table: Map<string, Uint8Array>, before: string, value: string, after: string): Uint8Array {
  let piece = table.get(value);
  if (piece === undefined) table.set(value, (piece = Buffer.from(before + value + after, 'latin1')));
  return piece;
}

/** Option numbers below this have their `{"number":…,"name":"…","value":` kept as bytes. */
const OPTION_HEADS = 1024;
const optionHeads: ({ name: string; bytes: Uint8Array } | undefined)[] = new Array(OPTION_HEADS);

function optionHead(o: CoapOption): Uint8Array | null {
  if (o.number >= OPTION_HEADS) return null;
  let head = optionHeads[o.number];
  if (head === undefined || head.name !== o.name) {
    scratch.length = 0;
    scratch.ascii('{"number":').number(o.number).raw(PIECE.optionName).ascii(o.name).raw(PIECE.recordValue);
    optionHeads[o.number] = head = { name: o.name, bytes: scratch.take() };
  }
  return head.bytes;
}

function pieces<K extends string>(texts: Record<K, string>): Record<K, Uint8Array> {
  const out = {} as Record<K, Uint8Array>;
  for (const key of Object.keys(texts) as K[]) out[key] = Buffer.from(texts[key], 'latin1');
  return out;
}

function recordHead(out: JsonBytes, r: Lwm2mRecord): JsonBytes {
  return out.raw(PIECE.recordPath).string(r.path).raw(PIECE.recordName).stringOrNull(r.name)
    .raw(PIECE.recordType).ascii(r.type).raw(PIECE.recordValue);
}

function recordPrefix(r: Lwm2mRecord): RecordPrefix {
  let prefix = prefixes.get(r.path, 0);
  if (prefix === undefined || prefix.name !== r.name || prefix.type !== r.type) {
    let bytes: Uint8Array | null = null;
    if (!isSecretResource(r.path)) {
      scratch.length = 0;
      recordHead(scratch, r);
      bytes = scratch.take();
    }
    prefix = { name: r.name, type: r.type, bytes };
    prefixes.set(r.path, prefix, 0);
  }
  return prefix;
}

/** Records in the key order of the Lwm2mRecord type. */
function records(out: JsonBytes, list: Lwm2mRecord[]): JsonBytes {
  out.ascii('[');
  for (let i = 0; i < list.length; i++) {
    const r = list[i];
    if (i > 0) out.ascii(',');
    const prefix = recordPrefix(r).bytes;
    if (prefix !== null) {
      value(out.raw(prefix), r.value);
    } else {
      // Key material: its length only, in the stream and in the stored messages alike.
      recordHead(out, r).ascii('null');
      if (r.value !== null) out.raw(PIECE.redacted).numberOrNull(valueLength(r.type, r.value));
    }
    if (r.time !== undefined) out.raw(PIECE.time).jsonNumber(r.time);
    if (r.timeRelative) out.raw(PIECE.timeRelative);
    out.ascii('}');
  }
  return out.ascii(']');
}

function block(out: JsonBytes, b: BlockValue | null): JsonBytes {
  if (b === null) return out.ascii('null');
  return out.raw(PIECE.blockNum).number(b.num).raw(PIECE.blockMore).boolean(b.more).raw(PIECE.blockSize).number(b.size).ascii('}');
}

function options(out: JsonBytes, opts: CoapOption[]): JsonBytes {
  out.ascii('[');
  for (let i = 0; i < opts.length; i++) {
    const o = opts[i];
    if (i > 0) out.ascii(',');
    const head = optionHead(o);
    if (head !== null) out.raw(head);
    else out.ascii('{"number":').number(o.number).raw(PIECE.optionName).ascii(o.name).raw(PIECE.recordValue);
    if (typeof o.value === 'number') out.number(o.value);
    else out.string(o.value);
    out.ascii('}');
  }
  return out.ascii(']');
}

/** One `{"kind":"message",…}` line (with its newline), as documented in docs/output.md, appended to `out`. */
export function writeMessage(out: JsonBytes, m: AnalyzedMessage): void {
  const e = m.coap;
  const msg = e.msg;
  const match = e.match;
  const request = match.request;
  // Responses carry the path of their request, as tshark's uri_path_recon does.
  const uriPath = msg.uriPath ?? (request !== null && request.code >> 5 === 0 && request.code !== 0 ? request.uriPath : null);
  // src and dst are built by the decode stage from numbers: never in need of escaping.
  out.raw(PIECE.frame).number(e.frame).raw(PIECE.ts).fixed6(e.ts)
    .raw(PIECE.src).ascii(e.src).raw(PIECE.dst).ascii(e.dst).raw(transportToMidPiece(e.transport, msg.type, msg.code))
    .numberOrNull(msg.mid).raw(PIECE.token).ascii(msg.token)
    .raw(PIECE.options);
  options(out, msg.options).raw(PIECE.uriPath).stringOrNull(uriPath).raw(PIECE.uriQuery).strings(msg.uriQuery)
    .raw(PIECE.contentFormat).numberOrNull(msg.contentFormat);
  if (msg.accept === null) out.raw(PIECE.noAccept);
  else out.raw(PIECE.accept).number(msg.accept).raw(PIECE.observe);
  out.numberOrNull(msg.observe);
  // Runs of fields that are null in most messages are one piece then (fewer, longer copies).
  if (msg.block1 === null && msg.block2 === null && msg.size1 === null && msg.size2 === null && msg.locationPath === null) {
    out.raw(PIECE.noBlocksToLocationPath);
  } else {
    out.raw(PIECE.block1);
    block(out, msg.block1).raw(PIECE.block2);
    block(out, msg.block2).raw(PIECE.size1).numberOrNull(msg.size1).raw(PIECE.size2).numberOrNull(msg.size2)
      .raw(PIECE.locationPath).stringOrNull(msg.locationPath);
  }
  out.raw(PIECE.payloadLength).number(msg.payload.length);
  const role = match.role;
  if (match.retransmissionOf === null) out.raw(constantPiece(roleFirstSeen, ',"role":"', role, '","retransmission":false,"retransmissionOf":null'));
  else out.raw(PIECE.role).ascii(role).raw(PIECE.retransmission).boolean(true).raw(PIECE.retransmissionOf).number(match.retransmissionOf);
  out.raw(PIECE.responseTo).numberOrNull(request === null ? null : request.frame)
    .raw(PIECE.responseTime).fixed6OrNull(match.responseTime);
  if (e.block.state === 'complete') {
    const body = e.block.body;
    out.raw(PIECE.reassembled).raw(PIECE.reassembledBlocks).number(body.blocks).raw(PIECE.reassembledLength).number(body.body.length)
      .raw(PIECE.reassembledFirstFrame).number(body.firstFrame).raw(PIECE.reassembledEnd);
  } else {
    out.raw(PIECE.noReassembly);
  }
  const l = m.lwm2m;
  if (l === null) {
    out.raw(PIECE.lwm2mNull);
  } else {
    const operation = l.operation;
    out.raw(constantPiece(operationPieces, '"lwm2m":{"operation":"', operation, '","endpoint":')).stringOrNull(l.endpoint).raw(PIECE.path).stringOrNull(l.path)
      .raw(PIECE.records);
    records(out, l.records);
    if (l.objects === null && l.links === null && l.payloadError === null) {
      out.raw(PIECE.noObjectsToPayloadError);
    } else {
      out.raw(PIECE.objects);
      if (l.objects === null) out.ascii('null');
      else out.strings(l.objects);
      out.raw(PIECE.links);
      if (l.links === null) out.ascii('null');
      else out.text(JSON.stringify(l.links));
      out.raw(PIECE.payloadError).stringOrNull(l.payloadError).ascii('}');
    }
  }
  if (msg.error === null) out.raw(PIECE.noError);
  else out.raw(PIECE.error).string(msg.error).raw(PIECE.end);
}

const lineBuffer = new JsonBytes(4096);

/** The message line as a string (the database's stored messages; the stream writes bytes with writeMessage). */
export function messageLine(m: AnalyzedMessage): string {
  lineBuffer.length = 0;
  writeMessage(lineBuffer, m);
  return lineBuffer.textFrom(0);
}
