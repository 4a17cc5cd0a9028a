import { flowMessageOf } from '../../../src/ui/store-source.js';
import {
  flowMatches, messageMatches, parseEndpointFilter, parseEventFilter, parseMessageFilter, severitiesFrom, type DashboardSource, type EndpointDetail,
  type EndpointQuery, type EndpointSummary, type EventQuery, type EventSummary, type FlowMessage, type FlowPage, type FramePlace, type MessageDetail,
  type MessageQuery, type MessageRecord, type ObservationSummary, type Overview, type Page, type ResourceValue, type SaveOffer, type SaveSelection,
} from '../../../src/ui/source.js';

/** A flow row of a record: the CoAP message is its payload and a header of 4 bytes, a token of 2 and an option of 3. */
export const flowRow = (r: MessageRecord): FlowMessage => flowMessageOf(r, r.coap.payloadLength + 9);

export const T0 = 1709274600; // 2024-03-01T06:30:00Z
/** An attacker-chosen endpoint name: a terminal title escape and a colour escape. */
export const EVIL = 'evil\x1b]0;pwned\x07\x1b[31mred';

/** A message record as the NDJSON stream writes it. */
export function record(frame: number, over: Partial<MessageRecord['coap']> & { src?: string; dst?: string; op?: string; path?: string | null; records?: NonNullable<MessageRecord['lwm2m']>['records'] } = {}): MessageRecord {
  return {
    frame, ts: T0 + frame, src: over.src ?? '10.1.0.1:56830', dst: over.dst ?? '10.0.0.1:5683', transport: 'udp',
    coap: {
      type: over.type ?? 'CON', code: over.code ?? '0.02', mid: 100 + frame, token: 'abcd', options: over.options ?? [{ number: 11, name: 'Uri-Path', value: 'rd' }],
      uriPath: over.uriPath ?? '/rd', uriQuery: over.uriQuery ?? [], contentFormat: over.contentFormat ?? null, accept: null, observe: over.observe ?? null,
      block1: null, block2: null, locationPath: null, payloadLength: over.payloadLength ?? 0, role: over.role ?? 'request',
      retransmission: false, retransmissionOf: null, responseTo: over.responseTo ?? null, responseTime: null,
    },
    lwm2m: { operation: over.op ?? 'register', endpoint: 'meter-1', path: over.path ?? null, records: over.records ?? [], objects: null, links: null, payloadError: null },
    error: null,
  };
}

/** An in-memory DashboardSource for component tests. */
export class FakeSource implements DashboardSource {
  v = 1;
  live = false;
  endpointRows: EndpointSummary[];
  eventRows: EventSummary[];
  records: MessageRecord[];
  /** What save() was asked to write, and the file it answers it wrote. */
  saved: Array<{ sel: SaveSelection; path: string }> = [];

  constructor(opts: { endpoints?: number; events?: number; messages?: MessageRecord[] } = {}) {
    this.endpointRows = Array.from({ length: opts.endpoints ?? 3 }, (_, i) => ({
      name: i === 1 ? EVIL : `meter-${i}`, address: `10.1.0.${i + 1}:56830`, state: i === 2 ? 'expired' : 'registered', lifetime: 300,
      expiresAt: T0 + 300 + i, lwm2mVersion: '1.1', binding: 'U', objects: 7, lastSeen: T0 + i, events: i === 0 ? 2 : 0,
    }));
    const sev = ['critical', 'high', 'medium', 'low', 'info'] as const;
    this.eventRows = Array.from({ length: opts.events ?? 5 }, (_, i) => ({
      id: i + 1, ts: T0 + i, lastTs: null, count: 1, rule: `rule-${sev[i % 5]}`, severity: sev[i % 5], endpoint: i === 0 ? EVIL : 'meter-0',
      src: '10.0.0.1:5683', dst: '10.1.0.1:56830', frame: 10 + i, message: `something ${sev[i % 5]} happened`, details: { path: '/0/0', value: 'x\x1b[2J' },
      seq: i + 1,
      // The first refused (its answer's code as the network sent it), the second never answered, the rest not on a request.
      outcome: i === 0 ? { outcome: 'refused', code: '4.01\x1b[2J', frame: 99, ts: T0 + 1, request: 10 }
        : i === 1 ? { outcome: 'no-answer', code: null, frame: null, ts: T0 + 248, request: 11 } : null,
    }));
    this.records = opts.messages ?? [
      record(1, { uriQuery: ['ep=meter-1', 'lt=300'], contentFormat: 40, payloadLength: 60 }),
      record(2, { src: '10.0.0.1:5683', dst: '10.1.0.1:56830', type: 'ACK', code: '2.01', role: 'response', responseTo: 1, options: [] }),
      record(3, { src: '10.0.0.1:5683', dst: '10.1.0.1:56830', code: '0.01', op: 'read', path: '/3/0', uriPath: '/3/0' }),
      record(4, { type: 'ACK', code: '2.05', op: 'read', path: '/3/0', role: 'response', responseTo: 3, contentFormat: 11542, payloadLength: 20,
        records: [{ path: '/3/0/0', name: 'Manufacturer', type: 'string', value: 'Acme\x1b[31m' }] }),
    ];
  }

