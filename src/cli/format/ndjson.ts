import { CODE_STRINGS, type BlockValue, type CoapOption } from '../../coap/index.js';
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

function value(out: JsonBytes, v: Lwm2mRecord['value']): void {
  if (v === null) out.ascii('null');
  else if (typeof v === 'number') out.jsonNumber(v);
  else if (typeof v === 'boolean') out.boolean(v);
  else out.string(v);
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
  transport: '","transport":"',
  coapType: '","coap":{"type":',
  code: ',"code":"',
  mid: '","mid":',
  token: ',"token":"',
  options: '","options":',
  uriPath: ',"uriPath":',
  uriQuery: ',"uriQuery":',
  contentFormat: ',"contentFormat":',
  accept: ',"accept":',
  observe: ',"observe":',
  block1: ',"block1":',
  block2: ',"block2":',
  size1: ',"size1":',
  size2: ',"size2":',
  locationPath: ',"locationPath":',
  payloadLength: ',"payloadLength":',
  role: ',"role":"',
  retransmission: '","retransmission":',
  retransmissionOf: ',"retransmissionOf":',
  responseTo: ',"responseTo":',
  responseTime: ',"responseTime":',
  reassembled: ',"reassembled":',
  reassembledBlocks: '{"blocks":',
  reassembledLength: ',"length":',
  reassembledFirstFrame: ',"firstFrame":',
  reassembledEnd: '}},',
  reassembledNull: 'null},',
  lwm2mNull: '"lwm2m":null',
  operation: '"lwm2m":{"operation":"',
  endpoint: '","endpoint":',
  path: ',"path":',
  records: ',"records":',
  objects: ',"objects":',
  links: ',"links":',
  payloadError: ',"payloadError":',
  error: ',"error":',
  end: '}\n',
});

function pieces<K extends string>(texts: Record<K, string>): Record<K, Uint8Array> {
  const out = {} as Record<K, Uint8Array>;
  for (const key of Object.keys(texts) as K[]) out[key] = Buffer.from(texts[key], 'latin1');
  return out;
}

function recordHead(out: JsonBytes, r: Lwm2mRecord): void {
  out.raw(PIECE.recordPath);
  out.string(r.path);
  out.raw(PIECE.recordName);
  out.stringOrNull(r.name);
  out.raw(PIECE.recordType);
  out.ascii(r.type);
  out.raw(PIECE.recordValue);
}

