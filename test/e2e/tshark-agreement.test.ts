import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyzeFile, parseTsv, type TsharkRow } from '../support/analyze.js';

/*
 * Every CoAP message of every reference capture (made by Wakaama and libcoap, dissected by
 * tshark) must agree with tshark on every field both of us decode.
 */
const dir = join(import.meta.dirname, '../../captures/reference');

/** tshark writes content formats by name; this table is tshark's naming, kept apart from ours. */
const TSHARK_FORMATS: Record<string, number> = {
  'text/plain; charset=utf-8': 0,
  'application/link-format': 40,
  'application/octet-stream': 42,
  'application/cbor': 60,
  'application/senml+json': 110,
  'application/senml+cbor': 112,
  'application/vnd.oma.lwm2m+tlv': 11542,
  'application/vnd.oma.lwm2m+json': 11543,
  'application/vnd.oma.lwm2m+cbor': 11544,
};

const formatNumber = (name: string) => {
  if (name === '') return null;
  if (!(name in TSHARK_FORMATS)) throw new Error(`unknown tshark content format name ${name}`);
  return TSHARK_FORMATS[name];
};

const list = (cell: string) => (cell === '' ? [] : cell.split(','));

/** Capture, extra CoAP ports, and the frames that break RFC 7252 framing on purpose. */
const CAPTURES: Array<[string, number[], number[]?]> = [
  ['wakaama-register-dm', [56830]],
  ['wakaama-observe', [56830]],
  ['wakaama-blockwise', [56830]],
  ['libcoap-block-observe', []],
  ['libcoap-tcp-ipv6', []],
  ['wakaama-blockwise-observe16', [56830]],
  ['wakaama-clean-session', [56830]],
  ['wakaama-attack-stranger-read', [56830]],
  ['wakaama-attack-samehost-stranger', [56830]],
  ['wakaama-attack-security-write', [56830]],
  ['wakaama-attack-server-write', [56830]],
  ['wakaama-attack-execute-reboot', [56830]],
  ['wakaama-attack-foreign-deregister', [56830]],
  ['wakaama-attack-foreign-update', [56830]],
  ['wakaama-attack-endpoint-conflict', [56830]],
  ['wakaama-attack-endpoint-conflict-samehost', [56830, 56831]],
  ['wakaama-attack-observe-flood', [56830]],
  ['wakaama-attack-malformed-coap', [56830], [5, 7, 8]],
  ['anjay-clean-session', [56840]],
  ['anjay-attack-security-write', [56840]],
];

describe('agreement with tshark on the reference captures', () => {
  for (const [name, ports, malformed = []] of CAPTURES) {
    it(name, async () => {
      const rows = parseTsv(readFileSync(join(dir, `${name}.tshark.tsv`), 'utf8'));
      const messages = await analyzeFile(join(dir, `${name}.pcap`), { ports });
      const byFrame = new Map(messages.map((m) => [m.coap.frame, m]));
      // Same set of CoAP messages (the DTLS capture has CoAP only inside encrypted records).
      expect([...byFrame.keys()]).toEqual(rows.map((r) => Number(r['frame.number'])));
      for (const row of rows) {
        const frame = Number(row['frame.number']);
        const m = byFrame.get(frame)!;
        // tshark dissects what it can of a malformed message (a 9-byte token, say) and flags
        // it as an expert warning; we refuse the message and say why.
        if (malformed.includes(frame)) expectMalformed(row, m);
        else compare(row, m);
      }
      // Every frame listed as malformed is one we refuse, and no other is.
      expect(messages.filter((m) => m.coap.msg.error !== null).map((m) => m.coap.frame)).toEqual(malformed);
    });
  }
});

describe('where tshark is wrong', () => {
  it('libcoap-dtls-psk: tshark reads DTLS records on 5784 as CoAP version 0; they are not CoAP', async () => {
    const rows = parseTsv(readFileSync(join(dir, 'libcoap-dtls-psk.tshark.tsv'), 'utf8'));
    expect(rows.length).toBeGreaterThan(0);
    // Code 254 and MID 0xfeXX are the DTLS version bytes fe fd / fe ff seen through a CoAP lens.
    for (const row of rows) expect(row['coap.code']).toBe('254');
    const messages = await analyzeFile(join(dir, 'libcoap-dtls-psk.pcap'));
    expect(messages).toHaveLength(0);
  });
});

