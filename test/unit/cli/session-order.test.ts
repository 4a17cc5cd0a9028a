import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadRuleSet } from '../../../src/cli/rule-set.js';
import { AnalysisSession, DTLS_ORDER, MESSAGE_ORDER } from '../../../src/cli/session.js';

describe('AnalysisSession consumer order', () => {
  it('is the declared order: clock, output, eve, rules, state, store, tap for messages; output, eve, store, state, rules, tap for DTLS', () => {
    expect(MESSAGE_ORDER).toEqual(['clock', 'output', 'eve', 'rules', 'state', 'store', 'tap']);
    expect(DTLS_ORDER).toEqual(['output', 'eve', 'store', 'state', 'rules', 'tap']);
    const dir = mkdtempSync(join(tmpdir(), 'coapwatch-order-'));
    const db = join(dir, 'run.db');
    const session = new AnalysisSession({
      format: 'ndjson', coapPort: [], heuristic: true, source: 'test', db, rules: loadRuleSet(undefined),
      eve: { path: join(dir, 'eve.json'), sensor: 'test', iface: null },
      onMessage: () => undefined, onDtls: () => undefined,
    });
    expect(session.messageConsumers.map((c) => c.name)).toEqual([...MESSAGE_ORDER]);
    expect(session.dtlsConsumers.map((c) => c.name)).toEqual([...DTLS_ORDER]);
    session.finish(0);
  });

  it('leaves out what a run does not have', () => {
    const plain = new AnalysisSession({ format: 'summary', coapPort: [], heuristic: true, source: 'test', rules: [] });
    expect(plain.messageConsumers.map((c) => c.name)).toEqual(['output']);
    expect(plain.dtlsConsumers.map((c) => c.name)).toEqual([]);
    const stream = new AnalysisSession({ format: 'ndjson', coapPort: [], heuristic: true, source: 'test', rules: [] });
    expect(stream.messageConsumers.map((c) => c.name)).toEqual(['clock', 'output', 'state']);
    expect(stream.dtlsConsumers.map((c) => c.name)).toEqual(['output', 'state']);
  });
});
