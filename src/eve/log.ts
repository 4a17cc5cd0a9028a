import { createHash } from 'node:crypto';
import { CODE_STRINGS, isRequestCode, type ExchangeRecord } from '../coap/index.js';
import type { DtlsChange, DtlsEvent } from '../dtls/index.js';
import type { Lwm2mInfo } from '../lwm2m/index.js';
import type { AnalyzedMessage } from '../pipeline/index.js';
import type { DetectionEvent, Rule, Severity } from '../rules/index.js';
import { AppendFile } from '../util/append-file.js';
import { BoundedMap, type OverflowCounters } from '../util/bounded-map.js';
import { addressBytes, communityIdOf, flowDigest, PROTO_TCP, PROTO_UDP } from './community-id.js';

/**
 * Requests waiting for their response, to log each request/response pair as one `coap`
 * transaction: a request in flight per meter of a 10^6 fleet, as coap.exchanges-by-token.
 */
export const MAX_PENDING_TRANSACTIONS = 1 << 20;
/** RFC 7252 EXCHANGE_LIFETIME: a request unanswered this long (capture time) is logged as unanswered. */
const UNANSWERED_AFTER = 247;
/**
 * Flows whose EVE fields (addresses split, Community ID, flow_id) are kept, so that a flow's
 * records hash it once: a cache (a dropped flow is computed again, the same), so not reported.
 */
const FLOW_CACHE = 65_536;
/** Paths listed in a transaction's records summary; the count is always whole. */
const MAX_SUMMARY_PATHS = 16;
/** Objects listed from a Register/Update. */
const MAX_SUMMARY_OBJECTS = 64;

/** Suricata's severity: 1 the most severe, 3 the least (the rule's own word is kept as rule_severity). */
export const EVE_SEVERITY: Readonly<Record<Severity, 1 | 2 | 3>> = { critical: 1, high: 1, medium: 2, low: 3, info: 3 };
/** coapwatch's alerts are its own generator's signatures, as Suricata's are generator 1. */
export const EVE_GID = 1;
/** DTLS session changes logged as `dtls` records: the outcomes, not each hello. */
const LOGGED_DTLS_CHANGES: ReadonlySet<DtlsChange> = new Set(['established', 'handshake-failed', 'alert', 'decryption-failed', 'closed']);

const METHODS = ['', 'GET', 'POST', 'PUT', 'DELETE', 'FETCH', 'PATCH', 'IPATCH'];

export interface EveOptions {
  /** File to append to, or `-` for stdout. */
  path: string;
  /** `host` of every record: the sensor's name. */
  sensor: string;
  /** `in_iface` of every record (monitor); null when reading a file. */
  iface: string | null;
  /** The rule behind an event (its sid, rev, title, tags); undefined for a rule no longer loaded. */
  ruleById: (id: string) => Rule | undefined;
}

/** Counters of a live run, logged as a `stats` record. */
export interface EveStats {
  uptime: number;
  received: number;
  droppedKernel: number | null;
  droppedInterface: number | null;
  droppedPipeline: number;
  messages: number;
  alerts: number;
}

interface FlowFields {
  src_ip: string;
  src_port: number;
  dest_ip: string;
  dest_port: number;
  proto: 'UDP' | 'TCP';
  flow_id: number;
  community_id: string | null;
}

/** What is kept of a request until its response: its reading (the response has its own). */
interface PendingRequest {
  record: ExchangeRecord;
  transport: AnalyzedMessage['coap']['transport'];
  lwm2m: Lwm2mInfo | null;
  type: string | null;
}

/**
 * The run in Suricata's EVE JSON format (docs/eve.md): one object a line, `alert` for each
 * event, `coap` for each request/response transaction, `dtls` for each DTLS session outcome,
 * `stats` for the counters of a live run. Field names are Suricata's where it has one, so the
 * pipelines built for Suricata (Filebeat's module, Vector, Logstash) take the file unchanged.
 * Records are plain objects through JSON.stringify: EVE is an extra output, written once per
 * transaction rather than per packet, and JSON.stringify escapes whatever text came off the
 * network.
 */
export class EveLog {
  private readonly out: AppendFile;
  private readonly pending: BoundedMap<ExchangeRecord, PendingRequest>;
  /** Mixed into flow_id so that the same 5-tuple in another run gets another id, as Suricata's does. */
  private runKey: [number, number] | null = null;
  /** The message being handled: the transport of the events it triggers. */
  private current: AnalyzedMessage | null = null;
  private lastSweep = -Infinity;
  private evictedUnanswered = 0;
  private readonly flows = new BoundedMap<string, FlowFields | false>('eve.flow-cache', FLOW_CACHE);

