import { createRequire } from 'node:module';
import { PayloadBuilder } from '../../../src/lwm2m/payload/builder.js';
import { formatPath, parsePath, type PathIds } from '../../../src/lwm2m/payload/path.js';
import { lwm2mRecord, registryType } from '../../../src/lwm2m/payload/record.js';
import { tlvValue } from '../../../src/lwm2m/payload/tlv-value.js';
import type { PayloadResult } from '../../../src/lwm2m/payload/types.js';

/*
 * The reference for the hand-written TLV walker: the parser compiled from
 * dissectors/lwm2m_tlv.ksy (run `node scripts/compile-ksy.mjs` first), and the decode
 * coapwatch ran on its parse tree before the walker replaced it.
 */
const require = createRequire(import.meta.url);
const KaitaiStream = require('kaitai-struct/KaitaiStream');
const { Lwm2mTlv } = require('../../../generated/Lwm2mTlv.cjs');

/** One entry as the generated parser returns it. */
interface KaitaiEntry {
  idType: number;
  identifier: number;
  children?: { entries: KaitaiEntry[] };
  body?: Uint8Array;
}

/** An entry as both sides report it: a value's bytes in hex, or a container's entries. */
export interface TlvNode {
  idType: number;
  id: number;
  value?: string;
  children?: TlvNode[];
}

/** Top-level entries up to the first that does not parse, and where and why that one failed. */
export interface TlvTree {
  entries: TlvNode[];
  fault: { offset: number; message: string } | null;
}

/** Top-level entries parsed one at a time, as coapwatch did, so those before a framing fault survive. */
function kaitaiEntries(body: Buffer): { entries: KaitaiEntry[]; fault: TlvTree['fault'] } {
  const io = new KaitaiStream(new DataView(body.buffer, body.byteOffset, body.byteLength));
  const entries: KaitaiEntry[] = [];
  while (!io.isEof()) {
    const offset: number = io.pos;
    try {
      entries.push(new Lwm2mTlv.Tlv(io, null, null, 0));
    } catch (err) {
      return { entries, fault: { offset, message: (err as Error).message } };
    }
  }
  return { entries, fault: null };
}

export function kaitaiTree(body: Buffer): TlvTree {
  const { entries, fault } = kaitaiEntries(body);
  return { entries: entries.map(node), fault };
}

function node(e: KaitaiEntry): TlvNode {
  return e.children
    ? { idType: e.idType, id: e.identifier, children: e.children.entries.map(node) }
    : { idType: e.idType, id: e.identifier, value: Buffer.from(e.body ?? []).toString('hex') };
}

const ID_TYPE_NAMES = ['object instance', 'resource instance', 'multiple resource', 'resource'];
/** Path depth an entry of each id type hangs below. */
const PARENT_DEPTH = [1, 3, 2, 2];

/** decodeTlv as it ran on the Kaitai parse tree. */
export function decodeTlvViaKaitai(body: Buffer, basePath: string | null): PayloadResult {
  if (basePath === null) {
    const { fault } = kaitaiEntries(body);
    return fault === null ? { records: [], error: null } : { records: [], error: `TLV entry at offset ${fault.offset}: ${fault.message}` };
  }
  const out = new PayloadBuilder();
  const ids = parsePath(basePath);
  if (ids === null || ids.length === 0) {
    out.fail('TLV without an LwM2M object path: its ids cannot be placed');
    return out.result();
  }
  const { entries, fault } = kaitaiEntries(body);
  for (const entry of entries) {
    const depth = PARENT_DEPTH[entry.idType];
    if (ids.length < depth) {
      out.fail(`TLV ${ID_TYPE_NAMES[entry.idType]} ${entry.identifier} under ${formatPath(ids)}: no ${depth === 2 ? 'instance' : 'resource'} id`);
      continue;
    }
    addEntry(entry, ids.slice(0, depth), out);
  }
  if (fault !== null) out.fail(`TLV entry at offset ${fault.offset}: ${fault.message}`);
  return out.result();
}

function addEntry(entry: KaitaiEntry, parent: PathIds, out: PayloadBuilder): void {
  const ids = [...parent, entry.identifier];
  if (entry.idType === 0 || entry.idType === 2) {
    for (const child of entry.children?.entries ?? []) {
      if (PARENT_DEPTH[child.idType] !== ids.length) {
        out.fail(`TLV ${formatPath(ids)}: ${ID_TYPE_NAMES[child.idType]} not allowed in ${ID_TYPE_NAMES[entry.idType]}`);
        continue;
      }
      addEntry(child, ids, out);
    }
    return;
  }
  const bytes = Buffer.from(entry.body ?? []);
  const type = registryType(ids);
  const decoded = tlvValue(type, bytes, 0, bytes.length);
  if (decoded === null) {
    out.fail(`TLV ${formatPath(ids)}: ${bytes.length}-byte value is not a valid ${type}`);
    out.records.push(lwm2mRecord(ids, 'unknown', bytes.toString('hex')));
    return;
  }
  out.records.push(lwm2mRecord(ids, decoded.type, decoded.value));
}