  version(): number { return this.v; }
  now(): number { return T0 + 100; }

  overview(): Overview {
    return {
      source: 'fleet.pcap', captureFile: 'fleet.pcap', live: this.live, packets: 662, messages: 600, messageRate: 0.2, packetRate: 0.2,
      messageSeries: [1, 5, 2, 8, 3, 1], captureStart: T0, captureEnd: T0 + 3600,
      endpointsByState: { registered: 2, expired: 1 }, eventsBySeverity: { critical: 1, high: 1, medium: 1, low: 1, info: 1 }, events: 5,
      topTalkers: [{ address: '10.0.0.1:5683', endpoint: null, messages: 300 }, { address: '10.1.0.2:56830', endpoint: EVIL, messages: 40 }],
      drops: [['kernel', 0]], notes: [['run', '1']], overflow: null,
    };
  }

  endpoints(q: EndpointQuery): Page<EndpointSummary> {
    const f = parseEndpointFilter(q.filter);
    const rows = this.endpointRows.filter((e) => (!f.state || e.state === f.state) && (!f.text || e.name.includes(f.text) || e.address.includes(f.text)));
    const key = q.sort;
    rows.sort((a, b) => {
      const va = key === 'lifetime' ? a.expiresAt ?? 0 : (a as unknown as Record<string, number | string>)[key === 'name' ? 'name' : key];
      const vb = key === 'lifetime' ? b.expiresAt ?? 0 : (b as unknown as Record<string, number | string>)[key === 'name' ? 'name' : key];
      return (va < vb ? -1 : va > vb ? 1 : 0) * (q.descending ? -1 : 1);
    });
    return { rows: rows.slice(q.offset, q.offset + q.limit), total: rows.length, offset: q.offset };
  }

  endpoint(name: string): EndpointDetail | null {
    const e = this.endpointRows.find((r) => r.name === name);
    if (!e) return null;
    return {
      name, state: e.state, address: e.address, previousAddresses: ['10.9.9.9:1234'], location: '/rd/1', lifetime: 300, binding: 'U', lwm2mVersion: '1.1',
      sms: null, queueMode: false, objects: ['/3/0', '/3305/0'], registeredAt: T0, updatedAt: T0 + 50, expiresAt: e.expiresAt, lastSeen: e.lastSeen,
      history: [{ ts: T0, frame: 1, operation: 'register', code: '2.01', address: e.address, detail: 'lt=300' }],
    };
  }

  resources(): ResourceValue[] {
    return [
      { path: '/3/0/0', name: 'Manufacturer', type: 'string', value: 'Acme\x1b[31m', updatedAt: T0, series: [] },
      { path: '/3305/0/5800', name: 'Instantaneous active power', type: 'float', value: 987.5, updatedAt: T0 + 60,
        series: [[T0, 100], [T0 + 10, 400], [T0 + 20, 900], [T0 + 30, 600], [T0 + 40, 987.5]] },
    ];
  }

