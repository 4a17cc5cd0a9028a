import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { openForWriting } from '../store/open.js';

/*
 * A database of a utility-sized fleet for the dashboard's scale checks: one finished run with N
 * endpoints (registered, expired, deregistered) and about 2/3 of an event per endpoint (unevenly: most
 * endpoints have none, a few have several), inserted
 * directly (one transaction), without a capture. The rows have the shapes analyze --db writes;
 * values come from a seeded generator, so every build of the same size is the same database.
 *
 *   node dist/bench/big-database.js /tmp/big.db 1000000
 */

export interface BigDatabaseOptions {
  endpoints: number;
  /** Scales the events: 1 gives about 2/3 of an event per endpoint on average. */
  eventsPerEndpoint?: number;
}

const T0 = 1_767_225_600; // 2026-01-01T00:00:00Z
const SPAN = 30 * 86_400; // a month of capture
const STATES = ['registered', 'registered', 'registered', 'registered', 'registered', 'registered', 'registered', 'expired', 'expired', 'deregistered'];
const RULES: Array<[rule: string, severity: string, message: string]> = [
  ['registration-storm', 'medium', 'registered 12 times in 60 s'],
  ['lifetime-expired', 'low', 'lifetime ran out without an update'],
  ['security-object-write', 'critical', 'write to /0/0 outside bootstrap'],
  ['unexpected-address', 'high', 'registration update from a new address'],
  ['odd-lifetime', 'info', 'lifetime 5 s is shorter than the update period'],
];
const OBJECT_LISTS = [
  ['/1/0', '/3/0', '/4/0', '/3305/0'],
  ['/1/0', '/3/0', '/4/0', '/3305/0', '/3305/1', '/3305/2'],
  ['/1/0', '/3/0', '/5/0', '/3303/0'],
].map((l) => JSON.stringify(l));

/** mulberry32: a small seeded generator (the database must be the same on every build). */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const endpointName = (i: number): string => `meter-${String(i).padStart(7, '0')}`;

/** Writes the run into a new database at `path` (which must not exist) and returns its row counts. */
export function buildBigDatabase(path: string, opts: BigDatabaseOptions): { endpoints: number; events: number } {
  if (existsSync(path)) throw new Error(`${path} exists: the big database is only built into a new file`);
  const n = opts.endpoints;
  const eventsPerEndpoint = opts.eventsPerEndpoint ?? 1;
  const rand = random(0x5eed);
  const db = openForWriting(path);
  // One writer, a throwaway file: no journal and no fsync, so 10^6 rows take seconds.
  db.pragma('journal_mode = OFF');
  db.pragma('synchronous = OFF');
  const endpoint = db.prepare(`INSERT INTO endpoints (run_id, endpoint, address, previous_addresses, location, state, lifetime,
    binding, lwm2m_version, sms, queue_mode, objects, object_versions, registered_at, updated_at, expires_at, last_seen, dtls)
    VALUES (1, ?, ?, NULL, ?, ?, ?, 'U', '1.1', NULL, 0, ?, '{"/3":"1.1"}', ?, ?, ?, ?, NULL)`);
  // Indexes are built after the rows (one sort each), not kept up to date row by row.
  const indexes = db.prepare("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL").all() as Array<{ name: string; sql: string }>;
  for (const { name } of indexes) db.exec(`DROP INDEX "${name}"`);
  const event = db.prepare(`INSERT INTO events (run_id, ts, rule, severity, endpoint, src, dst, frame, message, details, count, last_ts)
    VALUES (1, ?, ?, ?, ?, ?, '10.0.0.1:5683', ?, ?, ?, ?, ?)`);
  let events = 0;
  let frame = 0;
  db.transaction(() => {
    db.prepare(`INSERT INTO runs (id, source, started_at, finished_at, packets, messages, capture_start, capture_end, events)
      VALUES (1, 'big-fleet.pcap', ?, ?, ?, ?, ?, ?, 0)`).run(T0 + SPAN, T0 + SPAN + 60, n * 40, n * 40, T0, T0 + SPAN);
    for (let i = 0; i < n; i++) {
      const name = endpointName(i);
      const address = `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}:56830`;
      const state = STATES[Math.floor(rand() * STATES.length)];
      const lifetime = [300, 3600, 86_400][Math.floor(rand() * 3)];
      const lastSeen = T0 + rand() * SPAN;
      const registeredAt = Math.max(T0, lastSeen - rand() * 86_400);
      const expiresAt = state === 'deregistered' ? null : lastSeen + lifetime;
      endpoint.run(name, address, `/rd/${i}`, state, lifetime, OBJECT_LISTS[i % OBJECT_LISTS.length], registeredAt, lastSeen, expiresAt, lastSeen);
      // Uneven: most endpoints raise none, some a few (rand()^3 makes a long tail).
      const own = Math.floor(rand() ** 3 * 4 * eventsPerEndpoint);
      for (let k = 0; k < own; k++) {
        const [rule, severity, message] = RULES[Math.floor(rand() * RULES.length)];
        const ts = T0 + rand() * SPAN;
        const count = rand() < 0.1 ? 1 + Math.floor(rand() * 50) : 1;
        event.run(ts, rule, severity, name, address, ++frame, message, '{"path":"/0/0"}', count, count > 1 ? ts + count : ts);
        events++;
      }
    }
    db.prepare('UPDATE runs SET events = ? WHERE id = 1').run(events);
  })();
  for (const { sql } of indexes) db.exec(sql);
  db.pragma('journal_mode = DELETE');
  db.close();
  return { endpoints: n, events };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const path = process.argv[2];
  const n = Number(process.argv[3] ?? 1_000_000);
  if (!path || !Number.isInteger(n) || n < 1) {
    process.stderr.write('usage: node dist/bench/big-database.js PATH [ENDPOINTS]\n');
    process.exit(1);
  }
  const started = Date.now();
  const made = buildBigDatabase(path, { endpoints: n });
  process.stdout.write(`${path}: ${made.endpoints} endpoints, ${made.events} events in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
}
