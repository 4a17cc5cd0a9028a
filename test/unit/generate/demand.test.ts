import { describe, expect, it } from 'vitest';
import { BuiltInDemand, CsvDemand, SLOT_SECONDS } from '../../../src/generate/demand.js';

const DAY = Date.UTC(2024, 2, 1) / 1000;
const at = (hours: number) => DAY + Math.round(hours * 3600);

describe('built-in household demand', () => {
  const demand = new BuiltInDemand(42);
  const mean = (hours: number) => {
    let sum = 0;
    for (let h = 0; h < 200; h++) sum += demand.watts(h, at(hours));
    return sum / 200;
  };

  it('has a night base load below the morning peak, and the evening peak highest', () => {
    const night = mean(3);
    const morning = mean(7.25);
    const evening = mean(19.25);
    expect(night).toBeGreaterThan(150);
    expect(morning).toBeGreaterThan(2 * night);
    expect(evening).toBeGreaterThan(morning);
    expect(evening).toBeLessThan(4000);
  });

  it('gives each household its own scale and is the same for the same seed', () => {
    const values = Array.from({ length: 10 }, (_, h) => demand.watts(h, at(19)));
    expect(new Set(values.map((v) => Math.round(v))).size).toBe(10);
    expect(new BuiltInDemand(42).watts(3, at(12))).toBe(demand.watts(3, at(12)));
    expect(new BuiltInDemand(43).watts(3, at(12))).not.toBe(demand.watts(3, at(12)));
  });

  it('moves in a straight line, second by second, between 10-minute points', () => {
    const start = Math.floor(at(8) / SLOT_SECONDS) * SLOT_SECONDS;
    const a = demand.watts(5, start);
    const b = demand.watts(5, start + SLOT_SECONDS);
    expect(demand.watts(5, start + 150)).toBeCloseTo(a + (b - a) / 4, 6);
  });
});

describe('CSV household demand', () => {
  const csv = '# two households\ntime,a,b\n00:00,100,1000\n00:10,200,1000\n00:20,300,3000\n';

  it('reads one column per household from the start, interpolating and wrapping', () => {
    const demand = new CsvDemand(csv, DAY);
    expect(demand.households).toBe(2);
    expect(demand.watts(0, DAY)).toBe(100);
    expect(demand.watts(0, DAY + 300)).toBe(150);
    expect(demand.watts(1, DAY + 900)).toBe(2000);
    expect(demand.watts(2, DAY)).toBe(100); // household 2 reuses column a
    expect(demand.watts(0, DAY + 3 * SLOT_SECONDS)).toBe(100); // rows repeat
  });

  it('says what is wrong with a bad file', () => {
    expect(() => new CsvDemand('time,a\n00:00,100\n', DAY, 'p.csv')).toThrow(/p.csv: needs at least two rows/);
    expect(() => new CsvDemand('00:00,100\n00:10,-5\n', DAY, 'p.csv')).toThrow(/row 2: "-5" is not a demand in watts/);
    expect(() => new CsvDemand('00:00,100,1\n00:10,5\n', DAY, 'p.csv')).toThrow(/row 2 has 1 household values/);
  });
});