function recordPrefix(r: Lwm2mRecord): RecordPrefix {
  let prefix = prefixes.get(r.path);
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
function records(out: JsonBytes, list: Lwm2mRecord[]): void {
  out.ascii('[');
  for (let i = 0; i < list.length; i++) {
    const r = list[i];
    if (i > 0) out.ascii(',');
    const prefix = recordPrefix(r).bytes;
    if (prefix !== null) {
      out.raw(prefix);
      value(out, r.value);
    } else {
      // Key material: its length only, in the stream and in the stored messages alike.
      recordHead(out, r);
      out.ascii('null');
      if (r.value !== null) {
        out.raw(PIECE.redacted);
        out.numberOrNull(valueLength(r.type, r.value));
      }
    }
    if (r.time !== undefined) {
      out.raw(PIECE.time);
      out.jsonNumber(r.time);
    }
    if (r.timeRelative) out.raw(PIECE.timeRelative);
    out.ascii('}');
  }
  out.ascii(']');
}

function block(out: JsonBytes, b: BlockValue | null): void {
  if (b === null) {
    out.ascii('null');
    return;
  }
  out.raw(PIECE.blockNum);
  out.number(b.num);
  out.raw(PIECE.blockMore);
  out.boolean(b.more);
  out.raw(PIECE.blockSize);
  out.number(b.size);
  out.ascii('}');
}

function options(out: JsonBytes, opts: CoapOption[]): void {
  out.ascii('[');
  for (let i = 0; i < opts.length; i++) {
    const o = opts[i];
    out.ascii(i > 0 ? ',{"number":' : '{"number":');
    out.number(o.number);
    out.raw(PIECE.optionName);
    out.ascii(o.name);
    out.raw(PIECE.recordValue);
    if (typeof o.value === 'number') out.number(o.value);
    else out.string(o.value);
    out.ascii('}');
  }
  out.ascii(']');
}

/** One `{"kind":"message",…}` line (with its newline), as documented in the README, appended to `out`. */
export function writeMessage(out: JsonBytes, m: AnalyzedMessage): void {
  const e = m.coap;
  const msg = e.msg;
  const match = e.match;
  const request = match.request;
  // Responses carry the path of their request, as tshark's uri_path_recon does.
  const uriPath = msg.uriPath ?? (request !== null && request.msg.code >> 5 === 0 && request.msg.code !== 0 ? request.msg.uriPath : null);
  out.raw(PIECE.frame);
  out.number(e.frame);
  out.raw(PIECE.ts);
  out.fixed6(e.ts);
  // src and dst are built by the decode stage from numbers: never in need of escaping.
  out.raw(PIECE.src);
  out.ascii(e.src);
  out.raw(PIECE.dst);
  out.ascii(e.dst);
  out.raw(PIECE.transport);
  out.ascii(e.transport);
  out.raw(PIECE.coapType);
  if (msg.type === null) out.ascii('null');
  else {
    out.ascii('"');
    out.ascii(msg.type);
    out.ascii('"');
  }
  out.raw(PIECE.code);
  out.ascii(CODE_STRINGS[msg.code]);
  out.raw(PIECE.mid);
  out.numberOrNull(msg.mid);
  out.raw(PIECE.token);
  out.ascii(msg.token);
  out.raw(PIECE.options);
  options(out, msg.options);
  out.raw(PIECE.uriPath);
  out.stringOrNull(uriPath);
  out.raw(PIECE.uriQuery);
  out.strings(msg.uriQuery);
  out.raw(PIECE.contentFormat);
  out.numberOrNull(msg.contentFormat);
  out.raw(PIECE.accept);
  out.numberOrNull(msg.accept);
  out.raw(PIECE.observe);
  out.numberOrNull(msg.observe);
  out.raw(PIECE.block1);
  block(out, msg.block1);
  out.raw(PIECE.block2);
  block(out, msg.block2);
  out.raw(PIECE.size1);
  out.numberOrNull(msg.size1);
  out.raw(PIECE.size2);
  out.numberOrNull(msg.size2);
  out.raw(PIECE.locationPath);
  out.stringOrNull(msg.locationPath);
  out.raw(PIECE.payloadLength);
  out.number(msg.payload.length);
  out.raw(PIECE.role);
  out.ascii(match.role);
  out.raw(PIECE.retransmission);
  out.boolean(match.retransmissionOf !== null);
  out.raw(PIECE.retransmissionOf);
  out.numberOrNull(match.retransmissionOf);
  out.raw(PIECE.responseTo);
  if (request === null) out.ascii('null');
  else out.number(request.frame);
  out.raw(PIECE.responseTime);
  if (match.responseTime === null) out.ascii('null');
  else out.fixed6(match.responseTime);
  out.raw(PIECE.reassembled);
  if (e.block.state === 'complete') {
    const body = e.block.body;
    out.raw(PIECE.reassembledBlocks);
    out.number(body.blocks);
    out.raw(PIECE.reassembledLength);
    out.number(body.body.length);
    out.raw(PIECE.reassembledFirstFrame);
    out.number(body.firstFrame);
    out.raw(PIECE.reassembledEnd);
  } else {
    out.raw(PIECE.reassembledNull);
  }
  const l = m.lwm2m;
  if (l === null) {
    out.raw(PIECE.lwm2mNull);
  } else {
    out.raw(PIECE.operation);
    out.ascii(l.operation);
    out.raw(PIECE.endpoint);
    out.stringOrNull(l.endpoint);
    out.raw(PIECE.path);
    out.stringOrNull(l.path);
    out.raw(PIECE.records);
    records(out, l.records);
    out.raw(PIECE.objects);
    if (l.objects === null) out.ascii('null');
    else out.strings(l.objects);
    out.raw(PIECE.links);
    if (l.links === null) out.ascii('null');
    else out.text(JSON.stringify(l.links));
    out.raw(PIECE.payloadError);
    out.stringOrNull(l.payloadError);
    out.ascii('}');
  }
  out.raw(PIECE.error);
  out.stringOrNull(msg.error);
  out.raw(PIECE.end);
}

const lineBuffer = new JsonBytes(4096);

/** The message line as a string (the database's stored messages; the stream writes bytes with writeMessage). */
export function messageLine(m: AnalyzedMessage): string {
  lineBuffer.length = 0;
  writeMessage(lineBuffer, m);
  return lineBuffer.textFrom(0);
}
