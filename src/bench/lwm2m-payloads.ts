import { Encoder } from 'cbor-x';

/** CoAP Content-Format numbers (IANA registry) the synthetic fleet uses. */
export const LINK_FORMAT = 40;
export const SENML_JSON = 110;
export const SENML_CBOR = 112;
export const LWM2M_TLV = 11542;

export type ReadFormat = typeof SENML_JSON | typeof LWM2M_TLV;
export type NotifyFormat = ReadFormat | typeof SENML_CBOR;

/** OMA TLV type bits 7-6 (LwM2M 1.1 core, 7.4.3). */
const TLV_RESOURCE_INSTANCE = 1;
const TLV_MULTIPLE_RESOURCE = 2;
const TLV_RESOURCE = 3;

/** Power Measurement object (3305), Instantaneous active power resource (5800). */
const POWER_OBJECT = 3305;
const ACTIVE_POWER = 5800;

/**
 * SenML CBOR labels are integers (RFC 8428 §6), hence Maps. With records off and mapsAsObjects
 * off, cbor-x writes a Map as a plain CBOR map instead of wrapping it in tag 259.
 */
const senmlCbor = new Encoder({ useRecords: false, mapsAsObjects: false });
const SENML_BASE_NAME = -2;
const SENML_NAME = 0;
const SENML_VALUE = 2;

export interface DeviceInfo {
  serial: string;
  /** Device Current Time (resource 13), seconds since the epoch. */
  nowSeconds: number;
}

const MANUFACTURER = 'Acme Metering';
const MODEL = 'AM-3305';
const FIRMWARE = '2.4.1';

/** The Register body: one link per object instance the meter hosts. */
export function registerLinks(powerInstances: number): Buffer {
  const links = ['</1/0>', '</3/0>'];
  for (let i = 0; i < powerInstances; i++) links.push(`</${POWER_OBJECT}/${i}>`);
  return Buffer.from(links.join(','), 'latin1');
}

/** The answer to a Read of /3/0 (Device object instance). */
export function devicePayload(format: ReadFormat, device: DeviceInfo): Buffer {
  if (format === SENML_JSON) {
    return Buffer.from(JSON.stringify([
      { bn: '/3/0/', n: '0', vs: MANUFACTURER },
      { n: '1', vs: MODEL },
      { n: '2', vs: device.serial },
      { n: '3', vs: FIRMWARE },
      { n: '11/0', v: 0 },
      { n: '13', v: device.nowSeconds },
      { n: '16', vs: 'U' },
    ]), 'latin1');
  }
  return Buffer.concat([
    tlv(TLV_RESOURCE, 0, Buffer.from(MANUFACTURER, 'latin1')),
    tlv(TLV_RESOURCE, 1, Buffer.from(MODEL, 'latin1')),
    tlv(TLV_RESOURCE, 2, Buffer.from(device.serial, 'latin1')),
    tlv(TLV_RESOURCE, 3, Buffer.from(FIRMWARE, 'latin1')),
    tlv(TLV_MULTIPLE_RESOURCE, 11, tlv(TLV_RESOURCE_INSTANCE, 0, tlvInt32(0))),
    tlv(TLV_RESOURCE, 13, tlvInt32(device.nowSeconds)),
    tlv(TLV_RESOURCE, 16, Buffer.from('U', 'latin1')),
  ]);
}

/** A notification's body for an Observe of /3305/0/5800. */
export function activePowerPayload(format: NotifyFormat, watts: number): Buffer {
  switch (format) {
    case SENML_JSON:
      return Buffer.from(`[{"bn":"/${POWER_OBJECT}/0/","n":"${ACTIVE_POWER}","v":${watts}}]`, 'latin1');
    case SENML_CBOR:
      return senmlCbor.encode([new Map<number, string | number>([
        [SENML_BASE_NAME, `/${POWER_OBJECT}/0/`],
        [SENML_NAME, String(ACTIVE_POWER)],
        [SENML_VALUE, watts],
      ])]);
    case LWM2M_TLV: {
      const value = Buffer.allocUnsafe(8);
      value.writeDoubleBE(watts);
      return tlv(TLV_RESOURCE, ACTIVE_POWER, value);
    }
  }
}

/** One OMA TLV: type byte, 8- or 16-bit identifier, then the length inline or in 1-3 bytes. */
function tlv(kind: number, id: number, value: Buffer): Buffer {
  const idBytes = id > 0xff ? 2 : 1;
  const length = value.length;
  const lengthBytes = length < 8 ? 0 : length <= 0xff ? 1 : length <= 0xffff ? 2 : 3;
  const out = Buffer.allocUnsafe(1 + idBytes + lengthBytes + length);
  out[0] = (kind << 6) | (idBytes === 2 ? 0x20 : 0) | (lengthBytes << 3) | (lengthBytes === 0 ? length : 0);
  out.writeUIntBE(id, 1, idBytes);
  if (lengthBytes > 0) out.writeUIntBE(length, 1 + idBytes, lengthBytes);
  value.copy(out, 1 + idBytes + lengthBytes);
  return out;
}

/** TLV integers are signed big-endian of 1, 2, 4 or 8 bytes; 4 covers what the fleet sends. */
function tlvInt32(value: number): Buffer {
  const out = Buffer.allocUnsafe(4);
  out.writeInt32BE(value);
  return out;
}
