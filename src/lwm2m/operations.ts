/** Every LwM2M operation a message can carry (LwM2M 1.0-1.2 core, section 6 interfaces). */
export type Operation =
  | 'bootstrap-request' | 'bootstrap-finish' | 'bootstrap-read' | 'bootstrap-write'
  | 'bootstrap-discover' | 'bootstrap-delete' | 'bootstrap-pack-request'
  | 'register' | 'update' | 'deregister'
  | 'read' | 'read-composite' | 'discover' | 'write' | 'write-partial' | 'write-composite'
  | 'write-attributes' | 'execute' | 'create' | 'delete'
  | 'observe' | 'observe-composite' | 'cancel-observation' | 'cancel-observation-composite'
  | 'notify' | 'send' | 'ping' | 'unknown';

/** Write-Attributes query parameters (LwM2M 1.1 core 5.1.2, 1.2 adds edge/con/hqmax). */
export const NOTIFICATION_ATTRIBUTES = new Set([
  'pmin', 'pmax', 'gt', 'lt', 'st', 'epmin', 'epmax', 'edge', 'con', 'hqmax', 'dim', 'ssid', 'uri',
]);

const LWM2M_PATH = /^\/\d{1,5}(?:\/\d{1,5}){0,3}$/;

/** True for "/3", "/3/0", "/3/0/1", "/3/0/1/2" (the LwM2M object model's addresses). */
export function isObjectPath(path: string | null): path is string {
  return path !== null && LWM2M_PATH.test(path);
}

export function pathDepth(path: string): number {
  let depth = 0;
  for (let i = 0; i < path.length; i++) if (path.charCodeAt(i) === 47) depth++;
  return depth;
}
