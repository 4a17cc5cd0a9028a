/**
 * Objects whose resources hold credentials: Security (/0) and OSCORE (/21). Their values are
 * never kept or stored, only their path and length. Checked for every record, so by
 * character rather than by splitting the path.
 */
export function isSecretPath(path: string): boolean {
  if (path.charCodeAt(0) !== SLASH) return false;
  const c = path.charCodeAt(1);
  if (c === ZERO) return segmentEndsAt(path, 2);
  return c === TWO && path.charCodeAt(2) === ONE && segmentEndsAt(path, 3);
}

/** The object id ends at `i`: the path ends there or goes on with "/". */
function segmentEndsAt(path: string, i: number): boolean {
  return path.length === i || path.charCodeAt(i) === SLASH;
}

const SLASH = 0x2f;
const ZERO = 0x30;
const ONE = 0x31;
const TWO = 0x32;

export { valueLength } from '../lwm2m/index.js';
