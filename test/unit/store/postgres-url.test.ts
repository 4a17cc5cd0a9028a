import { describe, expect, it } from 'vitest';
import { displayLocation, isPostgresUrl, redactUrl } from '../../../src/store/pg/url.js';
import { toPostgres } from '../../../src/store/pg/reader.js';

describe('a postgres:// --db as it may be shown', () => {
  it('drops user, password and every parameter but host, port and sslmode', () => {
    expect(redactUrl('postgres://alice:s3cret@db.example:5433/coap?sslmode=verify-full&password=other&application_name=x'))
      .toBe('postgres://db.example:5433/coap?sslmode=verify-full');
    expect(redactUrl('postgresql://bob@localhost/coap?host=%2Fvar%2Frun%2Fpostgresql')).toBe('postgresql://localhost/coap?host=%2Fvar%2Frun%2Fpostgresql');
    expect(redactUrl('postgres://:pw@/x y%')).not.toContain('pw');
  });

  it('tells a URL from a SQLite path, which is shown as given', () => {
    expect(isPostgresUrl('postgres://h/db')).toBe(true);
    expect(isPostgresUrl('POSTGRESQL://h/db')).toBe(true);
    expect(isPostgresUrl('./postgres.db')).toBe(false);
    expect(displayLocation('./coapwatch.db')).toBe('./coapwatch.db');
    expect(displayLocation('postgres://u:p@h/db')).toBe('postgres://h/db');
  });
});

describe("the readers' SQLite SQL in PostgreSQL's form", () => {
  it('numbers placeholders and rewrites the SQLite-only forms', () => {
    expect(toPostgres('SELECT * FROM runs WHERE id = ? AND sensor = ?')).toBe('SELECT * FROM runs WHERE id = $1 AND sensor = $2');
    expect(toPostgres('SELECT IFNULL(e.expires_at, -1), json_array_length(e.objects) FROM endpoints e'))
      .toBe('SELECT COALESCE(e.expires_at, -1), json_array_length((e.objects)::json) FROM endpoints e');
    expect(toPostgres('SELECT c.n FROM temp.event_counts c CROSS JOIN endpoints e ON e.endpoint = c.endpoint'))
      .toBe('SELECT c.n FROM pg_temp.event_counts c JOIN endpoints e ON e.endpoint = c.endpoint');
    expect(toPostgres("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'resource_samples'"))
      .toBe("SELECT 1 FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = 'resource_samples'");
  });
});