  observations(): ObservationSummary[] {
    return [{ id: 1, token: 'abcd', paths: ['/3305'], attributes: { pmin: 10, pmax: 300 }, state: 'active', endedBy: null, notifications: 17,
      lastSeq: 107, reordered: 0, lateNotifications: 0, startedAt: T0, lastNotifiedAt: T0 + 90 }];
  }

  /** The messages of a flow: every endpoint's is all of them, as the run's is. */
  private flowOf(_endpoint: string | null): MessageRecord[] {
    return this.records;
  }

  flow(endpoint: string | null, offset: number, limit: number): FlowPage {
    const all = this.flowOf(endpoint);
    const end = Math.max(0, all.length - offset);
    return { rows: all.slice(Math.max(0, end - limit), end).map(flowRow), total: all.length, offset, unavailable: null, seen: all.length, runMessages: this.records.length };
  }

  messages(q: MessageQuery): FlowPage {
    const f = parseMessageFilter(q.filter);
    const rows = this.records.map(flowRow).filter((m) => messageMatches(m, f));
    return { rows: rows.slice(q.offset, q.offset + q.limit), total: rows.length, offset: q.offset, unavailable: null, seen: rows.length, runMessages: this.records.length };
  }

  messageDetail(m: FlowMessage): MessageDetail {
    const answer = this.records.find((r) => r.coap.responseTo === m.frame);
    return { record: m.record(), bytes: Uint8Array.from([0x45, 0x00, 0x41, 0x42, 0x1b, 0x5b]), note: null, response: answer ? { frame: answer.frame, code: answer.coap.code } : null };
  }

  saveOffer(sel: SaveSelection): SaveOffer {
    const frames = sel.kind === 'flow' ? this.records.map((r) => r.frame) : this.messages({ filter: sel.filter, offset: 0, limit: 1e9 }).rows.map((m) => m.frame);
    return frames.length === 0 ? { error: 'no messages to save' } : { name: `coapwatch-1-${frames[0]}-${frames[frames.length - 1]}.pcap` };
  }

  save(sel: SaveSelection, path: string): string {
    if (path.includes('/no/such/')) throw new Error(`cannot write ${path}`);
    this.saved.push({ sel, path });
    return `wrote frames to ${path}`;
  }

  frameOffset(endpoint: string | null, frame: number): FramePlace | null {
    const all = this.flowOf(endpoint);
    if (all.length === 0) return null;
    for (let i = all.length - 1; i >= 0; i--) if (all[i].frame <= frame) return { offset: all.length - 1 - i, exact: all[i].frame === frame };
    return { offset: all.length - 1, exact: false };
  }

  searchFlow(endpoint: string | null, text: string, from: number, older: boolean): number | null {
    const all = this.flowOf(endpoint);
    for (let o = from + (older ? 1 : -1); o >= 0 && o < all.length; o += older ? 1 : -1) if (flowMatches(flowRow(all[all.length - 1 - o]), text)) return o;
    return null;
  }

  event(id: number): EventSummary | null {
    return this.eventRows.find((e) => e.id === id) ?? null;
  }

  isLive(): boolean {
    return this.live;
  }

  events(q: EventQuery): Page<EventSummary> {
    const f = parseEventFilter(q.filter);
    const sev = new Set(f.severity ? [f.severity] : severitiesFrom(q.minSeverity));
    const rows = [...this.eventRows].reverse().filter((e) => sev.has(e.severity) && (q.endpoint === undefined || e.endpoint === q.endpoint)
      && (!f.rule || e.rule.includes(f.rule)) && (!f.endpoint || (e.endpoint ?? '').includes(f.endpoint))
      && (!f.text || e.rule.includes(f.text) || e.message.includes(f.text)));
    return { rows: rows.slice(q.offset, q.offset + q.limit), total: rows.length, offset: q.offset };
  }
}

export const tick = (ms = 40) => new Promise((r) => setTimeout(r, ms));

/** Waits until `frame()` contains `text` (Ink renders asynchronously). */
export async function waitFor(frame: () => string | undefined, text: string, timeoutMs = 2000): Promise<string> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const f = frame() ?? '';
    if (f.includes(text)) return f;
    if (Date.now() > until) throw new Error(`timed out waiting for ${JSON.stringify(text)}; screen:\n${f}`);
    await tick(10);
  }
}
