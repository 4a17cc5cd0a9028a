export { StoreError, storeCall } from './errors.js';
export { openForReading, openForWriting } from './open.js';
export { RunWriter } from './run-writer.js';
export { SCHEMA_VERSION } from './schema.js';
export { eventFromRow, listEndpoints, listEvents, type EndpointRow, type EventRow, type ListedEvent, type ListFilters, type StoredOutcome } from './queries.js';
export { openForPruning, parseAge, pruneOlderThan, pruneSummary, vacuum, type PruneResult } from './prune.js';
