/** LwM2M data types (LwM2M 1.1 core, appendix C), plus 'unknown' where a format carries no type and the registry has none. */
export type ResourceType =
  | 'string'
  | 'integer'
  | 'unsigned'
  | 'float'
  | 'boolean'
  | 'opaque'
  | 'time'
  | 'objlnk'
  | 'corelnk'
  | 'none'
  | 'unknown';

/**
 * One resource value found in a payload.
 * - integer/unsigned/float/time: number (time = seconds since epoch)
 * - string/corelnk: string; boolean: boolean
 * - opaque: lower-case hex string
 * - objlnk: "objectId:instanceId" (e.g. "3:0")
 * - value null: the format carried no value (e.g. SenML record with only a name)
 */
export interface Lwm2mRecord {
  /** "/obj/inst/res" or "/obj/inst/res/ri"; for formats that address only part of it, as deep as known. */
  path: string;
  /** Resource name from the object registry, or null when unknown. */
  name: string | null;
  type: ResourceType;
  value: number | string | boolean | null;
  /** SenML/OMA JSON time of the record (seconds), when the payload carried one. */
  time?: number;
  /**
   * `time` counts seconds relative to when the message was sent (negative: in the past),
   * not since the epoch: SenML reads any time below 2^28 that way (RFC 8428 section 4.5.3),
   * OMA LwM2M JSON any time without a base time.
   */
  timeRelative?: true;
}

/** One CoRE link (RFC 6690) with its attributes; attribute values unquoted, valueless attributes as true. */
export interface CoreLink {
  uri: string;
  /** Null prototype (names come off the wire): use Object.hasOwn / `in`, not attrs.hasOwnProperty. */
  attrs: Record<string, string | true>;
}

export interface PayloadResult {
  records: Lwm2mRecord[];
  /** Link-format bodies: every link. */
  links?: CoreLink[];
  /**
   * Plain CBOR (60) and other formats that are not resource records: a JSON-safe rendering.
   * Also text (string) and octet-stream (hex) bodies whose request path names no resource.
   */
  data?: unknown;
  /** Set when the body could not be decoded (fully or partly); records decoded before the fault are kept. */
  error: string | null;
}

/**
 * Decoder for one content format.
 * body: the (reassembled) payload. basePath: the request's Uri-Path when it is an LwM2M path
 * ("/3", "/3/0", "/3/0/1", "/3/0/1/2") or null; formats with relative names (TLV, plain text,
 * opaque, SenML without base name) resolve against it.
 * Must never throw: malformed input is reported in `error`.
 */
export type PayloadDecoder = (body: Buffer, basePath: string | null) => PayloadResult;
