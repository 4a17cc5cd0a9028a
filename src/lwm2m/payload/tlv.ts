import { createRequire } from 'node:module';
import { PayloadBuilder } from './builder.js';
import { hex } from './encoding.js';
import { formatPath, parsePath, type PathIds } from './path.js';
import { lwm2mRecord, registryType } from './record.js';
import { tlvValue } from './tlv-value.js';
import type { PayloadDecoder } from './types.js';

/** One entry as the parser generated from dissectors/lwm2m_tlv.ksy returns it. */
interface TlvEntry {
  idType: IdType;
  identifier: number;
  /** Parsed entries of an object instance or multiple resource. */
  children?: { entries: TlvEntry[] };
  /** Value bytes of a resource (instance). */
  body?: Uint8Array;
}

interface TlvParser {
  KaitaiStream: new (view: DataView) => { pos: number; isEof(): boolean };
  /** Parses one top-level entry (level 0) from the stream. */
  Tlv: new (io: unknown, parent: null, root: null, level: number) => TlvEntry;
}

const enum IdType {
  ObjectInstance = 0,
  ResourceInstance = 1,
  MultipleResource = 2,
  ResourceWithValue = 3,
}

const ID_TYPE_NAMES = ['object instance', 'resource instance', 'multiple resource', 'resource'];

/** Path depth an entry of each type hangs below: an object instance below /o, a resource below /o/i, ... */
const PARENT_DEPTH: Record<IdType, number> = {
  [IdType.ObjectInstance]: 1,
  [IdType.MultipleResource]: 2,
  [IdType.ResourceWithValue]: 2,
  [IdType.ResourceInstance]: 3,
};

let parser: TlvParser | string | undefined;

/** The generated parser, loaded on first use so a missing build step fails TLV decoding, not startup. */
function tlvParser(): TlvParser | string {
  if (parser === undefined) {
    try {
      const require = createRequire(import.meta.url);
      parser = {
        KaitaiStream: require('kaitai-struct/KaitaiStream') as TlvParser['KaitaiStream'],
        // generated/ sits at the repo root; dist/ mirrors src/, so this resolves from both.
        Tlv: (require('../../../generated/Lwm2mTlv.cjs') as { Lwm2mTlv: { Tlv: TlvParser['Tlv'] } }).Lwm2mTlv.Tlv,
      };
    } catch {
      parser = 'TLV parser not built (run node scripts/compile-ksy.mjs)';
    }
  }
  return parser;
}

/**
 * LwM2M TLV (11542, legacy 1542), LwM2M 1.1 core 7.4.3. TLV carries ids but no types, so
 * the request path says where the entries hang (/3: object instances, /3/0: resources,
 * /3/0/7: a resource or its instances) and the registry types the values.
 * Top-level entries are parsed one at a time so those before a framing fault survive.
 */
export const decodeTlv: PayloadDecoder = (body, basePath) => {
  const out = new PayloadBuilder();
  const ids = basePath === null ? null : parsePath(basePath);
  if (ids === null || ids.length === 0) {
    out.fail('TLV without an LwM2M object path: its ids cannot be placed');
    return out.result();
  }
  const tlv = tlvParser();
  if (typeof tlv === 'string') {
    out.fail(tlv);
    return out.result();
  }
  const io = new tlv.KaitaiStream(new DataView(body.buffer, body.byteOffset, body.byteLength));
  while (!io.isEof()) {
    const offset = io.pos;
    let entry: TlvEntry;
    try {
      entry = new tlv.Tlv(io, null, null, 0);
    } catch (err) {
      out.failWith(`TLV entry at offset ${offset}`, err);
      break;
    }
    const depth = PARENT_DEPTH[entry.idType];
    if (ids.length < depth) {
      out.fail(`TLV ${ID_TYPE_NAMES[entry.idType]} ${entry.identifier} under ${formatPath(ids)}: no ${depth === 2 ? 'instance' : 'resource'} id`);
      continue;
    }
    // A shallower entry than the path is fine: a client may wrap /3/0 resources in their object instance.
    addEntry(entry, ids.slice(0, depth), out);
  }
  return out.result();
};

function addEntry(entry: TlvEntry, parent: PathIds, out: PayloadBuilder): void {
  const ids = [...parent, entry.identifier];
  if (entry.idType === IdType.ObjectInstance || entry.idType === IdType.MultipleResource) {
    // Containers get here from levels 0 and 1 only, where the spec parses their children:
    // one found deeper fails the nesting check below before it is walked.
    for (const child of entry.children?.entries ?? []) {
      if (PARENT_DEPTH[child.idType] !== ids.length) {
        out.fail(`TLV ${formatPath(ids)}: ${ID_TYPE_NAMES[child.idType]} not allowed in ${ID_TYPE_NAMES[entry.idType]}`);
        continue;
      }
      addEntry(child, ids, out);
    }
    return;
  }
  const bytes = entry.body ?? new Uint8Array(0);
  const type = registryType(ids);
  const decoded = tlvValue(type, bytes);
  if (decoded === null) {
    out.fail(`TLV ${formatPath(ids)}: ${bytes.length}-byte value is not a valid ${type}`);
    out.records.push(lwm2mRecord(ids, 'unknown', hex(bytes)));
    return;
  }
  out.records.push(lwm2mRecord(ids, decoded.type, decoded.value));
}
