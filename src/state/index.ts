export { combineListeners } from './listeners.js';
export { ExpiryQueue } from './expiry-queue.js';
export { StateTracker, type StateLimits, type StateTrackerOptions } from './tracker.js';
export { resourceAt, samples, SERIES_CAPACITY, type EndpointResources } from './twin.js';
export type {
  BootstrapSession, BootstrapStep, EndpointChange, EndpointDtls, EndpointState, EndpointStatus, NotificationAttributes,
  ObservationState, ObservationStatus, ResourceState, StateListener,
} from './types.js';
