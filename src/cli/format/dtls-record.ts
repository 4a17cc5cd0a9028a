import type { DtlsEvent, DtlsStats } from '../../dtls/index.js';
import { sanitizeForTerminal } from '../../util/terminal-text.js';

/** Capture times as the message records write them: 6 decimals. */
function time(t: number): number {
  return Math.round(t * 1e6) / 1e6;
}

/**
 * One `{"kind":"dtls",…}` line (with its newline): a DTLS session changed (`change`), with the
 * session as it stands. Rare next to message records, so plain JSON.stringify, which also
 * escapes the strings that come from packets (PSK identity and hint, SNI, certificate names).
 */
export function dtlsLine(e: DtlsEvent): string {
  const s = e.session;
  return JSON.stringify({
    kind: 'dtls', frame: e.frame, ts: time(e.ts), change: e.change, session: s.id, client: s.client, server: s.server,
    endpoint: s.endpoint, version: s.version, state: s.state, reason: s.reason, handshakeSeen: s.handshakeSeen,
    cipherSuite: s.cipherSuite, cipherSuiteId: s.cipherSuiteId, weakSuite: s.weakSuite, cbcSuite: s.cbcSuite,
    offeredSuites: s.offeredSuites, pskIdentity: s.pskIdentity, pskIdentityHint: s.pskIdentityHint, sni: s.sni,
    maxFragmentLength: s.maxFragmentLength, connectionId: s.connectionId, extensions: s.extensions,
    certificates: s.certificates, alerts: s.alerts.map((a) => ({ ...a, ts: time(a.ts) })),
    decryption: s.decryption, decryptionError: s.decryptionError, records: s.records, appDataBytes: s.appDataBytes,
    errors: s.errors, lastError: s.lastError, startedAt: time(s.startedAt), lastSeen: time(s.lastSeen),
  }) + '\n';
}

/** The `DTLS sessions` line of `analyze --format summary`: counts by outcome, then the chosen suites. */
export function dtlsSummary(stats: DtlsStats): string {
  let text = `${stats.sessions}`;
  if (stats.sessions === 0) return text;
  text += ` (${stats.established} established, ${stats.failed} failed`;
  if (stats.decrypted > 0) text += `, ${stats.decrypted} records decrypted`;
  text += ')';
  const suites = [...stats.suites].sort((a, b) => b[1] - a[1]).map(([name, n]) => `${name} ${n}`);
  if (suites.length > 0) text += `; suites: ${suites.join(', ')}`;
  return sanitizeForTerminal(text);
}
