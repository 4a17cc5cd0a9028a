/**
 * CoAP Content-Formats from the IANA "CoAP Content-Formats" registry (RFC 7252 section
 * 12.3 and later additions), plus the numbers LwM2M 1.0 clients used before 11542/11543
 * were registered.
 */
const NAMES = new Map<number, string>([
  [0, 'text/plain;charset=utf-8'],
  [16, 'application/cose;cose-type="cose-encrypt0"'],
  [17, 'application/cose;cose-type="cose-mac0"'],
  [18, 'application/cose;cose-type="cose-sign1"'],
  [19, 'application/ace+cbor'],
  [21, 'image/gif'],
  [22, 'image/jpeg'],
  [23, 'image/png'],
  [40, 'application/link-format'],
  [41, 'application/xml'],
  [42, 'application/octet-stream'],
  [47, 'application/exi'],
  [50, 'application/json'],
  [51, 'application/json-patch+json'],
  [52, 'application/merge-patch+json'],
  [60, 'application/cbor'],
  [61, 'application/cwt'],
  [62, 'application/multipart-core'],
  [63, 'application/cbor-seq'],
  [96, 'application/cose;cose-type="cose-encrypt"'],
  [97, 'application/cose;cose-type="cose-mac"'],
  [98, 'application/cose;cose-type="cose-sign"'],
  [101, 'application/cose-key'],
  [102, 'application/cose-key-set'],
  [110, 'application/senml+json'],
  [111, 'application/sensml+json'],
  [112, 'application/senml+cbor'],
  [113, 'application/sensml+cbor'],
  [114, 'application/senml-exi'],
  [115, 'application/sensml-exi'],
  [256, 'application/coap-group+json'],
  [271, 'application/dots+cbor'],
  [272, 'application/missing-blocks+cbor-seq'],
  [280, 'application/pkcs7-mime;smime-type=server-generated-key'],
  [281, 'application/pkcs7-mime;smime-type=certs-only'],
  [284, 'application/pkcs8'],
  [285, 'application/csrattrs'],
  [286, 'application/pkcs10'],
  [287, 'application/pkix-cert'],
  [310, 'application/senml+xml'],
  [311, 'application/sensml+xml'],
  [320, 'application/senml-etch+json'],
  [322, 'application/senml-etch+cbor'],
  [1542, 'application/vnd.oma.lwm2m+tlv (pre-registration)'],
  [1543, 'application/vnd.oma.lwm2m+json (pre-registration)'],
  [10000, 'application/vnd.ocf+cbor'],
  [10001, 'application/oscore'],
  [11542, 'application/vnd.oma.lwm2m+tlv'],
  [11543, 'application/vnd.oma.lwm2m+json'],
  [11544, 'application/vnd.oma.lwm2m+cbor'],
]);

/** The media type of a Content-Format number; "unknown" for numbers not listed. */
export function contentFormatName(cf: number): string {
  return NAMES.get(cf) ?? 'unknown';
}
