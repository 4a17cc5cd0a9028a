/** Value of `name=` in a request's Uri-Query options; "" for a bare `name`; null when absent. */
export function queryParam(query: readonly string[], name: string): string | null {
  const prefix = name + '=';
  for (const q of query) {
    if (q === name) return '';
    if (q.startsWith(prefix)) return q.slice(prefix.length);
  }
  return null;
}

/** Bounded copy of a network string for state that lives as long as the endpoint. */
export function capped(s: string, max = 256): string {
  return s.length <= max ? s : s.slice(0, max);
}
