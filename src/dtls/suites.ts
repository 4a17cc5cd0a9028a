/** IANA TLS cipher suite names (the ones DTLS/LwM2M deployments meet), by number. */
const SUITES: Record<number, string> = {
  0x0000: 'TLS_NULL_WITH_NULL_NULL',
  0x0001: 'TLS_RSA_WITH_NULL_MD5',
  0x0002: 'TLS_RSA_WITH_NULL_SHA',
  0x0003: 'TLS_RSA_EXPORT_WITH_RC4_40_MD5',
  0x0004: 'TLS_RSA_WITH_RC4_128_MD5',
  0x0005: 'TLS_RSA_WITH_RC4_128_SHA',
  0x0008: 'TLS_RSA_EXPORT_WITH_DES40_CBC_SHA',
  0x0009: 'TLS_RSA_WITH_DES_CBC_SHA',
  0x000a: 'TLS_RSA_WITH_3DES_EDE_CBC_SHA',
  0x0016: 'TLS_DHE_RSA_WITH_3DES_EDE_CBC_SHA',
  0x0018: 'TLS_DH_anon_WITH_RC4_128_MD5',
  0x001b: 'TLS_DH_anon_WITH_3DES_EDE_CBC_SHA',
  0x002c: 'TLS_PSK_WITH_NULL_SHA',
  0x002d: 'TLS_DHE_PSK_WITH_NULL_SHA',
  0x002e: 'TLS_RSA_PSK_WITH_NULL_SHA',
  0x002f: 'TLS_RSA_WITH_AES_128_CBC_SHA',
  0x0033: 'TLS_DHE_RSA_WITH_AES_128_CBC_SHA',
  0x0034: 'TLS_DH_anon_WITH_AES_128_CBC_SHA',
  0x0035: 'TLS_RSA_WITH_AES_256_CBC_SHA',
  0x0039: 'TLS_DHE_RSA_WITH_AES_256_CBC_SHA',
  0x003a: 'TLS_DH_anon_WITH_AES_256_CBC_SHA',
  0x003b: 'TLS_RSA_WITH_NULL_SHA256',
  0x003c: 'TLS_RSA_WITH_AES_128_CBC_SHA256',
  0x003d: 'TLS_RSA_WITH_AES_256_CBC_SHA256',
  0x0067: 'TLS_DHE_RSA_WITH_AES_128_CBC_SHA256',
  0x006b: 'TLS_DHE_RSA_WITH_AES_256_CBC_SHA256',
  0x008a: 'TLS_PSK_WITH_RC4_128_SHA',
  0x008b: 'TLS_PSK_WITH_3DES_EDE_CBC_SHA',
  0x008c: 'TLS_PSK_WITH_AES_128_CBC_SHA',
  0x008d: 'TLS_PSK_WITH_AES_256_CBC_SHA',
  0x008e: 'TLS_DHE_PSK_WITH_RC4_128_SHA',
  0x008f: 'TLS_DHE_PSK_WITH_3DES_EDE_CBC_SHA',
  0x0090: 'TLS_DHE_PSK_WITH_AES_128_CBC_SHA',
  0x0091: 'TLS_DHE_PSK_WITH_AES_256_CBC_SHA',
  0x0092: 'TLS_RSA_PSK_WITH_RC4_128_SHA',
  0x0093: 'TLS_RSA_PSK_WITH_3DES_EDE_CBC_SHA',
  0x0094: 'TLS_RSA_PSK_WITH_AES_128_CBC_SHA',
  0x0095: 'TLS_RSA_PSK_WITH_AES_256_CBC_SHA',
  0x009c: 'TLS_RSA_WITH_AES_128_GCM_SHA256',
  0x009d: 'TLS_RSA_WITH_AES_256_GCM_SHA384',
  0x009e: 'TLS_DHE_RSA_WITH_AES_128_GCM_SHA256',
  0x009f: 'TLS_DHE_RSA_WITH_AES_256_GCM_SHA384',
  0x00a8: 'TLS_PSK_WITH_AES_128_GCM_SHA256',
  0x00a9: 'TLS_PSK_WITH_AES_256_GCM_SHA384',
  0x00aa: 'TLS_DHE_PSK_WITH_AES_128_GCM_SHA256',
  0x00ab: 'TLS_DHE_PSK_WITH_AES_256_GCM_SHA384',
  0x00ac: 'TLS_RSA_PSK_WITH_AES_128_GCM_SHA256',
  0x00ad: 'TLS_RSA_PSK_WITH_AES_256_GCM_SHA384',
  0x00ae: 'TLS_PSK_WITH_AES_128_CBC_SHA256',
  0x00af: 'TLS_PSK_WITH_AES_256_CBC_SHA384',
  0x00b0: 'TLS_PSK_WITH_NULL_SHA256',
  0x00b1: 'TLS_PSK_WITH_NULL_SHA384',
  0x00b2: 'TLS_DHE_PSK_WITH_AES_128_CBC_SHA256',
  0x00b3: 'TLS_DHE_PSK_WITH_AES_256_CBC_SHA384',
  0x00b4: 'TLS_DHE_PSK_WITH_NULL_SHA256',
  0x00b5: 'TLS_DHE_PSK_WITH_NULL_SHA384',
  0x00b6: 'TLS_RSA_PSK_WITH_AES_128_CBC_SHA256',
  0x00b7: 'TLS_RSA_PSK_WITH_AES_256_CBC_SHA384',
  0x00b8: 'TLS_RSA_PSK_WITH_NULL_SHA256',
  0x00b9: 'TLS_RSA_PSK_WITH_NULL_SHA384',
  0x00ff: 'TLS_EMPTY_RENEGOTIATION_INFO_SCSV',
  0x1301: 'TLS_AES_128_GCM_SHA256',
  0x1302: 'TLS_AES_256_GCM_SHA384',
  0x1303: 'TLS_CHACHA20_POLY1305_SHA256',
  0x1304: 'TLS_AES_128_CCM_SHA256',
  0x1305: 'TLS_AES_128_CCM_8_SHA256',
  0x5600: 'TLS_FALLBACK_SCSV',
  0xc006: 'TLS_ECDHE_ECDSA_WITH_NULL_SHA',
  0xc007: 'TLS_ECDHE_ECDSA_WITH_RC4_128_SHA',
  0xc008: 'TLS_ECDHE_ECDSA_WITH_3DES_EDE_CBC_SHA',
  0xc009: 'TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA',
  0xc00a: 'TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA',
  0xc010: 'TLS_ECDHE_RSA_WITH_NULL_SHA',
  0xc011: 'TLS_ECDHE_RSA_WITH_RC4_128_SHA',
  0xc012: 'TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA',
  0xc013: 'TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA',
  0xc014: 'TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA',
  0xc015: 'TLS_ECDH_anon_WITH_NULL_SHA',
  0xc016: 'TLS_ECDH_anon_WITH_RC4_128_SHA',
  0xc017: 'TLS_ECDH_anon_WITH_3DES_EDE_CBC_SHA',
  0xc018: 'TLS_ECDH_anon_WITH_AES_128_CBC_SHA',
  0xc019: 'TLS_ECDH_anon_WITH_AES_256_CBC_SHA',
  0xc023: 'TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256',
  0xc024: 'TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384',
  0xc027: 'TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256',
  0xc028: 'TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384',
  0xc02b: 'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256',
  0xc02c: 'TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384',
  0xc02f: 'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256',
  0xc030: 'TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384',
  0xc033: 'TLS_ECDHE_PSK_WITH_RC4_128_SHA',
  0xc034: 'TLS_ECDHE_PSK_WITH_3DES_EDE_CBC_SHA',
  0xc035: 'TLS_ECDHE_PSK_WITH_AES_128_CBC_SHA',
  0xc036: 'TLS_ECDHE_PSK_WITH_AES_256_CBC_SHA',
  0xc037: 'TLS_ECDHE_PSK_WITH_AES_128_CBC_SHA256',
  0xc038: 'TLS_ECDHE_PSK_WITH_AES_256_CBC_SHA384',
  0xc039: 'TLS_ECDHE_PSK_WITH_NULL_SHA',
  0xc03a: 'TLS_ECDHE_PSK_WITH_NULL_SHA256',
  0xc03b: 'TLS_ECDHE_PSK_WITH_NULL_SHA384',
  0xc064: 'TLS_PSK_WITH_ARIA_128_CBC_SHA256',
  0xc065: 'TLS_PSK_WITH_ARIA_256_CBC_SHA384',
  0xc066: 'TLS_DHE_PSK_WITH_ARIA_128_CBC_SHA256',
  0xc067: 'TLS_DHE_PSK_WITH_ARIA_256_CBC_SHA384',
  0xc068: 'TLS_RSA_PSK_WITH_ARIA_128_CBC_SHA256',
  0xc069: 'TLS_RSA_PSK_WITH_ARIA_256_CBC_SHA384',
  0xc06a: 'TLS_PSK_WITH_ARIA_128_GCM_SHA256',
  0xc06b: 'TLS_PSK_WITH_ARIA_256_GCM_SHA384',
  0xc06c: 'TLS_DHE_PSK_WITH_ARIA_128_GCM_SHA256',
  0xc06d: 'TLS_DHE_PSK_WITH_ARIA_256_GCM_SHA384',
  0xc06e: 'TLS_RSA_PSK_WITH_ARIA_128_GCM_SHA256',
  0xc06f: 'TLS_RSA_PSK_WITH_ARIA_256_GCM_SHA384',
  0xc070: 'TLS_ECDHE_PSK_WITH_ARIA_128_CBC_SHA256',
  0xc071: 'TLS_ECDHE_PSK_WITH_ARIA_256_CBC_SHA384',
  0xc08e: 'TLS_PSK_WITH_CAMELLIA_128_GCM_SHA256',
  0xc08f: 'TLS_PSK_WITH_CAMELLIA_256_GCM_SHA384',
  0xc090: 'TLS_DHE_PSK_WITH_CAMELLIA_128_GCM_SHA256',
  0xc091: 'TLS_DHE_PSK_WITH_CAMELLIA_256_GCM_SHA384',
  0xc092: 'TLS_RSA_PSK_WITH_CAMELLIA_128_GCM_SHA256',
  0xc093: 'TLS_RSA_PSK_WITH_CAMELLIA_256_GCM_SHA384',
  0xc094: 'TLS_PSK_WITH_CAMELLIA_128_CBC_SHA256',
  0xc095: 'TLS_PSK_WITH_CAMELLIA_256_CBC_SHA384',
  0xc096: 'TLS_DHE_PSK_WITH_CAMELLIA_128_CBC_SHA256',
  0xc097: 'TLS_DHE_PSK_WITH_CAMELLIA_256_CBC_SHA384',
  0xc098: 'TLS_RSA_PSK_WITH_CAMELLIA_128_CBC_SHA256',
  0xc099: 'TLS_RSA_PSK_WITH_CAMELLIA_256_CBC_SHA384',
  0xc09a: 'TLS_ECDHE_PSK_WITH_CAMELLIA_128_CBC_SHA256',
  0xc09b: 'TLS_ECDHE_PSK_WITH_CAMELLIA_256_CBC_SHA384',
  0xc09c: 'TLS_RSA_WITH_AES_128_CCM',
  0xc09d: 'TLS_RSA_WITH_AES_256_CCM',
  0xc09e: 'TLS_DHE_RSA_WITH_AES_128_CCM',
  0xc09f: 'TLS_DHE_RSA_WITH_AES_256_CCM',
  0xc0a0: 'TLS_RSA_WITH_AES_128_CCM_8',
  0xc0a1: 'TLS_RSA_WITH_AES_256_CCM_8',
  0xc0a2: 'TLS_DHE_RSA_WITH_AES_128_CCM_8',
  0xc0a3: 'TLS_DHE_RSA_WITH_AES_256_CCM_8',
  0xc0a4: 'TLS_PSK_WITH_AES_128_CCM',
  0xc0a5: 'TLS_PSK_WITH_AES_256_CCM',
  0xc0a6: 'TLS_DHE_PSK_WITH_AES_128_CCM',
  0xc0a7: 'TLS_DHE_PSK_WITH_AES_256_CCM',
  0xc0a8: 'TLS_PSK_WITH_AES_128_CCM_8',
  0xc0a9: 'TLS_PSK_WITH_AES_256_CCM_8',
  0xc0aa: 'TLS_PSK_DHE_WITH_AES_128_CCM_8',
  0xc0ab: 'TLS_PSK_DHE_WITH_AES_256_CCM_8',
  0xc0ac: 'TLS_ECDHE_ECDSA_WITH_AES_128_CCM',
  0xc0ad: 'TLS_ECDHE_ECDSA_WITH_AES_256_CCM',
  0xc0ae: 'TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8',
  0xc0af: 'TLS_ECDHE_ECDSA_WITH_AES_256_CCM_8',
  0xc0ff: 'TLS_ECJPAKE_WITH_AES_128_CCM_8',
  0xcca8: 'TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256',
  0xcca9: 'TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256',
  0xccaa: 'TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256',
  0xccab: 'TLS_PSK_WITH_CHACHA20_POLY1305_SHA256',
  0xccac: 'TLS_ECDHE_PSK_WITH_CHACHA20_POLY1305_SHA256',
  0xccad: 'TLS_DHE_PSK_WITH_CHACHA20_POLY1305_SHA256',
  0xccae: 'TLS_RSA_PSK_WITH_CHACHA20_POLY1305_SHA256',
  0xd001: 'TLS_ECDHE_PSK_WITH_AES_128_GCM_SHA256',
  0xd002: 'TLS_ECDHE_PSK_WITH_AES_256_GCM_SHA384',
  0xd003: 'TLS_ECDHE_PSK_WITH_AES_128_CCM_8_SHA256',
  0xd005: 'TLS_ECDHE_PSK_WITH_AES_128_CCM_SHA256',
};

