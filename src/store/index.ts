export { StoreError, storeCall } from './errors.js';
export { openForReading, openForWriting } from './open.js';
export { RunWriter } from './run-writer.js';
export { SCHEMA_VERSION } from './schema.js';
export { eventFromRow, listEndpoints, listEvents, type EndpointRow, type EventRow, type ListedEvent, type ListFilters, type StoredOutcome } from './queries.js';
export { openForPruning, openPruneTarget, parseAge, pruneOlderThan, pruneSummary, vacuum, type PruneResult, type PruneTarget } from './prune.js';
export {
  ADDRESS_WINDOW_FRAMES, captureFiles, indexedMessageOf, MESSAGE_SELECT, eventById, eventFrame, latestRun, listMessages, messagesAround, messagesBetween, messagesOfFrame,
  requireMessageIndex, runExists, runInfo, type CaptureFileRow, type FramePlace, type IndexedMessage, type MessageFilters,
} from './message-queries.js';
export { MAX_INTERNED_STRINGS } from './index-strings.js';
export { displayLocation, isPostgresUrl, redactUrl } from './pg/url.js';
export { openRowReader } from './open.js';
export type { RowReader } from './queries.js';
