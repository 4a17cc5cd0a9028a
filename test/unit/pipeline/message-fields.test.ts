import Database from 'better-sqlite3';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { messageLine } from '../../../src/cli/format/ndjson.js';
import { pskKeys } from '../../../src/dtls/index.js';
import { MESSAGE_FIELDS, type FieldType } from '../../../src/pipeline/message-fields.js';
import { MESSAGE_FACTS } from '../../../src/rules/facts.js';
import { migrate } from '../../../src/store/schema.js';
import { analyzeFile } from '../../support/analyze.js';

/* Every place that spells the message record's fields agrees with the one catalogue. */
const root = join(import.meta.dirname, '../../..');
const CAPTURES = [
  'captures/reference/wakaama-register-dm.pcap',
  'captures/reference/wakaama-blockwise.pcap',
  'captures/reference/libcoap-tcp-ipv6.pcap',
  'captures/reference/libcoap-dtls-psk.pcap',
  'captures/generated/attack-malformed-coap.pcap',
  'captures/generated/fleet-hour.pcap',
];
const CONTAINERS = new Set(['coap', 'lwm2m']);
const catalogued = MESSAGE_FIELDS.flatMap((f) => (f.ndjson === null ? [] : [f.ndjson]));
const byPath = new Map(MESSAGE_FIELDS.flatMap((f) => (f.ndjson === null ? [] : [[f.ndjson, f] as const])));

/** The record's field paths in written order: top-level keys, and the keys of `coap` and `lwm2m`. */
function paths(record: Record<string, unknown>): [string, unknown][] {
  const out: [string, unknown][] = [];
  for (const [k, v] of Object.entries(record)) {
    out.push([k, v]);
    if (CONTAINERS.has(k) && v !== null) for (const [k2, v2] of Object.entries(v as object)) out.push([`${k}.${k2}`, v2]);
  }
  return out;
}

function typeOf(v: unknown): FieldType {
  if (Array.isArray(v)) return 'list';
  if (typeof v === 'object') return 'object';
  return typeof v as FieldType;
}

let records: Record<string, unknown>[] = [];
beforeAll(async () => {
  const keys = pskKeys([{ identity: 'wk-dtls-ep', key: Buffer.from('736573616d65', 'hex') }]);
  for (const capture of CAPTURES) {
    const messages = await analyzeFile(join(root, capture), { ports: [56830], psk: keys });
    for (const m of messages) records.push(JSON.parse(messageLine(m)) as Record<string, unknown>);
  }
});

describe('the message field catalogue', () => {
  it('is what the NDJSON writer writes, in its order, with the declared types', () => {
    expect(records.length).toBeGreaterThan(500);
    let withoutLwm2m = 0;
    for (const record of records) {
      const written = paths(record);
      const expected = record.lwm2m === null ? catalogued.filter((p) => !p.startsWith('lwm2m.')) : catalogued;
      if (record.lwm2m === null) withoutLwm2m++;
      expect(written.map(([p]) => p)).toEqual(expected);
      for (const [p, v] of written) {
        const f = byPath.get(p)!;
        if (v === null) expect(f.nullable, `${p} is null`).toBe(true);
        else expect(typeOf(v), p).toBe(f.type);
      }
    }
    // The captures cover a malformed message (no LwM2M reading) as well as the rest.
    expect(withoutLwm2m).toBeGreaterThan(0);
  });

  it('names every field of the rule variable m, and no other', () => {
    const ruleNames = MESSAGE_FIELDS.flatMap((f) => (f.rule === null ? [] : [f.rule]));
    expect([...ruleNames].sort()).toEqual([...MESSAGE_FACTS].sort());
  });

  it('names every column of the messages table, and no other', () => {
    const db = new Database(':memory:');
    migrate(db);
    const columns = (db.prepare('PRAGMA table_info(messages)').all() as { name: string }[]).map((c) => c.name).filter((c) => c !== 'run_id');
    expect([...columns].sort()).toEqual(MESSAGE_FIELDS.flatMap((f) => (f.column === null ? [] : [f.column])).sort());
  });

  it('is the output contract: docs/output.md documents every NDJSON field, rules/README.md every field of m', () => {
    const output = readFileSync(join(root, 'docs/output.md'), 'utf8');
    const table = output.slice(output.indexOf('## NDJSON stream'), output.indexOf('When an endpoint enters'));
    for (const path of catalogued) {
      if (path === 'kind' || path === 'coap') continue;
      const short = path.slice(path.indexOf('.') + 1);
      expect(table.includes(`\`${path}\``) || table.includes(`\`${short}\``), `${path} in docs/output.md`).toBe(true);
    }
    const rules = readFileSync(join(root, 'rules/README.md'), 'utf8');
    const facts = rules.slice(rules.indexOf('Fields of `m`:'), rules.indexOf('Functions:'));
    const documented = new Set(facts.replace(/\([^)]*\)/g, ' ').match(/[A-Za-z]+/g));
    for (const f of MESSAGE_FIELDS) if (f.rule !== null) expect(documented.has(f.rule), `m.${f.rule} in rules/README.md`).toBe(true);
  });
});
