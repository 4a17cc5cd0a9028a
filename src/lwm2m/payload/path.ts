/** LwM2M path ids: [] for the root, [o], [o, i], [o, i, r] or [o, i, r, ri]. */
export type PathIds = readonly number[];

const MAX_ID = 65535;
/** /o/i/r/ri */
export const MAX_PATH_DEPTH = 4;
const SLASH = 0x2f;
const ZERO = 0x30;

/**
 * Parses "/3/0/1" (a trailing slash allowed, as SenML base names end with one) into ids.
 * Null when the text is not an LwM2M path: more than four levels, or a component that is
 * not a 16-bit decimal id.
 */
export function parsePath(text: string): PathIds | null {
  return text.charCodeAt(0) === SLASH ? appendIds([], text, 1) : null;
}

/** `base` extended by a relative path ("0/9", "9/", ""); null when `text` is not one. */
export function resolveRelativePath(base: PathIds, text: string): PathIds | null {
  return text.charCodeAt(0) === SLASH ? null : appendIds([...base], text, 0);
}

/** Scans slash-separated decimal ids from `start` (hot in SenML decoding, hence no regex/split). */
function appendIds(ids: number[], text: string, start: number): PathIds | null {
  let id = -1;
  for (let i = start; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === SLASH) {
      if (id < 0) return null;
      ids.push(id);
      id = -1;
    } else {
      const digit = c - ZERO;
      if (digit < 0 || digit > 9) return null;
      id = id < 0 ? digit : id * 10 + digit;
      if (id > MAX_ID) return null;
    }
  }
  if (id >= 0) ids.push(id);
  return ids.length <= MAX_PATH_DEPTH ? ids : null;
}

/** A 16-bit object, instance or resource id. */
export function isPathId(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= MAX_ID;
}

export function formatPath(ids: PathIds): string {
  if (ids.length === 0) return '/';
  let path = '';
  for (const id of ids) path += `/${id}`;
  return path;
}

/** A path naming a resource or resource instance (/o/i/r or /o/i/r/ri). */
export function isResourcePath(ids: PathIds | null): ids is PathIds {
  return ids !== null && ids.length >= 3;
}
