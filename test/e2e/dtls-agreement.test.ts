import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readCapture } from '../../src/capture/index.js';
import { PacketDecoder } from '../../src/decode/index.js';
import type { Datagram } from '../../src/decode/types.js';
import { parseClientHello, parseHandshakes, parseRecords, parseServerHello, pskKeys, type DtlsEvent } from '../../src/dtls/index.js';
import { analyzeFile, parseTsv } from '../support/analyze.js';

/*
 * libcoap-dtls-psk.pcap against tshark 4.0 (captures/reference/README.md):
 * - libcoap-dtls-psk.dtls.tshark.tsv: tshark's DTLS fields, one row per frame, decrypting part 3
 *   with its PSK (-o dtls.psk:736573616d65 -d udp.port==5784,dtls);
 * - libcoap-dtls-psk.decrypted.tshark.tsv: the CoAP messages tshark finds inside part 3
 *   (also -d dtls.port==5784,coap), with the columns of the other .tshark.tsv files.
 */
const dir = join(import.meta.dirname, '../../captures/reference');
const pcap = join(dir, 'libcoap-dtls-psk.pcap');
const dtlsRows = parseTsv(readFileSync(join(dir, 'libcoap-dtls-psk.dtls.tshark.tsv'), 'utf8'));
const coapRows = parseTsv(readFileSync(join(dir, 'libcoap-dtls-psk.decrypted.tshark.tsv'), 'utf8'));
const KEY = pskKeys([{ identity: 'wk-dtls-ep', key: Buffer.from('736573616d65', 'hex') }]);

const list = (cell: string) => (cell === '' ? [] : cell.split(','));
const hex4 = (n: number) => '0x' + n.toString(16).padStart(4, '0');

async function datagrams(): Promise<Map<number, Datagram>> {
  const out = new Map<number, Datagram>();
  const decoder = new PacketDecoder();
  await readCapture(pcap, (p) => decoder.decode(p, (d) => out.set(d.frame, d)));
  return out;
}

async function sessions(psk = KEY): Promise<{ events: DtlsEvent[]; messages: Awaited<ReturnType<typeof analyzeFile>> }> {
  const events: DtlsEvent[] = [];
  const messages = await analyzeFile(pcap, { ports: [5784], psk, onDtls: (e) => events.push({ ...e, session: structuredClone(e.session) }) });
  return { events, messages };
}

