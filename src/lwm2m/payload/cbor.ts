import { Decoder, type Options } from 'cbor-x';

/*
 * One decoder for every CBOR format. Maps stay Maps because SenML CBOR labels are
 * integers and LwM2M CBOR keys can be arrays; 64-bit integers come back as numbers
 * (records carry plain numbers). cbor-x bounds array and map sizes by the bytes left and
 * resets its state after an error, but it still resolves value-sharing tags (28/29) and
 * packed CBOR: a small hostile body can decode to a DAG with many paths, or a cycle, so
 * walkers of its output must bound their visits (see MAX_VISITS_PER_BYTE). It also recurses once
 * per nesting level with no limit of its own, so a few kilobytes of nested arrays would exhaust
 * the stack: bodies nested deeper than MAX_CBOR_DEPTH are refused before cbor-x sees them.
 */
// int64AsNumber is in the cbor-x README but missing from its typings.
const options: Options & { int64AsNumber: boolean } = { mapsAsObjects: false, useRecords: false, int64AsNumber: true };
const decoder = new Decoder(options);

/**
 * A tree decoded from N bytes without sharing has at most N items; the slack lets
 * legitimate use of packed CBOR through while a sharing bomb is cut off.
 */
export const MAX_VISITS_PER_BYTE = 4;

/**
 * Far deeper than any LwM2M format nests (LwM2M CBOR: 5 levels, SenML: 2), far shallower than
 * what exhausts the stack.
 */
export const MAX_CBOR_DEPTH = 64;

export function decodeCbor(body: Buffer): { value: unknown } | { error: unknown } {
  // A body of n bytes cannot open more than n containers.
  if (body.length > MAX_CBOR_DEPTH && nestedDeeperThan(body, MAX_CBOR_DEPTH)) {
    return { error: `nested deeper than ${MAX_CBOR_DEPTH} levels` };
  }
  try {
    return { value: decoder.decode(body) as unknown };
  } catch (error) {
    return { error };
  }
}

/**
 * Whether the first CBOR item in body (RFC 8949) opens more than `limit` containers (arrays,
 * maps, tags, indefinite-length strings) inside each other. Walks the item heads without
 * decoding anything, keeping a count of the items left in each open container; stops with
 * false at the first malformed or missing byte, where cbor-x stops too and reports why.
 */
export function nestedDeeperThan(body: Uint8Array, limit: number): boolean {
  const left: number[] = [];
  let pos = 0;
  while (pos < body.length) {
    const head = body[pos++];
    const major = head >> 5;
    const info = head & 31;
    if (head === 0xff) {
      // Break: ends the innermost container, which must be of indefinite length.
      if (left.length === 0 || left[left.length - 1] !== Infinity) return false;
      left.pop();
    } else {
      let argument: number;
      if (info < 24) argument = info;
      else if (info === 31) {
        if (major === 0 || major === 1 || major === 6) return false;
        argument = Infinity;
      } else if (info <= 27) {
        const size = 1 << (info - 24);
        if (pos + size > body.length) return false;
        argument = 0;
        for (let i = 0; i < size; i++) argument = argument * 256 + body[pos + i];
        pos += size;
      } else return false;
      let items = 0;
      if (major === 2 || major === 3) {
        if (argument === Infinity) items = Infinity; // chunks follow, up to a break
        else pos += argument;
      } else if (major === 4) items = argument;
      else if (major === 5) items = argument * 2;
      else if (major === 6) items = 1;
      if (items > 0) {
        if (left.length === limit) return true;
        left.push(items);
        continue;
      }
    }
    // An item ended: it counts against its container, which may end with it, and so on up.
    for (;;) {
      if (left.length === 0) return false;
      const top = left.length - 1;
      if (left[top] === Infinity) break;
      if (--left[top] > 0) break;
      left.pop();
    }
  }
  return false;
}
