import type { ResourceType } from '../payload/types.js';

export interface ResourceInfo {
  name: string;
  type: ResourceType;
  /** The resource has resource instances (/o/i/r/ri). */
  multiple: boolean;
}

export interface ObjectInfo {
  name: string;
  resources: Map<number, ResourceInfo>;
}