  constructor(private readonly opts: EveOptions, counters?: OverflowCounters, pendingBound = MAX_PENDING_TRANSACTIONS) {
    this.out = new AppendFile(opts.path);
    // A request pushed out before its response is logged at once, as unanswered: no transaction is lost.
    this.pending = new BoundedMap('eve.pending-transactions', pendingBound, counters, (p) => {
      this.evictedUnanswered++;
      this.transaction(p.record.ts, p, null);
    });
  }

  /** Every analysed message: requests wait for their response; responses, notifications and resets complete a transaction. */
  message(m: AnalyzedMessage): void {
    this.current = m;
    const c = m.coap;
    if (c.ts - this.lastSweep >= 1) this.sweep(c.ts);
    const match = c.match;
    if (match.retransmissionOf !== null) return;
    if (match.role === 'request') {
      if (match.record) this.pending.set(match.record, { record: match.record, transport: c.transport, lwm2m: m.lwm2m, type: c.msg.type });
      else {
        // Not remembered by the exchange tables (nothing can be matched to it): logged at once.
        const record: ExchangeRecord = { ...c.msg, frame: c.frame, ts: c.ts, src: c.src, dst: c.dst, size: c.size, answeredBy: null, acknowledgedBy: null, observation: null };
        this.transaction(c.ts, { record, transport: c.transport, lwm2m: m.lwm2m, type: c.msg.type }, null);
      }
    } else if (match.role === 'response' || match.role === 'notification' || (match.role === 'reset' && match.request !== null && isRequestCode(match.request.code))) {
      const request = match.request;
      const p = request ? this.pending.peek(request) : undefined;
      if (p) this.pending.delete(request!);
      this.transaction(c.ts, p ?? (request ? { record: request, transport: c.transport, lwm2m: null, type: null } : null), m);
    }
  }

  /** A DTLS session reached an outcome. */
  dtls(e: DtlsEvent): void {
    if (!LOGGED_DTLS_CHANGES.has(e.change)) return;
    const s = e.session;
    const flow = this.flow(s.client, s.server, 'udp', e.ts);
    this.write({
      timestamp: eveTime(e.ts), ...this.head('dtls', flow), pcap_cnt: e.frame ?? undefined,
      dtls: {
        session: s.id, change: e.change, state: s.state, reason: s.reason, version: s.version, handshake_seen: s.handshakeSeen,
        cipher_suite: s.cipherSuite, weak_suite: s.weakSuite, cbc_suite: s.cbcSuite, psk_identity: s.pskIdentity,
        psk_identity_hint: s.pskIdentityHint, sni: s.sni, decryption: s.decryption,
        alerts: s.alerts.map((a) => ({ level: a.level, description: a.description, from: a.from })),
        certificates: s.certificates.map((x) => ({ subject: x.subject, issuer: x.issuer, not_before: x.notBefore, not_after: x.notAfter })),
        records: s.records, app_data_bytes: s.appDataBytes,
      },
      lwm2m: s.endpoint === null ? undefined : { endpoint: s.endpoint },
    });
  }

  /** An event, as an `alert` record. */
  alert(e: DetectionEvent): void {
    const rule = this.opts.ruleById(e.rule);
    const c = this.current?.coap;
    const transport = c && e.frame !== null && e.frame === c.frame ? c.transport : 'udp';
    const flow = e.src !== null && e.dst !== null ? this.flow(e.src, e.dst, transport, e.ts) : null;
    const metadata: Record<string, string[]> = { rule: [e.rule], message: [e.message] };
    if (rule && rule.tags.length > 0) metadata.tags = [...rule.tags];
    for (const [key, value] of Object.entries(e.details)) {
      if (!(key in metadata)) metadata[key] = [typeof value === 'string' ? value : JSON.stringify(value) ?? 'null'];
    }
    this.write({
      timestamp: eveTime(e.ts), ...this.head('alert', flow), pcap_cnt: e.frame ?? undefined,
      alert: {
        action: 'allowed', gid: EVE_GID, signature_id: rule?.sid ?? 0, rev: rule?.rev ?? 1, signature: rule?.title ?? e.rule,
        category: rule?.tags[0] ?? 'coapwatch', severity: EVE_SEVERITY[e.severity], rule_severity: e.severity, metadata,
      },
      lwm2m: e.endpoint === null ? undefined : { endpoint: e.endpoint },
    });
  }

