import type { Datagram } from '../../../src/decode/types.js';

/** Builders for synthetic DTLS 1.2 traffic (RFC 6347 layouts), for the session-table tests. */

/** A self-signed P-256 certificate, CN=lwm2m.example, O=coapwatch test, 2026-11-23 to 2036-11-20 (made with openssl req -x509). */
export const CERT_DER = Buffer.from('308201a43082014aa003020102020107300a06082a8648ce3d04030230313116301406035504030c0d6c776d326d2e6578616d706c6531173015060355040a0c0e636f617077617463682074657374301e170d3236313132333134323435325a170d3336313132303134323435325a30313116301406035504030c0d6c776d326d2e6578616d706c6531173015060355040a0c0e636f6170776174636820746573743059301306072a8648ce3d020106082a8648ce3d030107034200048e25c8f79be4187ae989c72f8f419547124ab8a2d3138e66a1e3a67caa498f43e26d7d07a3a9879127fd8aa4a34ace22d40fcaf86dbfc309e5d72af315b945a2a3533051301d0603551d0e0416041460adf4525753845753936f51d77e7448498f5133301f0603551d2304183016801460adf4525753845753936f51d77e7448498f5133300f0603551d130101ff040530030101ff300a06082a8648ce3d0403020348003045022012150ad24cc200a564408e7d195c789680335e0876adda6d6aacdf7c5be7ec1b02210098b2c77f2659171db1f2f157c37aca042b079d69359da66f146784fbe1b432c5', 'hex');

function u(n: number, bytes: number): Buffer {
  const b = Buffer.alloc(bytes);
  b.writeUIntBE(n, 0, bytes);
  return b;
}

export function vec(lenBytes: number, body: Buffer): Buffer {
  return Buffer.concat([u(body.length, lenBytes), body]);
}

export function record(type: number, epoch: number, seq: number, fragment: Buffer, version = 0xfefd): Buffer {
  return Buffer.concat([u(type, 1), u(version, 2), u(epoch, 2), u(seq, 6), u(fragment.length, 2), fragment]);
}

export function handshake(type: number, seq: number, body: Buffer, offset = 0, total = body.length): Buffer {
  return Buffer.concat([u(type, 1), u(total, 3), u(seq, 2), u(offset, 3), u(body.length, 3), body]);
}

export function extension(type: number, body: Buffer): Buffer {
  return Buffer.concat([u(type, 2), vec(2, body)]);
}

export function clientHello(suites: number[], extensions: Buffer[] = [], random = Buffer.alloc(32, 0xc1)): Buffer {
  return Buffer.concat([
    u(0xfefd, 2), random, vec(1, Buffer.alloc(0)), vec(1, Buffer.alloc(0)), vec(2, Buffer.concat(suites.map((s) => u(s, 2)))),
    vec(1, Buffer.from([0])), vec(2, Buffer.concat(extensions)),
  ]);
}

export function serverHello(suite: number, extensions: Buffer[] = [], random = Buffer.alloc(32, 0x5e)): Buffer {
  return Buffer.concat([u(0xfefd, 2), random, vec(1, Buffer.alloc(0)), u(suite, 2), u(0, 1), vec(2, Buffer.concat(extensions))]);
}

export function sni(host: string): Buffer {
  return extension(0, vec(2, Buffer.concat([u(0, 1), vec(2, Buffer.from(host))])));
}

export function certificateMessage(ders: Buffer[]): Buffer {
  return vec(3, Buffer.concat(ders.map((d) => vec(3, d))));
}

export const CLIENT = '10.1.0.1:56830';
export const SERVER = '10.0.0.1:5684';

let frame = 0;
export function datagram(fromClient: boolean, payload: Buffer, ts = 1_800_000_000 + frame): Datagram {
  frame++;
  const [src, dst] = fromClient ? [CLIENT, SERVER] : [SERVER, CLIENT];
  return { frame, ts, transport: 'udp', src, dst, srcPort: Number(src.split(':')[1]), dstPort: Number(dst.split(':')[1]), payload };
}
