import { displayLocation } from './pg/url.js';

/** A database problem the user must hear about in one line (unwritable path, full disk, locked). */
export class StoreError extends Error {
  override name = 'StoreError';
}

/** Runs `fn`, turning any SQLite or file-system failure into a one-line StoreError about `path`. */
export function storeCall<T>(path: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    throw asStoreError(path, err);
  }
}

/** `err` as a one-line StoreError about the database at `path` (its code, when it has one, in parentheses). */
export function asStoreError(path: string, err: unknown): StoreError {
  if (err instanceof StoreError) return err;
  const e = (err ?? {}) as { code?: unknown; message?: unknown };
  const code = typeof e.code === 'string' ? ` (${e.code})` : '';
  return new StoreError(`database ${displayLocation(path)}: ${String(e.message ?? err).split('\n')[0]}${code}`);
}
