import { PayloadBuilder } from './builder.js';
import { base64ToHex } from './encoding.js';
import { isJsonObject, parseJson } from './json.js';
import { addSenmlRecords, type SenmlFormat } from './senml.js';
import type { PayloadDecoder } from './types.js';

const SENML_JSON: SenmlFormat = {
  label: 'SenML JSON',
  absoluteBaseTime: false,
  // RFC 8428 section 5: vd is base64url without padding; standard base64 seen in the wild is accepted too.
  opaqueHex: (vd) => (typeof vd === 'string' ? base64ToHex(vd) : null),
};

/** application/senml+json (110), RFC 8428: an array of records keyed by label name. */
export const decodeSenmlJson: PayloadDecoder = (body, basePath) => {
  const out = new PayloadBuilder();
  const parsed = parseJson(body);
  if ('error' in parsed) {
    out.failWith('SenML JSON', parsed.error);
  } else if (!Array.isArray(parsed.value)) {
    out.fail('SenML JSON: not an array of records');
  } else {
    addSenmlRecords(parsed.value.map((r) => (isJsonObject(r) ? r : null)), basePath, SENML_JSON, out);
  }
  return out.result();
};
