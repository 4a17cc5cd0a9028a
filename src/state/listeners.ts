import type { StateListener } from './types.js';

type Method = keyof StateListener;
const METHODS: Method[] = ['endpointChanged', 'endpointTouched', 'endpointSeen', 'observationChanged', 'resourceChanged', 'bootstrapChanged'];

/**
 * One listener that tells each of `listeners` in turn (e.g. the database and the NDJSON
 * stream). Some methods run for every message: where only one listener has a method, it is
 * called directly.
 */
export function combineListeners(...listeners: StateListener[]): StateListener {
  const combined: Record<string, (arg: never) => void> = {};
  for (const name of METHODS) {
    const fns = listeners.flatMap((l) => {
      const fn = l[name] as ((arg: never) => void) | undefined;
      return fn ? [fn.bind(l)] : [];
    });
    if (fns.length === 1) combined[name] = fns[0];
    else if (fns.length > 1) combined[name] = (arg) => fns.forEach((fn) => fn(arg));
  }
  return combined as StateListener;
}
