import { openForWriting } from '../../src/store/index.js';

/** Capture time of the first synthetic row: 2026-11-23T00:00:00Z. */
export const SYNTHETIC_T0 = 1795392000;

export interface SyntheticStore {
  /** One run per source (capture file or iface:NAME); row i belongs to run 1 + i % sources.length. */
  sources: string[];
  endpoints: number;
  events: number;
  /** Endpoint name of row i (default meter-0000000, meter-0000001, ...). */
  name?: (i: number) => string;
}

export const syntheticName = (i: number) => `meter-${String(i).padStart(7, '0')}`;

/** Severity of synthetic event i: low, medium, high in turn. */
export const syntheticSeverity = (i: number) => ['low', 'medium', 'high'][i % 3];

/**
 * A database as a fleet sensor leaves it after months, written directly rather than by
 * analysing captures (a million endpoints would take minutes to capture and analyse). Row i
 * is last seen (or happens) at SYNTHETIC_T0 + i seconds, so listings show rows in index order.
 */
export function writeSyntheticStore(path: string, s: SyntheticStore): void {
  const db = openForWriting(path);
  const name = s.name ?? syntheticName;
  const run = db.prepare('INSERT INTO runs (source, started_at) VALUES (?, ?)');
  const endpoint = db.prepare(`INSERT INTO endpoints (run_id, endpoint, address, state, lifetime, binding, lwm2m_version, queue_mode,
    objects, object_versions, registered_at, updated_at, expires_at, last_seen) VALUES (?, ?, ?, 'registered', 86400, 'U', '1.1', 0,
    '["/3/0","/3305/0","/10243/0"]', '{}', ?, ?, ?, ?)`);
  const event = db.prepare(`INSERT INTO events (run_id, ts, rule, severity, endpoint, src, dst, frame, message)
    VALUES (?, ?, 'synthetic-rule', ?, ?, ?, '10.0.0.1:5683', ?, ?)`);
  const address = (i: number) => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}:56830`;
  db.transaction(() => {
    s.sources.forEach((source) => run.run(source, SYNTHETIC_T0));
    for (let i = 0; i < s.endpoints; i++) {
      const t = SYNTHETIC_T0 + i;
      endpoint.run(1 + (i % s.sources.length), name(i), address(i), t, t, t + 86400, t);
    }
    for (let i = 0; i < s.events; i++) {
      event.run(1 + (i % s.sources.length), SYNTHETIC_T0 + i, syntheticSeverity(i), name(i), address(i), i + 1, `Synthetic event about ${name(i)}`);
    }
  })();
  db.close();
}
