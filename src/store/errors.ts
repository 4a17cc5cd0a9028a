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
    if (err instanceof StoreError) throw err;
    const e = err as { code?: unknown; message?: unknown };
    const code = typeof e.code === 'string' ? ` (${e.code})` : '';
    throw new StoreError(`database ${displayLocation(path)}: ${String(e.message ?? err).split('\n')[0]}${code}`);
  }
}