  /** The counters of a live run, at `ts` (now). */
  stats(ts: number, s: EveStats): void {
    this.write({
      timestamp: eveTime(ts), event_type: 'stats', in_iface: this.opts.iface ?? undefined, host: this.opts.sensor,
      stats: {
        uptime: Math.round(s.uptime),
        capture: { kernel_packets: s.received, kernel_drops: s.droppedKernel ?? undefined, kernel_ifdrops: s.droppedInterface ?? undefined, coapwatch_drops: s.droppedPipeline },
        coap: { messages: s.messages },
        detect: { alert: s.alerts },
        eve: { pending_transactions: this.pending.size, unanswered_evicted: this.evictedUnanswered },
      },
    });
  }

  /** Time passed (capture time): requests unanswered for an exchange lifetime are logged. */
  tick(ts: number): void {
    this.sweep(ts);
  }

  /** End of input: every request still waiting is logged as unanswered. */
  finish(): void {
    for (const p of [...this.pending.valuesOldestFirst()]) this.transaction(p.record.ts, p, null);
    this.pending.clear();
    this.out.flush();
  }

  flush(): void {
    this.out.flush();
  }

  /** SIGHUP: the file again by its name (logrotate moved it); the reason when it cannot be opened. */
  reopen(): string | null {
    return this.out.reopen();
  }

  close(): void {
    this.out.close();
  }

  get path(): string {
    return this.opts.path;
  }

  private sweep(ts: number): void {
    this.lastSweep = ts;
    for (let oldest = this.pending.oldest(); oldest && ts - oldest[0].ts > UNANSWERED_AFTER; oldest = this.pending.oldest()) {
      this.pending.delete(oldest[0]);
      this.transaction(oldest[0].ts, oldest[1], null);
    }
  }

  /**
   * One `coap` record: the request (null when it was not seen) and its response (null when none
   * came). The 5-tuple is the request's direction, client to server, as Suricata logs a flow.
   */
  private transaction(ts: number, request: PendingRequest | null, response: AnalyzedMessage | null): void {
    const r = request?.record ?? null;
    const rc = response?.coap ?? null;
    const transport = request?.transport ?? rc!.transport;
    const flow = r ? this.flow(r.src, r.dst, transport, ts) : this.flow(rc!.dst, rc!.src, transport, ts);
    const reading = response?.lwm2m ?? request?.lwm2m ?? null;
    const status = rc === null ? 'unanswered' : r === null ? 'unmatched' : rc.match.role === 'notification' ? 'notification' : rc.match.role === 'reset' ? 'reset' : 'answered';
    this.write({
      timestamp: eveTime(ts), ...this.head('coap', flow), pcap_cnt: rc?.frame ?? r?.frame,
      coap: {
        transport, status,
        request: r === null ? null : {
          frame: r.frame, type: request?.type ?? r.type, code: CODE_STRINGS[r.code], method: METHODS[r.code] || null,
          mid: r.mid, token: r.token, uri_path: r.uriPath, uri_query: r.uriQuery,
        },
        response: rc === null ? null : {
          frame: rc.frame, type: rc.msg.type, code: CODE_STRINGS[rc.msg.code], mid: rc.msg.mid, token: rc.msg.token,
          content_format: rc.msg.contentFormat, observe: rc.msg.observe, payload_length: rc.msg.payload.length,
        },
        response_time: rc?.match.responseTime == null ? null : Math.round(rc.match.responseTime * 1e6) / 1e6,
      },
      lwm2m: reading === null ? undefined : {
        endpoint: reading.endpoint ?? request?.lwm2m?.endpoint ?? null, operation: reading.operation, path: reading.path,
        records: summary(request?.lwm2m ?? null, response?.lwm2m ?? null),
        objects: (request?.lwm2m?.objects ?? response?.lwm2m?.objects)?.slice(0, MAX_SUMMARY_OBJECTS),
        payload_error: response?.lwm2m?.payloadError ?? request?.lwm2m?.payloadError ?? null,
      },
    });
  }

