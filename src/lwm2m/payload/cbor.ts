import { Decoder, type Options } from 'cbor-x';

/*
 * One decoder for every CBOR format. Maps stay Maps because SenML CBOR labels are
 * integers and LwM2M CBOR keys can be arrays; 64-bit integers come back as numbers
 * (records carry plain numbers). cbor-x bounds array and map sizes by the bytes left and
 * resets its state after an error, but it still resolves value-sharing tags (28/29) and
 * packed CBOR: a small hostile body can decode to a DAG with many paths, or a cycle, so
 * walkers of its output must bound their visits (see MAX_VISITS_PER_BYTE).
 */
// int64AsNumber is in the cbor-x README but missing from its typings.
const options: Options & { int64AsNumber: boolean } = { mapsAsObjects: false, useRecords: false, int64AsNumber: true };
const decoder = new Decoder(options);

/**
 * A tree decoded from N bytes without sharing has at most N items; the slack lets
 * legitimate use of packed CBOR through while a sharing bomb is cut off.
 */
export const MAX_VISITS_PER_BYTE = 4;

export function decodeCbor(body: Buffer): { value: unknown } | { error: unknown } {
  try {
    return { value: decoder.decode(body) as unknown };
  } catch (error) {
    return { error };
  }
}
