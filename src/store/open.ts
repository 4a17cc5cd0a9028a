import Database from 'better-sqlite3';
import { existsSync } from 'node:fs';
import { StoreError, storeCall } from './errors.js';
import { checkSchema, migrate } from './schema.js';
import { PgReader } from './pg/reader.js';
import { isPostgresUrl, redactUrl } from './pg/url.js';
import { sqliteReader, type RowReader } from './queries.js';

/** How long to wait for another writer before reporting the database as locked. */
const BUSY_TIMEOUT_MS = 5000;
/**
 * The writer's page cache. SQLite's default (2 MiB) holds a few thousand endpoints' rows and
 * index pages; past that every row a batch rewrites reads its pages from the file again, and the
 * cost per message grows with the fleet.
 */
export const WRITER_CACHE_KIB = 64 * 1024;

/** Opens (creating if needed) a database for writing: WAL journal, schema migrated. */
export function openForWriting(path: string): Database.Database {
  refusePostgres(path);
  return storeCall(path, () => {
    const db = new Database(path);
    db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    // WAL: readers (the endpoints/events commands) never block the writer; NORMAL sync is
    // durable at each checkpoint and never corrupts on a crash.
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma(`cache_size = ${-WRITER_CACHE_KIB}`);
    migrate(db);
    return db;
  });
}

/**
 * Opens an existing database for the readers (endpoints, events, ui); never creates one. A file
 * that is not a coapwatch database of a version this one reads is refused with one line.
 */
export function openForReading(path: string): Database.Database {
  // A PostgreSQL store, behind the calls the readers make (see PgReader).
  if (isPostgresUrl(path)) return new PgReader(path).asDatabase();
  if (!existsSync(path)) throw new StoreError(`database ${path}: no such file`);
  return storeCall(path, () => {
    const db = new Database(path, { readonly: true, fileMustExist: true });
    try {
      db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
      checkSchema(db, path);
    } catch (err) {
      db.close();
      throw err;
    }
    return db;
  });
}

/** Opens a store for the listings: a SQLite file (see openForReading) or a postgres:// URL. */
export function openRowReader(location: string): RowReader {
  return isPostgresUrl(location) ? new PgReader(location) : sqliteReader(openForReading(location), location);
}

/**
 * A SQLite handle asked for with a postgres:// URL (a caller that should have taken the
 * PostgreSQL store): refused in one line that names the database without its credentials.
 */
export function refusePostgres(location: string): void {
  if (isPostgresUrl(location)) {
    throw new StoreError(`database ${redactUrl(location)}: this needs a SQLite file, not a PostgreSQL store`);
  }
}
