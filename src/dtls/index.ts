export { DtlsStage, type DtlsStageOptions } from './stage.js';
export type { DtlsAlert, DtlsCertificate, DtlsChange, DtlsEvent, DtlsSession, DtlsSessionStatus, DtlsStats, PskKeys } from './types.js';
export { parsePskFile, parsePskSpec, pskKeys, type PskEntry } from './psk.js';
export { alertDescription, isCbcSuite, isWeakSuite, suiteName } from './suites.js';
export {
  parseAlert, parseClientHello, parseHandshakes, parseRecords, parseServerHello, type ClientHello, type DtlsRecord,
  type HandshakeFragment, type ServerHello,
} from './parser.js';
export { keyBlock, masterSecret, prf, pskPremasterSecret } from './prf.js';
export { decryptRecord, recordPseudoHeader, suiteCipher, type DirectionKeys, type SuiteCipher } from './cipher.js';
