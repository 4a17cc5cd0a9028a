import { PayloadBuilder } from './builder.js';
import { decodeLinkFormat } from './link-format.js';
import { decodeLwm2mCbor } from './lwm2m-cbor.js';
import { decodeOctetStream } from './octet-stream.js';
import { decodeOmaJson } from './oma-json.js';
import { isResourcePath, parsePath } from './path.js';
import { decodePlainCbor } from './plain-cbor.js';
import { decodeSenmlCbor } from './senml-cbor.js';
import { decodeSenmlJson } from './senml-json.js';
import { decodeTextPlain } from './text-plain.js';
import { decodeTlv } from './tlv.js';
import type { PayloadDecoder, PayloadResult } from './types.js';

export { contentFormatName } from './content-formats.js';
export type { CoreLink, Lwm2mRecord, PayloadDecoder, PayloadResult, ResourceType } from './types.js';

const DECODERS = new Map<number, PayloadDecoder>([
  [0, decodeTextPlain],
  [40, decodeLinkFormat],
  [42, decodeOctetStream],
  [60, decodePlainCbor],
  [110, decodeSenmlJson],
  [112, decodeSenmlCbor],
  [1542, decodeTlv],
  [1543, decodeOmaJson],
  [11542, decodeTlv],
  [11543, decodeOmaJson],
  [11544, decodeLwm2mCbor],
]);

/** coapwatch decodes payloads of this Content-Format (decodePayload returns nothing for the others). */
export function hasDecoder(contentFormat: number): boolean {
  return DECODERS.has(contentFormat);
}

/**
 * Decodes a (reassembled) CoAP payload by its Content-Format into LwM2M records, links
 * or data. Never throws. An unknown format decodes to nothing without an error (the
 * caller marks it).
 */
export function decodePayload(contentFormat: number | null, body: Buffer, basePath: string | null): PayloadResult {
  const decoder = decoderFor(contentFormat, body, basePath);
  if (decoder === undefined) return { records: [], error: null };
  try {
    return decoder(body, basePath);
  } catch (err) {
    // Decoders bound-check and catch library errors; this only keeps a decoder bug from taking the pipeline down.
    const out = new PayloadBuilder();
    out.failWith('decoder failed', err);
    return out.result();
  }
}

/**
 * Without a Content-Format, a body is an LwM2M text/plain value when the request path
 * names a resource (plain text is LwM2M's default for single resources); anything else
 * stays opaque.
 */
function decoderFor(contentFormat: number | null, body: Buffer, basePath: string | null): PayloadDecoder | undefined {
  if (contentFormat !== null) return DECODERS.get(contentFormat);
  const ids = basePath === null ? null : parsePath(basePath);
  return body.length > 0 && isResourcePath(ids) ? decodeTextPlain : undefined;
}
