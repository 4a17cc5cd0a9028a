export { communityId } from './community-id.js';
export { EVE_GID, EVE_SEVERITY, EveLog, eveTime, MAX_PENDING_TRANSACTIONS, type EveOptions, type EveStats } from './log.js';
