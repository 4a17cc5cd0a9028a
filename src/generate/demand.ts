/** Household demand is given at 10-minute reference points, as in the seed test bed's data. */
export const SLOT_SECONDS = 600;

/** Demand of every household, in watts, at any simulated second (seconds since the epoch). */
export interface DemandProfile {
  watts(household: number, second: number): number;
}

/** Straight line between the two 10-minute points around `second`: one value per second. */
function interpolate(slotWatts: (slot: number) => number, second: number): number {
  const slot = Math.floor(second / SLOT_SECONDS);
  const fraction = (second - slot * SLOT_SECONDS) / SLOT_SECONDS;
  const a = slotWatts(slot);
  return a + (slotWatts(slot + 1) - a) * fraction;
}

/** A stateless 32-bit hash, so that any point of any household can be computed without keeping history. */
function hash(a: number, b: number, c: number): number {
  let h = Math.imul(a ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(b + 0x7f4a7c15, 0xc2b2ae35) ^ Math.imul(c + 0x165667b1, 0x27d4eb2f);
  h ^= h >>> 15;
  h = Math.imul(h, 0x2c1b3c6d);
  h ^= h >>> 12;
  h = Math.imul(h, 0x297a2d39);
  h ^= h >>> 15;
  return (h >>> 0) / 4294967296;
}

/** Hours between two times of day, the short way round midnight. */
function hoursApart(a: number, b: number): number {
  const d = Math.abs(a - b) % 24;
  return Math.min(d, 24 - d);
}

const bump = (hour: number, centre: number, width: number) => Math.exp(-((hoursApart(hour, centre) / width) ** 2));

/**
 * A typical residential day relative to the evening peak: night base load (fridge, standby), a
 * morning peak around 07:15, a low daytime plateau and the evening peak around 19:15.
 */
function dailyShape(hour: number): number {
  return 0.16 + 0.5 * bump(hour, 7.25, 1.0) + 0.18 * bump(hour, 13, 3) + 0.85 * bump(hour, 19.25, 1.6);
}

/**
 * The built-in seeded profile set: each household has its own size (peak 1.2-3.5 kW), its own
 * habits (peaks shifted up to ±45 min) and ±15 % noise at every 10-minute point. Time of day is UTC.
 */
export class BuiltInDemand implements DemandProfile {
  constructor(private readonly seed: number) {}

  watts(household: number, second: number): number {
    return interpolate((slot) => this.slotWatts(household, slot), second);
  }

  private slotWatts(household: number, slot: number): number {
    const peakWatts = 1200 + 2300 * hash(this.seed, household, -1);
    const shiftHours = 1.5 * hash(this.seed, household, -2) - 0.75;
    const noise = 1 + 0.3 * (hash(this.seed, household, slot) - 0.5);
    const hour = ((slot * SLOT_SECONDS) % 86_400) / 3600;
    return peakWatts * dailyShape(hour - shiftHours) * noise;
  }
}

/**
 * Real 10-minute data from a CSV file. Layout: an optional header row; then one row per 10-minute
 * point, the first row at the simulation start; column 1 is a label (a timestamp, say) and is not
 * read; columns 2.. are one household each, in watts. Household h uses column 2 + (h mod columns),
 * and the rows repeat when the simulation outlasts them. `#` starts a comment line.
 */
export class CsvDemand implements DemandProfile {
  private readonly columns: Float64Array[];
  private readonly rows: number;

  constructor(text: string, private readonly startSecond: number, source = 'profiles') {
    const lines = text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'));
    const table = lines.map((l) => l.split(',').slice(1).map((c) => c.trim()));
    if (table.length > 0 && table[0].some((c) => !isNumeric(c))) table.shift();
    if (table.length < 2) throw new Error(`${source}: needs at least two rows of 10-minute values`);
    const width = table[0].length;
    if (width < 1) throw new Error(`${source}: needs a label column and at least one household column`);
    this.rows = table.length;
    this.columns = Array.from({ length: width }, () => new Float64Array(table.length));
    table.forEach((row, r) => {
      if (row.length !== width) throw new Error(`${source}: row ${r + 1} has ${row.length} household values, the first has ${width}`);
      row.forEach((cell, c) => {
        const watts = Number(cell);
        if (!isNumeric(cell) || watts < 0) throw new Error(`${source}: row ${r + 1}: "${cell}" is not a demand in watts`);
        this.columns[c][r] = watts;
      });
    });
  }

  get households(): number {
    return this.columns.length;
  }

  watts(household: number, second: number): number {
    const column = this.columns[household % this.columns.length];
    return interpolate((slot) => column[((slot % this.rows) + this.rows) % this.rows], second - this.startSecond);
  }
}

function isNumeric(cell: string): boolean {
  return cell !== '' && Number.isFinite(Number(cell));
}
