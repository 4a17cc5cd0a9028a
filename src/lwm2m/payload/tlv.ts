import { resourceInfo } from '../registry/index.js';
import { PayloadBuilder } from './builder.js';
import { formatPath, parsePath, type PathIds } from './path.js';
import { resourceRecord } from './record.js';
import { tlvValue } from './tlv-value.js';
import { isTlvContainer, readTlvEntry, TlvHeader, TlvIdType } from './tlv-walk.js';
import type { PayloadDecoder, PayloadResult } from './types.js';

const ID_TYPE_NAMES = ['object instance', 'resource instance', 'multiple resource', 'resource'];

/** Path depth an entry of each type hangs below: an object instance below /o, a resource below /o/i, ... */
const PARENT_DEPTH: Record<TlvIdType, number> = {
  [TlvIdType.ObjectInstance]: 1,
  [TlvIdType.MultipleResource]: 2,
  [TlvIdType.ResourceWithValue]: 2,
  [TlvIdType.ResourceInstance]: 3,
};

/** One decode's state, handed down the entries instead of closures. */
interface Walk {
  body: Buffer;
  out: PayloadBuilder;
  /** The entry being added; children are read into it in turn. */
  header: TlvHeader;
  objectId: number;
}

/**
 * LwM2M TLV (11542, legacy 1542), LwM2M 1.1 core 7.4.3, walked by tlv-walk.ts. TLV carries
 * ids but no types, so the request path says where the entries hang (/3: object instances,
 * /3/0: resources, /3/0/7: a resource or its instances) and the registry types the values.
 * Each top-level entry is checked whole before it is added, so those before a framing fault
 * survive and none after it is half added. Without a request path (the request was not seen)
 * only the framing is checked.
 */
export const decodeTlv: PayloadDecoder = (body, basePath) => {
  if (basePath === null) return unplaced(body);
  const out = new PayloadBuilder();
  const ids = parsePath(basePath);
  if (ids === null || ids.length === 0) {
    out.fail('TLV without an LwM2M object path: its ids cannot be placed');
    return out.result();
  }
  const walk: Walk = { body, out, header: new TlvHeader(), objectId: ids[0] };
  const parents = parentPaths(ids);
  let pos = 0;
  while (pos < body.length) {
    const fault = readTlvEntry(body, pos, body.length, 0, walk.header);
    if (fault !== null) {
      out.fail(`TLV entry at offset ${pos}: ${fault}`);
      break;
    }
    pos = walk.header.valueEnd;
    const { idType, id } = walk.header;
    const depth = PARENT_DEPTH[idType];
    if (ids.length < depth) {
      out.fail(`TLV ${ID_TYPE_NAMES[idType]} ${id} under ${formatPath(ids)}: no ${depth === 2 ? 'instance' : 'resource'} id`);
      continue;
    }
    // A shallower entry than the path is fine: a client may wrap /3/0 resources in their object instance.
    addEntry(walk, parents[depth], depth, depth === 3 ? ids[2] : -1);
  }
  return out.result();
};

/**
 * A TLV body whose request was not seen (a notification of an observation begun before the
 * capture): its ids cannot be placed, which is no fault of the body's. Its framing is still
 * checked; it yields no records.
 */
function unplaced(body: Buffer): PayloadResult {
  const header = new TlvHeader();
  for (let pos = 0; pos < body.length; pos = header.valueEnd) {
    const fault = readTlvEntry(body, pos, body.length, 0, header);
    if (fault !== null) return { records: [], error: `TLV entry at offset ${pos}: ${fault}` };
  }
  return { records: [], error: null };
}

/** The base path cut to 0-3 ids ('', '/3', '/3/0', '/3/0/7'): what top-level entries of each type hang below. */
function parentPaths(ids: PathIds): string[] {
  const paths = [''];
  for (let depth = 0; depth < 3 && depth < ids.length; depth++) paths.push(`${paths[depth]}/${ids[depth]}`);
  return paths;
}

/**
 * Adds the entry in walk.header, whose framing readTlvEntry has checked, below `parent`
 * (`depth` ids deep; `resourceId` its third id, -1 when it has none).
 */
function addEntry(walk: Walk, parent: string, depth: number, resourceId: number): void {
  const { body, out, header } = walk;
  const { idType, id, valueStart, valueEnd } = header;
  const path = `${parent}/${id}`;
  if (isTlvContainer(idType)) {
    // Containers get here from levels 0 and 1 only, where the spec parses their children:
    // one found deeper fails the nesting check below before it is walked.
    const childDepth = depth + 1;
    for (let pos = valueStart; pos < valueEnd; ) {
      header.read(body, pos, valueEnd); // cannot fault: readTlvEntry checked the framing
      pos = header.valueEnd;
      if (PARENT_DEPTH[header.idType] !== childDepth) {
        out.fail(`TLV ${path}: ${ID_TYPE_NAMES[header.idType]} not allowed in ${ID_TYPE_NAMES[idType]}`);
        continue;
      }
      addEntry(walk, path, childDepth, childDepth === 3 ? id : resourceId);
    }
    return;
  }
  const info = resourceInfo(walk.objectId, depth === 2 ? id : resourceId);
  const decoded = tlvValue(info?.type, body, valueStart, valueEnd);
  if (decoded === null) {
    out.fail(`TLV ${path}: ${valueEnd - valueStart}-byte value is not a valid ${info?.type}`);
    out.records.push(resourceRecord(path, info, 'unknown', body.toString('hex', valueStart, valueEnd)));
    return;
  }
  out.records.push(resourceRecord(path, info, decoded.type, decoded.value));
}
