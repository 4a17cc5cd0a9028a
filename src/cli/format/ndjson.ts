import { CODE_STRINGS, type BlockValue, type CoapOption } from '../../coap/index.js';
import { isSecretResource, valueLength, type Lwm2mRecord } from '../../lwm2m/index.js';
import type { AnalyzedMessage } from '../../pipeline/index.js';
import { GenerationalMap } from '../../util/generational-map.js';
import { fixed6, shortDecimal } from './decimal.js';

/*
 * NDJSON writer for the message stream. Hand-built rather than JSON.stringify of an object:
 * this runs for every message and measured ~2x faster than building the object and
 * stringifying it (JSON.stringify alone costs ~3 µs for a 700-byte message). Strings from the
 * network go through str(), which falls back to JSON.stringify whenever escaping is needed.
 */

// eslint-disable-next-line no-control-regex
const NEEDS_ESCAPE = /[\u0000-\u001f"\\\u007f-\uffff]/;

/** A string from the network as a JSON string (a regex test is cheaper than a char loop in V8). */
function str(s: string): string {
  return NEEDS_ESCAPE.test(s) ? JSON.stringify(s) : '"' + s + '"';
}

/** A number as JSON writes it (non-finite values have no JSON form and become null, as JSON.stringify does). */
function jsonNumber(n: number): string {
  return Number.isFinite(n) ? shortDecimal(n) : 'null';
}

function value(v: Lwm2mRecord['value']): string {
  if (v === null) return 'null';
  if (typeof v === 'number') return jsonNumber(v);
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  return str(v);
}

/**
 * `{"path":…,"name":…,"type":…,"value":` of a record, remembered per path: notifications repeat
 * the same few resources millions of times, and building the prefix (two escape checks, five
 * concatenations) cost more than the lookup.
 */
interface RecordPrefix {
  name: string | null;
  type: string;
  /** Null for key material: written as its length only. */
  text: string | null;
}
const MAX_PREFIXES = 10_000;
/** Bounded by size only (no time: `set` is given 0), the older half forgotten first. */
const prefixes = new GenerationalMap<string, RecordPrefix>(Number.POSITIVE_INFINITY, MAX_PREFIXES);

function recordPrefix(r: Lwm2mRecord): RecordPrefix {
  let prefix = prefixes.get(r.path);
  if (prefix === undefined || prefix.name !== r.name || prefix.type !== r.type) {
    const text = isSecretResource(r.path) ? null : `{"path":${str(r.path)},"name":${strOrNull(r.name)},"type":"${r.type}","value":`;
    prefix = { name: r.name, type: r.type, text };
    prefixes.set(r.path, prefix, 0);
  }
  return prefix;
}

/** Records in the key order of the Lwm2mRecord type; by hand for the same reason as the line. */
function records(list: Lwm2mRecord[]): string {
  let out = '[';
  for (let i = 0; i < list.length; i++) {
    const r = list[i];
    if (i > 0) out += ',';
    const prefix = recordPrefix(r).text;
    if (prefix !== null) {
      out += prefix + value(r.value);
    } else if (r.value !== null) {
      // Key material: its length only, in the stream and in the stored messages alike.
      out += `{"path":${str(r.path)},"name":${strOrNull(r.name)},"type":"${r.type}","value":null,"redacted":true,"length":${valueLength(r.type, r.value)}`;
    } else {
      out += `{"path":${str(r.path)},"name":${strOrNull(r.name)},"type":"${r.type}","value":null`;
    }
    if (r.time !== undefined) out += `,"time":${jsonNumber(r.time)}`;
    if (r.timeRelative) out += ',"timeRelative":true';
    out += '}';
  }
  return out + ']';
}

function strOrNull(s: string | null): string {
  return s === null ? 'null' : str(s);
}

function num(n: number | null): string {
  return n === null ? 'null' : String(n);
}

function block(b: BlockValue | null): string {
  return b === null ? 'null' : `{"num":${b.num},"more":${b.more},"size":${b.size}}`;
}

function options(opts: CoapOption[]): string {
  let out = '[';
  for (let i = 0; i < opts.length; i++) {
    const o = opts[i];
    if (i > 0) out += ',';
    out += `{"number":${o.number},"name":"${o.name}","value":${typeof o.value === 'number' ? o.value : str(o.value)}}`;
  }
  return out + ']';
}

function strings(list: string[]): string {
  let out = '[';
  for (let i = 0; i < list.length; i++) out += (i > 0 ? ',' : '') + str(list[i]);
  return out + ']';
}

/** One `{"kind":"message",…}` line (with its newline), as documented in the README. */
export function messageLine(m: AnalyzedMessage): string {
  const e = m.coap;
  const msg = e.msg;
  const match = e.match;
  const request = match.request;
  // Responses carry the path of their request, as tshark's uri_path_recon does.
  const uriPath = msg.uriPath ?? (request !== null && request.msg.code >> 5 === 0 && request.msg.code !== 0 ? request.msg.uriPath : null);
  const reassembled = e.block.state === 'complete'
    ? `{"blocks":${e.block.body.blocks},"length":${e.block.body.body.length},"firstFrame":${e.block.body.firstFrame}}`
    : 'null';
  // src and dst are built by the decode stage from numbers: never in need of escaping.
  let line = `{"kind":"message","frame":${e.frame},"ts":${fixed6(e.ts)},"src":"${e.src}","dst":"${e.dst}","transport":"${e.transport}",`
    + `"coap":{"type":${msg.type === null ? 'null' : '"' + msg.type + '"'},"code":"${CODE_STRINGS[msg.code]}","mid":${num(msg.mid)},"token":"${msg.token}",`
    + `"options":${options(msg.options)},"uriPath":${strOrNull(uriPath)},"uriQuery":${strings(msg.uriQuery)},`
    + `"contentFormat":${num(msg.contentFormat)},"accept":${num(msg.accept)},"observe":${num(msg.observe)},`
    + `"block1":${block(msg.block1)},"block2":${block(msg.block2)},"size1":${num(msg.size1)},"size2":${num(msg.size2)},`
    + `"locationPath":${strOrNull(msg.locationPath)},"payloadLength":${msg.payload.length},`
    + `"role":"${match.role}","retransmission":${match.retransmissionOf !== null},"retransmissionOf":${num(match.retransmissionOf)},`
    + `"responseTo":${request === null ? 'null' : request.frame},"responseTime":${match.responseTime === null ? 'null' : fixed6(match.responseTime)},`
    + `"reassembled":${reassembled}},`;
  const l = m.lwm2m;
  if (l === null) {
    line += '"lwm2m":null';
  } else {
    line += `"lwm2m":{"operation":"${l.operation}","endpoint":${strOrNull(l.endpoint)},"path":${strOrNull(l.path)},`
      + `"records":${records(l.records)},"objects":${l.objects === null ? 'null' : strings(l.objects)},`
      + `"links":${l.links === null ? 'null' : JSON.stringify(l.links)},"payloadError":${strOrNull(l.payloadError)}}`;
  }
  return line + `,"error":${strOrNull(msg.error)}}\n`;
}