/** IANA name, or `0xabcd` for a number this table does not know. */
export function suiteName(id: number): string {
  return SUITES[id] ?? '0x' + id.toString(16).padStart(4, '0');
}

const WEAK = /^TLS_NULL_|_WITH_NULL_|_anon_|_EXPORT|_RC4_|_DES_|_DES40_|_3DES_/;

/** NULL encryption, anonymous key exchange, export grade, RC4, DES or 3DES. */
export function isWeakSuite(name: string): boolean {
  return WEAK.test(name);
}

export function isCbcSuite(name: string): boolean {
  return name.includes('_CBC_');
}

/** A suite whose key exchange carries a PSK identity (hint) as its first field (RFC 4279, 5489). */
export function isPskSuite(name: string): boolean {
  return /^TLS_(PSK|DHE_PSK|RSA_PSK|ECDHE_PSK|PSK_DHE)_/.test(name);
}

/** Forward-secret PSK suites: the PSK alone does not give the keys. */
export function isEphemeralSuite(name: string): boolean {
  return /^TLS_(DHE|ECDHE|PSK_DHE)_/.test(name);
}

const ALERTS: Record<number, string> = {
  0: 'close_notify', 10: 'unexpected_message', 20: 'bad_record_mac', 21: 'decryption_failed', 22: 'record_overflow',
  30: 'decompression_failure', 40: 'handshake_failure', 41: 'no_certificate', 42: 'bad_certificate',
  43: 'unsupported_certificate', 44: 'certificate_revoked', 45: 'certificate_expired', 46: 'certificate_unknown',
  47: 'illegal_parameter', 48: 'unknown_ca', 49: 'access_denied', 50: 'decode_error', 51: 'decrypt_error',
  60: 'export_restriction', 70: 'protocol_version', 71: 'insufficient_security', 80: 'internal_error',
  86: 'inappropriate_fallback', 90: 'user_canceled', 100: 'no_renegotiation', 109: 'missing_extension',
  110: 'unsupported_extension', 111: 'certificate_unobtainable', 112: 'unrecognized_name',
  113: 'bad_certificate_status_response', 114: 'bad_certificate_hash_value', 115: 'unknown_psk_identity',
  116: 'certificate_required', 120: 'no_application_protocol',
};

