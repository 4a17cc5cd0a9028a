import { describe, expect, it } from 'vitest';
import { SummaryCollector } from '../../../src/cli/format/summary.js';
import type { AnalyzedMessage } from '../../../src/pipeline/index.js';
import { OverflowCounters } from '../../../src/util/bounded-map.js';

/** A message of `endpoint`, with only what the summary reads. */
function from(endpoint: string): AnalyzedMessage {
  return {
    coap: { ts: 1, msg: { error: null, code: 69, contentFormat: null }, match: { retransmissionOf: null } },
    lwm2m: { operation: 'notify', endpoint, payloadError: null },
  } as unknown as AnalyzedMessage;
}

describe('SummaryCollector endpoint count', () => {
  it('counts distinct names exactly below its bound', () => {
    const counters = new OverflowCounters();
    const summary = new SummaryCollector(counters, 3);
    for (const name of ['a', 'b', 'a', 'c', 'b']) summary.add(from(name));
    expect(summary.render('cap', 5, [])).toContain('  endpoints           3\n');
    expect(counters.overflows()).toEqual([]);
  });

  it('past its bound, counts the names it could not keep, reports the table and shows the count as a lower bound', () => {
    const counters = new OverflowCounters();
    const summary = new SummaryCollector(counters, 3);
    // 'a' is kept, so seeing it again is not overflow; 'd' and 'e' are not kept.
    for (const name of ['a', 'b', 'c', 'd', 'a', 'e']) summary.add(from(name));
    const out = summary.render('cap', 6, [], counters.overflows());
    expect(out).toContain('  endpoints           at least 3\n');
    expect(counters.overflows()).toEqual([{ table: 'summary.endpoints', bound: 3, evicted: 2 }]);
    expect(out).toMatch(/summary\.endpoints\s+3\s+2/);
  });
});
