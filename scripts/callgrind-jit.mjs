#!/usr/bin/env node
/*
 * Self cost per function of a callgrind profile of node, JIT code included.
 *
 * callgrind names builtins and C++ but not the code V8 generates at run time: that is all
 * "???". With `node --perf-basic-prof` V8 writes /tmp/perf-<pid>.map (start, size, name of every
 * code object); callgrind's `--dump-instr=yes` keeps the cost of every instruction address. This
 * joins the two, so cache misses can be put on the JavaScript function that causes them. A
 * development tool (see README, Development), not part of coapwatch.
 *
 *   valgrind --tool=callgrind --cache-sim=yes --D1=32768,8,64 --LL=2097152,16,64 --dump-instr=yes \
 *     --callgrind-out-file=/tmp/cg.out node --single-threaded --perf-basic-prof <script>
 *   node scripts/callgrind-jit.mjs /tmp/cg.out /tmp/perf-<pid>.map [--per N] [--top K] [--sort D1mr]
 *
 * Costs are divided by --per (say, the messages in the capture). Code that V8 moved or freed
 * during the run may be named after what took its place: read the top of the list, not the tail.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

const USAGE = 'usage: callgrind-jit.mjs <callgrind.out> <perf-PID.map> [--per N] [--top K] [--sort EVENT]';

function fail(message) {
  console.error(`callgrind-jit: ${message}`);
  process.exit(2);
}

function read(path) {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    return fail(`cannot read ${path}: ${err.code ?? err.message}`);
  }
}

let args;
try {
  args = parseArgs({
    allowPositionals: true,
    options: { per: { type: 'string', default: '1' }, top: { type: 'string', default: '40' }, sort: { type: 'string', default: 'D1mr' } },
  });
} catch (err) {
  fail(`${err.message}\n${USAGE}`);
}
const { values, positionals } = args;
if (positionals.length !== 2) fail(USAGE);
const per = Number(values.per);
const top = Number(values.top);
if (!(per > 0) || !Number.isInteger(top) || top < 1) fail('--per takes a number above 0, --top a whole number above 0');
const [profile, perfMap] = positionals;

const ranges = [];
for (const line of read(perfMap).split('\n')) {
  const m = /^([0-9a-f]+) ([0-9a-f]+) (.*)$/.exec(line);
  if (m) ranges.push({ start: parseInt(m[1], 16), end: parseInt(m[1], 16) + parseInt(m[2], 16), name: m[3] });
}
ranges.sort((a, b) => a.start - b.start);

/** The code object holding an address: the last one starting at or below it, if it reaches that far. */
function codeAt(address) {
  let lo = 0;
  let hi = ranges.length - 1;
  let best = null;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (ranges[mid].start <= address) {
      best = ranges[mid];
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return best !== null && address < best.end ? best.name : null;
}

/** A position field: absolute ("0x1f"), relative ("+3", "-0x10") or unchanged ("*"). */
function position(field, previous) {
  if (field === '*') return previous;
  const sign = field[0] === '+' ? 1 : field[0] === '-' ? -1 : 0;
  const text = sign === 0 ? field : field.slice(1);
  const n = text.startsWith('0x') ? parseInt(text, 16) : parseInt(text, 10);
  return sign === 0 ? n : previous + sign * n;
}

let events = [];
let positions = ['line'];
let address = 0;
let callCost = false;
const byFunction = new Map();
for (const line of read(profile).split('\n')) {
  if (line.startsWith('events:')) events = line.slice(7).trim().split(/\s+/);
  else if (line.startsWith('positions:')) positions = line.slice(10).trim().split(/\s+/);
  else if (line.startsWith('calls=')) callCost = true; // the next cost line is the call's inclusive cost
  else if (/^[0-9+*-]/.test(line)) {
    const fields = line.split(' ');
    address = position(fields[0], address);
    if (callCost) {
      callCost = false;
      continue;
    }
    const name = codeAt(address);
    if (name === null) continue;
    let costs = byFunction.get(name);
    if (!costs) byFunction.set(name, (costs = new Array(events.length).fill(0)));
    for (let i = positions.length; i < fields.length; i++) costs[i - positions.length] += Number(fields[i]) || 0;
  }
}

if (events.length === 0) fail(`${profile} is no callgrind profile (no events: line)`);
const sortBy = events.indexOf(values.sort);
if (sortBy < 0) fail(`no event ${values.sort} in the profile (it has ${events.join(', ')})`);
console.log(events.map((e) => e.padStart(10)).join('') + '  function');
for (const [name, costs] of [...byFunction].sort((a, b) => b[1][sortBy] - a[1][sortBy]).slice(0, top)) {
  console.log(costs.map((c) => (c / per).toFixed(c / per < 100 ? 1 : 0).padStart(10)).join('') + '  ' + name);
}
