/**
 * Interned strings of the message index (`index_strings`) a writer keeps in memory: addresses,
 * endpoint names, paths. A miss costs one indexed read of the table, never a wrong id, so the
 * bound costs speed only past it. Each meter brings three of its own (its address, its name, its
 * registration's location path): those of a fleet of 10^6 fit, so that the cost per message stays
 * flat up to that size. Both writers' threads use it: SQLite's (sqlite/worker.ts) and PostgreSQL's (pg/worker.ts).
 */
export const MAX_INTERNED_STRINGS = 1 << 22;
