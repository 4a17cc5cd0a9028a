/** One `IDENTITY:HEXKEY` pair given with --psk or in a --psk-file. */
export interface PskEntry {
  identity: string;
  key: Buffer;
}

/** Longest key accepted (RFC 4279 allows up to 65535 bytes; real deployments use 16-64). */
const MAX_KEY_BYTES = 1024;

/**
 * Parses `IDENTITY:HEXKEY`. The identity is everything before the last ':' (so it may itself
 * contain ':'); the key is hex (an even number of 0-9a-f digits, optional 0x). Errors name the
 * problem and the identity, never the key.
 */
export function parsePskSpec(spec: string): PskEntry {
  const colon = spec.lastIndexOf(':');
  if (colon < 0) throw new Error('expected IDENTITY:HEXKEY (no ":" found)');
  const identity = spec.slice(0, colon);
  let hex = spec.slice(colon + 1).trim();
  if (identity.length === 0) throw new Error('empty PSK identity before ":"');
  if (hex.startsWith('0x') || hex.startsWith('0X')) hex = hex.slice(2);
  const who = `PSK identity ${JSON.stringify(identity)}`;
  if (hex.length === 0) throw new Error(`no key after ":" for ${who}`);
  if (!/^[0-9a-fA-F]+$/.test(hex)) throw new Error(`key for ${who} is not hex`);
  if (hex.length % 2 !== 0) throw new Error(`key for ${who} has an odd number of hex digits`);
  if (hex.length / 2 > MAX_KEY_BYTES) throw new Error(`key for ${who} is longer than ${MAX_KEY_BYTES} bytes`);
  return { identity, key: Buffer.from(hex, 'hex') };
}

/** A --psk-file: one IDENTITY:HEXKEY a line; blank lines and lines starting with # are skipped. */
export function parsePskFile(text: string): PskEntry[] {
  const out: PskEntry[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (line === '' || line.startsWith('#')) continue;
    try {
      out.push(parsePskSpec(line));
    } catch (err) {
      throw new Error(`line ${i + 1}: ${(err as Error).message}`);
    }
  }
  return out;
}

/** Identity → key; a later entry for the same identity wins. */
export function pskKeys(entries: PskEntry[]): Map<string, Buffer> {
  return new Map(entries.map((e) => [e.identity, e.key]));
}
