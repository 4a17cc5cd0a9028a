import { X509Certificate } from 'node:crypto';
import type { DtlsCertificate } from './types.js';

/** Subject, issuer and validity of one DER certificate; a raw public key (RFC 7250) or damage gives an error instead. */
export function describeCertificate(der: Buffer): DtlsCertificate {
  try {
    const cert = new X509Certificate(der);
    return {
      subject: oneLine(cert.subject),
      issuer: oneLine(cert.issuer),
      notBefore: isoDate(cert.validFrom),
      notAfter: isoDate(cert.validTo),
      error: null,
    };
  } catch {
    return { subject: null, issuer: null, notBefore: null, notAfter: null, error: `${der.length}-byte entry is not an X.509 certificate (raw public key?)` };
  }
}

/** Node gives distinguished names one attribute a line: "CN=a\nO=b" → "CN=a, O=b". */
function oneLine(dn: string): string {
  return dn.split('\n').filter(Boolean).join(', ');
}

function isoDate(text: string): string {
  const t = Date.parse(text);
  return Number.isNaN(t) ? text : new Date(t).toISOString();
}