describe('DTLS dissection agrees with tshark on every record of libcoap-dtls-psk.pcap', () => {
  it('record headers, handshake types, suites, extensions, SNI, PSK identity and hint', async () => {
    const byFrame = await datagrams();
    expect(dtlsRows).toHaveLength(38);
    let records = 0;
    for (const row of dtlsRows) {
      const frame = Number(row['frame.number']);
      const at = (what: string) => `frame ${frame} ${what}`;
      const d = byFrame.get(frame)!;
      expect(`${d.src.split(':')[0]}:${d.srcPort}`, at('src')).toBe(`${row['ip.src']}:${row['udp.srcport']}`);
      const { records: rs, error } = parseRecords(d.payload);
      expect(error, at('error')).toBeNull();
      records += rs.length;
      expect(rs.map((r) => String(r.contentType)), at('content types')).toEqual(list(row['dtls.record.content_type']));
      expect(rs.map((r) => hex4(r.version)), at('versions')).toEqual(list(row['dtls.record.version']));
      expect(rs.map((r) => String(r.epoch)), at('epochs')).toEqual(list(row['dtls.record.epoch']));
      expect(rs.map((r) => String(r.sequence)), at('sequence numbers')).toEqual(list(row['dtls.record.sequence_number']));
      expect(rs.map((r) => String(r.fragment.length)), at('lengths')).toEqual(list(row['dtls.record.length']));
      // Plaintext handshake messages; tshark also names the Finished (20) it decrypted in part 3.
      const messages = rs.filter((r) => r.contentType === 22 && r.epoch === 0).flatMap((r) => parseHandshakes(r.fragment).messages);
      const encryptedFinished = rs.filter((r) => r.contentType === 22 && r.epoch > 0).length;
      const tsharkTypes = list(row['dtls.handshake.type']);
      expect(messages.map((m) => String(m.msgType)), at('handshake types')).toEqual(tsharkTypes.filter((t) => t !== '20'));
      expect(tsharkTypes.filter((t) => t === '20').length, at('decrypted Finished')).toBe(frame >= 28 ? encryptedFinished : 0);
      const suites: string[] = [];
      const extensions: string[] = [];
      let sni = '';
      for (const m of messages) {
        if (m.msgType === 1) {
          const ch = parseClientHello(m.body).value!;
          suites.push(...ch.cipherSuites.map(hex4));
          extensions.push(...ch.extensions.map((e) => String(e.type)));
          const name = ch.extensions.find((e) => e.type === 0);
          if (name) sni = name.body.subarray(5).toString();
        } else if (m.msgType === 2) {
          const sh = parseServerHello(m.body).value!;
          suites.push(hex4(sh.cipherSuite));
          extensions.push(...sh.extensions.map((e) => String(e.type)));
        }
      }
      expect(suites, at('cipher suites')).toEqual(list(row['dtls.handshake.ciphersuite']));
      expect(extensions, at('extension types')).toEqual(list(row['dtls.handshake.extension.type']));
      expect(sni, at('SNI')).toBe(row['dtls.handshake.extensions_server_name']);
    }
    expect(records).toBe(51);
  });

  it('sessions: suites, identities, hints and alerts (with the key, as tshark decrypts them)', async () => {
    const { events } = await sessions();
    const final = new Map(events.map((e) => [e.session.id, e.session]));
    expect([...final.values()].map((s) => [s.client, s.server, s.cipherSuite, s.pskIdentity, s.state])).toEqual([
      ['127.0.0.1:40855', '127.0.0.1:5684', 'TLS_ECDHE_PSK_WITH_CHACHA20_POLY1305_SHA256', 'meter-psk-1', 'closed'],
      ['127.0.0.1:37638', '127.0.0.1:5684', 'TLS_ECDHE_PSK_WITH_CHACHA20_POLY1305_SHA256', 'meter-psk-1', 'failed'],
      ['127.0.0.1:56830', '127.0.0.1:5784', 'TLS_PSK_WITH_AES_128_CCM_8', 'wk-dtls-ep', 'closed'],
    ]);
    // tshark shows the identity and hint where it dissects the key exchange (the plain PSK suite of part 3), in hex.
    const hexOf = (s: string | null) => Buffer.from(s ?? '').toString('hex');
    const identityRows = dtlsRows.filter((r) => r['dtls.handshake.identity'] !== '');
    expect(identityRows.map((r) => r['dtls.handshake.identity'])).toEqual([hexOf(final.get(3)!.pskIdentity)]);
    expect(dtlsRows.filter((r) => r['dtls.handshake.hint'] !== '').map((r) => r['dtls.handshake.hint'])).toEqual([hexOf(final.get(3)!.pskIdentityHint)]);
    // Alerts: tshark reads the decrypted one of part 3 (frame 38); those of part 1 are encrypted for both of us.
    const tsharkAlerts = dtlsRows.filter((r) => r['dtls.alert_message.level'] !== '')
      .map((r) => [Number(r['frame.number']), r['dtls.alert_message.level'], r['dtls.alert_message.desc']]);
    expect(tsharkAlerts).toEqual([[38, '1', '0']]);
    expect(final.get(3)!.alerts.map((a) => [a.frame, a.level, a.description])).toEqual([[38, 'warning', 'close_notify']]);
    expect(final.get(1)!.alerts.map((a) => [a.frame, a.level])).toEqual([[9, 'encrypted'], [10, 'encrypted']]);
    // Part 1-2 suites are forward secret: no decryption, and the session says why.
    expect(final.get(1)!.decryption).toBeNull();
    expect(final.get(3)!.decryption).toBe('ok');
    // The failed handshake of part 2 (wrong key at the server): failed, with the reason.
    expect(final.get(2)!.reason).toMatch(/server never answered the client's Finished/);
    expect(events.filter((e) => e.change === 'handshake-failed').map((e) => [e.session.id, e.frame])).toEqual([[2, 25]]);
  });
});

describe('decrypted CoAP agrees with tshark\'s decrypted view', () => {
  it('with the PSK from the README, the LwM2M Register inside part 3 and its answer', async () => {
    const { messages, events } = await sessions();
    expect(messages.map((m) => m.coap.frame)).toEqual(coapRows.map((r) => Number(r['frame.number'])));
    for (const row of coapRows) {
      const m = messages.find((x) => x.coap.frame === Number(row['frame.number']))!;
      const at = (what: string) => `frame ${row['frame.number']} ${what}`;
      const msg = m.coap.msg;
      expect(m.coap.transport, at('transport')).toBe('dtls');
      expect(msg.error, at('error')).toBeNull();
      expect(m.coap.ts.toFixed(6), at('time')).toBe(Number(row['frame.time_epoch']).toFixed(6));
      expect(m.coap.src, at('src')).toBe(`${row['ip.src']}:${row['udp.srcport']}`);
      expect(String(['CON', 'NON', 'ACK', 'RST'].indexOf(msg.type!)), at('type')).toBe(row['coap.type']);
      expect(msg.code, at('code')).toBe(Number(row['coap.code']));
      expect(String(msg.mid), at('mid')).toBe(row['coap.mid']);
      expect(msg.token, at('token')).toBe(row['coap.token']);
      const path = msg.uriPath ?? m.coap.match.request?.uriPath ?? '';
      expect(path, at('uri path')).toBe(row['coap.opt.uri_path_recon']);
      expect(msg.uriQuery, at('uri query')).toEqual(list(row['coap.opt.uri_query']));
      expect(msg.contentFormat, at('content format')).toBe(row['coap.opt.ctype'] === 'application/link-format' ? 40 : null);
      expect(msg.payload.length, at('payload length')).toBe(Number(row['coap.payload_length']));
      if (row['coap.response_to'] !== '') expect(m.coap.match.request?.frame, at('response to')).toBe(Number(row['coap.response_to']));
    }
    // The LwM2M reading: a Register of wk-dtls-ep, and the session linked to that endpoint.
    expect(messages.map((m) => [m.lwm2m?.operation, m.lwm2m?.endpoint])).toEqual([['register', 'wk-dtls-ep'], ['register', 'wk-dtls-ep']]);
    expect(events.find((e) => e.change === 'endpoint')).toMatchObject({ frame: 36, session: { id: 3, endpoint: 'wk-dtls-ep' } });
  });

  it('a wrong key: one "decryption failed" finding for the session, and no CoAP messages', async () => {
    const { messages, events } = await sessions(pskKeys([{ identity: 'wk-dtls-ep', key: Buffer.from('wrong-key') }]));
    expect(messages).toHaveLength(0);
    const failed = events.filter((e) => e.change === 'decryption-failed');
    expect(failed.map((e) => [e.session.id, e.frame])).toEqual([[3, 34]]);
    expect(failed[0].session.decryption).toBe('failed');
    expect(failed[0].session.decryptionError).toMatch(/authentication failed — wrong key for PSK identity "wk-dtls-ep"/);
    // The session itself still completes as the peers see it.
    expect(events.at(-1)!.session.state).toBe('closed');
  });

  it('a key for another identity: no decryption, the reason said', async () => {
    const { messages, events } = await sessions(pskKeys([{ identity: 'someone-else', key: Buffer.from('x') }]));
    expect(messages).toHaveLength(0);
    expect(events.at(-1)!.session).toMatchObject({ decryption: null, decryptionError: 'no key given for this PSK identity' });
  });
});
