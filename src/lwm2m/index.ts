export { Lwm2mStage, type Lwm2mInfo, type Lwm2mStageOptions } from './stage.js';
export { endpointIdentified, type EndpointIdentified } from './identified.js';
export { classifyRequest, type RequestContext } from './classify.js';
export type { Operation } from './operations.js';
export type { Lwm2mRecord, CoreLink, ResourceType } from './payload/types.js';
export { isSecretResource, valueLength } from './registry/index.js';
