import { measureIdleFleet } from './idle-fleet.js';

/*
 * Heap per idle endpoint (see measureIdleFleet): `node dist/bench/idle-endpoints.js [N]
 * [--no-rules] [--no-observe]` prints one line of JSON. Run by `npm run bench` in its own
 * process (it needs a clean heap).
 */
const args = process.argv.slice(2);
const n = Number(args.find((a) => /^\d+$/.test(a)) ?? 100_000);
const result = measureIdleFleet(n, { rules: !args.includes('--no-rules'), observed: !args.includes('--no-observe') });
process.stdout.write(JSON.stringify(result) + '\n');
