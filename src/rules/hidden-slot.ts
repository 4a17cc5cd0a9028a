/**
 * Hangs a rule-side cache on a state object under a symbol (key memos, attributes in force):
 * kept with the object the rules already hold, so that finding it again needs no table. Not
 * enumerable, so spreading, listing or JSON of the object (the store, the dashboard, CEL) never
 * sees it. False when the object takes no new properties (frozen or sealed): the caller then
 * goes without the cache.
 */
export function hangHidden(target: object, slot: symbol, value: unknown): boolean {
  if (!Object.isExtensible(target)) return false;
  Object.defineProperty(target, slot, { value, writable: true, enumerable: false, configurable: true });
  return true;
}
