/**
 * Objects whose resources hold credentials: Security (/0) and OSCORE (/21). Their values are
 * never kept or stored, only their path and length. Checked for every record, so by
 * character rather than by splitting the path.
 */
export function isSecretPath(path: string): boolean {
  return objectIs(path, '/0') || objectIs(path, '/21');
}

function objectIs(path: string, object: string): boolean {
  return path.startsWith(object) && (path.length === object.length || path.charCodeAt(object.length) === 47);
}

export { valueLength } from '../lwm2m/index.js';
