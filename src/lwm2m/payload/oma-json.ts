import { PayloadBuilder } from './builder.js';
import { isJsonObject, parseJson } from './json.js';
import { addSenmlRecords, type SenmlFields, type SenmlFormat } from './senml.js';
import type { PayloadDecoder } from './types.js';

const OMA_JSON: SenmlFormat = {
  label: 'LwM2M JSON',
  // The format has no byte-string field: Opaque travels as base64 in sv (see typedValue).
  opaqueHex: () => null,
  absoluteBaseTime: true,
};

/**
 * application/vnd.oma.lwm2m+json (11543, legacy 1543), LwM2M 1.0/1.1 core 7.4.5: a
 * SenML draft with the records under "e", one bn/bt for all of them, and its own value
 * labels (sv string, bv boolean, ov object link). It is mapped onto SenML labels so the
 * SenML resolution (names, relative times) is shared; note bv here is a boolean, not a
 * SenML base value.
 */
export const decodeOmaJson: PayloadDecoder = (body, basePath) => {
  const out = new PayloadBuilder();
  const parsed = parseJson(body);
  if ('error' in parsed) {
    out.failWith('LwM2M JSON', parsed.error);
    return out.result();
  }
  const root = parsed.value;
  if (!isJsonObject(root) || !Array.isArray(root.e)) {
    out.fail('LwM2M JSON: not an object with an "e" array');
    return out.result();
  }
  // The root's bn and bt ride on the first record, from where SenML base fields apply to all.
  const first = root.e.findIndex(isJsonObject);
  const pack = root.e.map((entry, index): SenmlFields | null => {
    if (!isJsonObject(entry)) return null;
    const base = index === first;
    return { bn: base ? root.bn : undefined, bt: base ? root.bt : undefined, n: entry.n, v: entry.v, vs: entry.sv, vb: entry.bv, vlo: entry.ov, t: entry.t };
  });
  addSenmlRecords(pack, basePath, OMA_JSON, out);
  return out.result();
};
