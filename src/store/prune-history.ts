/**
 * Tables whose rows of a live run that is kept are removed by their own time: what grows with
 * every message and is history rather than state (the endpoints, observations, last values and
 * DTLS sessions of a run still being written are its current state, and are kept with it).
 * Shared by the SQLite prune and the PostgreSQL connection's thread, which cannot load better-sqlite3.
 */
export const PRUNED_HISTORY: ReadonlyArray<[table: string, time: string]> = [
  ['events', 'COALESCE(last_ts, ts)'],
  ['messages', 'ts'],
  ['resource_samples', 'ts'],
];
