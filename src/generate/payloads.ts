import { Encoder } from 'cbor-x';
import { tlv, TLV_OBJECT_INSTANCE, TLV_RESOURCE, tlvFloat64, tlvInt32 } from './tlv.js';

/** CoAP Content-Format numbers (IANA registry) the generated fleet uses. */
export const LINK_FORMAT = 40;
export const SENML_JSON = 110;
export const SENML_CBOR = 112;
export const LWM2M_TLV = 11542;
export type PayloadFormat = typeof SENML_JSON | typeof SENML_CBOR | typeof LWM2M_TLV;

/** One resource value; `float` marks numbers that must go out as floats even when they are whole. */
export interface ResourceValue {
  object: number;
  instance: number;
  resource: number;
  value: number | string | boolean;
  float?: boolean;
}

/**
 * SenML CBOR labels are integers (RFC 8428 §6), hence Maps. With records off and mapsAsObjects
 * off, cbor-x writes a Map as a plain CBOR map instead of wrapping it in tag 259.
 */
const senmlCbor = new Encoder({ useRecords: false, mapsAsObjects: false });
const SENML_NAME = 0;
const SENML_VALUE = 2;
const SENML_STRING_VALUE = 3;
const SENML_BOOLEAN_VALUE = 4;

const pathOf = (r: ResourceValue) => `/${r.object}/${r.instance}/${r.resource}`;

/**
 * Encodes resource values in `format`. TLV has no paths, so its layout follows the level of the
 * request it answers: `depth` 1 (an object: instance TLVs), 2 (an instance: resource TLVs) or 3.
 */
export function encodeResources(format: PayloadFormat, values: ResourceValue[], depth: 1 | 2 | 3): Buffer {
  switch (format) {
    case SENML_JSON:
      return Buffer.from(JSON.stringify(values.map(senmlJsonRecord)), 'latin1');
    case SENML_CBOR:
      return senmlCbor.encode(values.map(senmlCborRecord));
    case LWM2M_TLV:
      return depth === 1 ? objectTlv(values) : Buffer.concat(values.map(resourceTlv));
  }
}

function senmlJsonRecord(r: ResourceValue): Record<string, string | number | boolean> {
  const n = pathOf(r);
  if (typeof r.value === 'string') return { n, vs: r.value };
  if (typeof r.value === 'boolean') return { n, vb: r.value };
  return { n, v: r.value };
}

function senmlCborRecord(r: ResourceValue): Map<number, string | number | boolean> {
  const label = typeof r.value === 'string' ? SENML_STRING_VALUE : typeof r.value === 'boolean' ? SENML_BOOLEAN_VALUE : SENML_VALUE;
  return new Map<number, string | number | boolean>([[SENML_NAME, pathOf(r)], [label, r.value]]);
}

function resourceTlv(r: ResourceValue): Buffer {
  let value: Buffer;
  if (typeof r.value === 'string') value = Buffer.from(r.value, 'latin1');
  else if (typeof r.value === 'boolean') value = Buffer.from([r.value ? 1 : 0]);
  else value = r.float ? tlvFloat64(r.value) : tlvInt32(r.value);
  return tlv(TLV_RESOURCE, r.resource, value);
}

function objectTlv(values: ResourceValue[]): Buffer {
  const byInstance = new Map<number, Buffer[]>();
  for (const r of values) {
    let list = byInstance.get(r.instance);
    if (list === undefined) byInstance.set(r.instance, (list = []));
    list.push(resourceTlv(r));
  }
  return Buffer.concat([...byInstance].map(([instance, resources]) => tlv(TLV_OBJECT_INSTANCE, instance, Buffer.concat(resources))));
}

/** The Register body: the 1.1 root link with its preferred format, then every instance hosted (not /0, which a client must not list). */
export function registerLinks(version: '1.0' | '1.1', powerObject: number, households: number): Buffer {
  const links = version === '1.1' ? ['</>;rt="oma.lwm2m";ct=110', '</1/0>', '</3/0>'] : ['</1/0>', '</3/0>'];
  for (let i = 0; i < households; i++) links.push(`</${powerObject}/${i}>`);
  return Buffer.from(links.join(','), 'latin1');
}

const MANUFACTURER = 'Acme Metering';
const MODEL = 'AM-3305';
const FIRMWARE = '2.4.1';

/** Device object instance /3/0 as read by the server. */
export function deviceResources(serial: string, nowSeconds: number, binding: string): ResourceValue[] {
  const device = (resource: number, value: string | number): ResourceValue => ({ object: 3, instance: 0, resource, value });
  return [device(0, MANUFACTURER), device(1, MODEL), device(2, serial), device(3, FIRMWARE), device(13, nowSeconds), device(16, binding)];
}