  /** The fields every record starts with, in Suricata's order. */
  private head(eventType: string, flow: FlowFields | null) {
    return {
      flow_id: flow?.flow_id, in_iface: this.opts.iface ?? undefined, event_type: eventType,
      src_ip: flow?.src_ip, src_port: flow?.src_port, dest_ip: flow?.dest_ip, dest_port: flow?.dest_port, proto: flow?.proto,
      community_id: flow?.community_id ?? undefined, app_proto: flow ? 'coap' : undefined, host: this.opts.sensor,
    };
  }

  private flow(src: string, dst: string, transport: string, ts: number): FlowFields | null {
    const key = `${transport === 'tcp' ? 'T' : 'U'}${src}>${dst}`;
    let fields = this.flows.get(key);
    if (fields === undefined) this.flows.set(key, (fields = this.flowFields(src, dst, transport, ts) ?? false));
    return fields === false ? null : fields;
  }

  private flowFields(src: string, dst: string, transport: string, ts: number): FlowFields | null {
    const a = splitAddress(src);
    const b = splitAddress(dst);
    if (!a || !b) return null;
    const proto = transport === 'tcp' ? 'TCP' : 'UDP';
    const aBytes = addressBytes(a.ip);
    const bBytes = addressBytes(b.ip);
    let flowId = 0;
    let cid: string | null = null;
    if (aBytes && bBytes && aBytes.length === bBytes.length) {
      const digest = flowDigest(proto === 'TCP' ? PROTO_TCP : PROTO_UDP, aBytes, a.port, bBytes, b.port);
      cid = communityIdOf(digest);
      const key = (this.runKey ??= runKey(ts));
      // 51 bits, as Suricata's flow_id, so that JavaScript and JSON tools read it exactly.
      flowId = (((digest.readUInt32BE(0) ^ key[0]) & 0x7ffff) * 2 ** 32) + ((digest.readUInt32BE(4) ^ key[1]) >>> 0);
    }
    return { src_ip: a.ip, src_port: a.port, dest_ip: b.ip, dest_port: b.port, proto, flow_id: flowId, community_id: cid };
  }

  private write(record: object): void {
    const line = JSON.stringify(record);
    // JSON.stringify escapes C0 controls only: C1 controls, bidi overrides and the Unicode line
    // separators from packet text are escaped too, so that `--eve -` on a terminal, and line
    // readers that split on U+2028, see them only as \uXXXX.
    this.out.write((UNSAFE.test(line) ? line.replace(UNSAFE_ALL, escapeChar) : line) + '\n');
  }
}

const UNSAFE = /[\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;
const UNSAFE_ALL = new RegExp(UNSAFE.source, 'g');
const escapeChar = (c: string) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;

/** A run's flow_id key, from the time of its first flow: the same capture gives the same ids. */
function runKey(ts: number): [number, number] {
  const d = createHash('sha1').update(`coapwatch flow ${Math.round(ts * 1e6)}`).digest();
  return [d.readUInt32BE(0), d.readUInt32BE(4)];
}

/** "a.b.c.d:port" or "[v6]:port" → address and port. */
export function splitAddress(text: string): { ip: string; port: number } | null {
  const colon = text.lastIndexOf(':');
  if (colon <= 0) return null;
  const port = Number(text.slice(colon + 1));
  if (!Number.isInteger(port)) return null;
  const host = text.slice(0, colon);
  return { ip: host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host, port };
}

/** The decoded values of a transaction: how many, and the first paths. */
function summary(request: Lwm2mInfo | null, response: Lwm2mInfo | null): { count: number; paths: string[] } {
  const records = [...(request?.records ?? []), ...(response?.records ?? [])];
  const paths: string[] = [];
  for (const r of records) {
    if (paths.length >= MAX_SUMMARY_PATHS) break;
    if (!paths.includes(r.path)) paths.push(r.path);
  }
  return { count: records.length, paths };
}

/** Suricata's timestamp: ISO 8601 with microseconds and the offset, "2026-12-07T14:20:21.123456+0000" (UTC). */
export function eveTime(ts: number): string {
  const micros = Math.round(ts * 1e6);
  const seconds = Math.floor(micros / 1e6);
  // Records come in time order: the date and time of day are formatted once per second.
  if (seconds !== lastSecond) {
    lastSecond = seconds;
    lastPrefix = new Date(seconds * 1000).toISOString().slice(0, 19);
  }
  return `${lastPrefix}.${String(micros - seconds * 1e6).padStart(6, '0')}+0000`;
}

let lastSecond = NaN;
let lastPrefix = '';
