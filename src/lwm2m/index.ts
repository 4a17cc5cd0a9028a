export { Lwm2mStage, type Lwm2mInfo } from './stage.js';
export { classifyRequest, type RequestContext } from './classify.js';
export type { Operation } from './operations.js';
export type { Lwm2mRecord, CoreLink, ResourceType } from './payload/types.js';
export { isSecretResource, valueLength } from './registry/index.js';
