import { PayloadBuilder } from './builder.js';
import { decodeCbor, MAX_VISITS_PER_BYTE } from './cbor.js';
import { hex } from './encoding.js';
import { addSenmlRecords, type SenmlFields, type SenmlFormat } from './senml.js';
import type { PayloadDecoder } from './types.js';

/** RFC 8428 section 6 integer labels of the fields SenML resolution reads; LwM2M 1.1 adds the text label "vlo". */
const LABELS = new Map<unknown, keyof SenmlFields>([
  [-2, 'bn'],
  [-3, 'bt'],
  [-5, 'bv'],
  [0, 'n'],
  [2, 'v'],
  [3, 'vs'],
  [4, 'vb'],
  [8, 'vd'],
  [6, 't'],
  ['vlo', 'vlo'],
]);

const SENML_CBOR: SenmlFormat = {
  label: 'SenML CBOR',
  absoluteBaseTime: false,
  opaqueHex: (vd) => (vd instanceof Uint8Array ? hex(vd) : null),
};

/** application/senml+cbor (112), RFC 8428 section 6: SenML JSON's records with integer labels. */
export const decodeSenmlCbor: PayloadDecoder = (body, basePath) => {
  const out = new PayloadBuilder();
  const decoded = decodeCbor(body);
  if ('error' in decoded) {
    out.failWith('SenML CBOR', decoded.error);
  } else if (!Array.isArray(decoded.value)) {
    out.fail('SenML CBOR: not an array of records');
  } else {
    const pack: (SenmlFields | null)[] = [];
    let visits = MAX_VISITS_PER_BYTE * body.length;
    for (const item of decoded.value as unknown[]) {
      visits -= 1 + (item instanceof Map ? item.size : 0);
      if (visits < 0) {
        out.fail('SenML CBOR: shared values expand far past the body size');
        break;
      }
      pack.push(senmlFields(item));
    }
    addSenmlRecords(pack, basePath, SENML_CBOR, out);
  }
  return out.result();
};

function senmlFields(item: unknown): SenmlFields | null {
  if (!(item instanceof Map)) return null;
  const fields: SenmlFields = {};
  for (const [label, value] of item) {
    const name = LABELS.get(label);
    if (name !== undefined) fields[name] = value;
  }
  return fields;
}