export function alertDescription(code: number): string {
  return ALERTS[code] ?? `unknown(${code})`;
}

export function alertLevel(code: number): string {
  return code === 1 ? 'warning' : code === 2 ? 'fatal' : `unknown(${code})`;
}

const EXTENSIONS: Record<number, string> = {
  0: 'server_name', 1: 'max_fragment_length', 5: 'status_request', 10: 'supported_groups', 11: 'ec_point_formats',
  13: 'signature_algorithms', 14: 'use_srtp', 16: 'application_layer_protocol_negotiation', 19: 'client_certificate_type',
  20: 'server_certificate_type', 21: 'padding', 22: 'encrypt_then_mac', 23: 'extended_master_secret', 35: 'session_ticket',
  41: 'pre_shared_key', 42: 'early_data', 43: 'supported_versions', 44: 'cookie', 45: 'psk_key_exchange_modes',
  51: 'key_share', 53: 'connection_id (draft)', 54: 'connection_id', 65281: 'renegotiation_info',
};

export function extensionName(type: number): string {
  return EXTENSIONS[type] ?? `unknown(${type})`;
}

export function versionName(v: number): string {
  switch (v) {
    case 0xfeff: return 'DTLS 1.0';
    case 0xfefd: return 'DTLS 1.2';
    case 0xfefc: return 'DTLS 1.3';
    default: return '0x' + v.toString(16).padStart(4, '0');
  }
}
