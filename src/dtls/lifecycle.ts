import type { Datagram } from '../decode/types.js';
import { parseAlert } from './parser.js';
import { markError, type Tracked } from './sessions.js';
import { alertDescription, alertLevel } from './suites.js';
import type { DtlsChange, DtlsEvent, DtlsStats } from './types.js';

/** Alerts kept in a session's list; later ones are still reported as changes, and counted (`dtls.alerts`). */
export const MAX_ALERTS = 32;

/**
 * Moves sessions through their states (handshake, then established and closed, or failed),
 * reads their alerts, names their endpoints, and reports each change as a DtlsEvent.
 */
export class SessionLifecycle {
  /** Alerts not kept in their session's list. */
  private alertsCut = 0;

  constructor(private readonly stats: DtlsStats, private readonly onEvent: ((e: DtlsEvent) => void) | undefined) {}

  get alertsNotKept(): number {
    return this.alertsCut;
  }

  emit(t: Tracked, change: DtlsChange, frame: number | null, ts: number): void {
    this.onEvent?.({ ts, frame, change, session: t.s });
  }

  /** Both sides sent their Finished: the handshake is over. */
  checkEstablished(t: Tracked, d: Datagram): void {
    if (t.s.state === 'handshake' && t.client.finished && t.server.finished) this.establish(t, d);
  }

  establish(t: Tracked, d: Datagram): void {
    t.s.state = 'established';
    this.stats.established++;
    this.emit(t, 'established', d.frame, d.ts);
  }

  fail(t: Tracked, frame: number | null, ts: number, reason: string): void {
    t.s.state = 'failed';
    t.s.reason = reason;
    this.stats.failed++;
    this.emit(t, 'handshake-failed', frame, ts);
  }

  close(t: Tracked, frame: number | null, ts: number, reason: string): void {
    t.s.state = 'closed';
    t.s.reason = reason;
    this.stats.closed++;
    this.emit(t, 'closed', frame, ts);
  }

  link(t: Tracked, endpoint: string, frame: number, ts: number): void {
    if (t.s.endpoint === endpoint) return;
    t.s.endpoint = endpoint;
    this.emit(t, 'endpoint', frame, ts);
  }

  /** A plaintext (or decrypted) alert: a fatal one ends the session, as does close_notify. */
  alert(t: Tracked, d: Datagram, body: Buffer): void {
    const a = parseAlert(body);
    if (a.error !== null) {
      markError(t, a.error);
      return;
    }
    const level = alertLevel(a.value.level);
    const description = alertDescription(a.value.description);
    this.addAlert(t, d, level, description);
    if (a.value.level === 2) {
      if (t.s.state === 'handshake') this.fail(t, d.frame, d.ts, `fatal alert ${description}`);
      else if (t.s.state === 'established') this.close(t, d.frame, d.ts, `fatal alert ${description}`);
    } else if (a.value.description === 0 && t.s.state !== 'closed' && t.s.state !== 'failed') {
      this.close(t, d.frame, d.ts, 'close_notify');
    }
  }

  /** An alert that could not be decrypted: either close_notify or fatal, so the session ends. */
  encryptedAlert(t: Tracked, d: Datagram): void {
    this.addAlert(t, d, 'encrypted', 'encrypted');
    if (t.s.state === 'handshake') this.fail(t, d.frame, d.ts, 'encrypted alert during the handshake');
    else if (t.s.state === 'established') this.close(t, d.frame, d.ts, 'encrypted alert (close_notify or fatal)');
  }

  private addAlert(t: Tracked, d: Datagram, level: string, description: string): void {
    if (t.s.alerts.length < MAX_ALERTS) t.s.alerts.push({ ts: d.ts, frame: d.frame, level, description, from: d.src });
    else this.alertsCut++;
    this.emit(t, 'alert', d.frame, d.ts);
  }
}
