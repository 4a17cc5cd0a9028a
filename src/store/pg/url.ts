/** `--db` names a PostgreSQL database when it is a postgres:// or postgresql:// URL; anything else is a SQLite file. */
export function isPostgresUrl(location: string): boolean {
  return /^postgres(ql)?:\/\//i.test(location);
}

/**
 * The URL as it may be shown, logged and stored: scheme, host, port and database only. User,
 * password and every query parameter but those that only say where the server is (a password
 * may be given as ?password=…) are dropped; a URL that does not parse shows as its scheme.
 */
export function redactUrl(url: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return `${url.split(':')[0].replace(/[^A-Za-z]/g, '')}://(unparsable URL)`;
  }
  const kept = new URLSearchParams();
  for (const name of ['host', 'port', 'sslmode']) {
    const v = u.searchParams.get(name);
    if (v !== null) kept.set(name, v);
  }
  const query = kept.size > 0 ? `?${kept}` : '';
  return `${u.protocol}//${u.host}${u.pathname}${query}`;
}

/** A --db value as it may be shown: a SQLite path as given, a URL without its credentials. */
export function displayLocation(location: string): string {
  return isPostgresUrl(location) ? redactUrl(location) : location;
}