function expectMalformed(row: TsharkRow, m: import('../../src/pipeline/index.js').AnalyzedMessage): void {
  const at = (field: string) => `frame ${row['frame.number']} ${field}`;
  expect(m.coap.msg.error, at('error')).not.toBeNull();
  expect(m.coap.ts.toFixed(6), at('time')).toBe(Number(row['frame.time_epoch']).toFixed(6));
  expect(m.coap.src, at('src')).toBe(`${row['ip.src']}:${row['udp.srcport']}`);
  expect(m.coap.dst, at('dst')).toBe(`${row['ip.dst']}:${row['udp.dstport']}`);
}

function compare(row: TsharkRow, m: import('../../src/pipeline/index.js').AnalyzedMessage): void {
  const frame = row['frame.number'];
  const e = m.coap;
  const msg = e.msg;
  const at = (field: string) => `frame ${frame} ${field}`;
  expect(msg.error, at('error')).toBeNull();
  expect(e.ts.toFixed(6), at('time')).toBe(Number(row['frame.time_epoch']).toFixed(6));
  const src = row['ip.src'] || `[${row['ipv6.src']}]`;
  const tcp = Boolean(row['tcp.srcport']);
  expect(e.transport, at('transport')).toBe(tcp ? 'tcp' : 'udp');
  expect(e.src, at('src')).toBe(`${src}:${tcp ? row['tcp.srcport'] : row['udp.srcport']}`);
  // CoAP over TCP (RFC 8323) has neither type nor message ID.
  expect(msg.type === null ? '' : String(['CON', 'NON', 'ACK', 'RST'].indexOf(msg.type)), at('type')).toBe(row['coap.type']);
  expect(msg.code, at('code')).toBe(Number(row['coap.code']));
  expect(msg.mid === null ? '' : String(msg.mid), at('mid')).toBe(row['coap.mid']);
  expect(msg.token, at('token')).toBe(row['coap.token']);
  const request = e.match.request;
  const path = msg.uriPath ?? (request && request.code >> 5 === 0 && request.code !== 0 ? request.uriPath : null);
  // tshark puts Uri-Host and Uri-Port in front of the path (`:56830/3/0` from coap-client, which
  // sends Uri-Port for a port other than 5683); we keep them apart from the path.
  const tsharkPath = row['coap.opt.uri_path_recon'].replace(/^[^/]+(?=\/)/, '');
  if (tsharkPath === '' && path && msg.uriPath === null && msg.token === '') {
    // tshark tracks requests by token only, so it gives no path to a response with an empty token; we match by MID.
    expect(e.match.request?.frame, at('response to (empty token)')).toBeDefined();
  } else {
    expect(path ?? '', at('uri path')).toBe(tsharkPath);
  }
  expect(msg.uriQuery, at('uri query')).toEqual(list(row['coap.opt.uri_query']));
  expect(msg.contentFormat, at('content format')).toBe(formatNumber(row['coap.opt.ctype']));
  expect(msg.accept, at('accept')).toBe(formatNumber(row['coap.opt.accept']));
  expect(msg.observe, at('observe')).toBe(row['coap.opt.observe'] === '' ? null : Number(row['coap.opt.observe']));
  const blocks = [msg.block2, msg.block1].filter((b) => b !== null);
  expect(blocks.map((b) => b!.num), at('block numbers')).toEqual(list(row['coap.opt.block_number']).map(Number));
  expect(blocks.map((b) => (b!.more ? 1 : 0)), at('block M flags')).toEqual(list(row['coap.opt.block_mflag']).map(Number));
  // tshark also lists a Size2 value under block_size (as value & 7): compare the Block options' SZX only.
  const szx = list(row['coap.opt.block_size']).map(Number);
  expect(szx.length, at('block size count')).toBe(blocks.length + (msg.size2 !== null ? 1 : 0));
  expect(blocks.map((b) => Math.log2(b!.size) - 4), at('block SZX')).toEqual(szx.slice(0, blocks.length));
  expect(msg.locationPath ?? '', at('location path')).toBe(row['coap.opt.location_path'] ? '/' + list(row['coap.opt.location_path']).join('/') : '');
  if (row['coap.payload_length'] !== '') {
    // tshark gives the payload length of whole bodies: the reassembled one on the last block.
    const length = e.block.state === 'complete' ? e.block.body.body.length : msg.payload.length;
    expect(length, at('payload length')).toBe(Number(row['coap.payload_length']));
  }
  if (row['coap.response_to'] !== '') {
    expect(e.match.request?.frame, at('response to')).toBe(Number(row['coap.response_to']));
  }
  const retransmitted = row['coap.retransmitted'] !== '';
  expect(e.match.retransmissionOf !== null, at('retransmission')).toBe(retransmitted);
}
