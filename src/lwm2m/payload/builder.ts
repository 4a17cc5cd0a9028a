import type { Lwm2mRecord, PayloadResult } from './types.js';

/**
 * Collects a decoder's records and its first fault. Decoders keep going past a fault
 * where the framing still holds (a bad SenML record, a TLV value of the wrong size), so
 * `error` names the first problem and the records hold everything that did decode.
 */
export class PayloadBuilder {
  readonly records: Lwm2mRecord[] = [];
  error: string | null = null;

  fail(reason: string): void {
    this.error ??= reason;
  }

  /** Records an exception thrown by a parser library as a one-line reason. */
  failWith(context: string, err: unknown): void {
    this.fail(`${context}: ${oneLine(err)}`);
  }

  result(): PayloadResult {
    return { records: this.records, error: this.error };
  }
}

function oneLine(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > 160 ? `${line.slice(0, 157)}...` : line;
}
