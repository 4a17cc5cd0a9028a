import type { ReactElement } from 'react';
import { DocView, seg, type Line } from '../lines.js';
import { SEVERITIES } from '../../rules/index.js';
import type { Overview } from '../source.js';
import { sparkline } from '../sparkline.js';
import { cell, clean, count, dateTime, duration, rate, severityColor, stateColor } from '../text.js';

const STATES = ['registered', 'registering', 'expired', 'deregistered', 'rejected'];

/** The overview as lines: counters, rates, the messages/s sparkline, states, severities, top talkers. */
export function overviewLines(o: Overview, width: number): Line[] {
  const lines: Line[] = [];
  const label = (t: string) => seg(t.padEnd(13), { bold: true });
  lines.push([label('Source'), seg(clean(o.source)), seg(o.live ? '  ● live' : '', { color: 'green' })]);
  const span = o.captureStart !== null && o.captureEnd !== null ? `  (${duration(o.captureEnd - o.captureStart)})` : '';
  lines.push([label('Capture'), seg(`${dateTime(o.captureStart)} → ${dateTime(o.captureEnd)} UTC${span}`)]);
  lines.push([
    label('Packets'), seg(count(o.packets)), seg(`  ${rate(o.packetRate)}/s`, { dim: true }),
    seg('    Messages ', { bold: true }), seg(count(o.messages)), seg(`  ${rate(o.messageRate)}/s`, { dim: true }),
  ]);
  if (o.messageSeries.length > 0) {
    const peak = Math.max(...o.messageSeries);
    const w = Math.max(10, width - 13 - 26);
    const span = o.live ? `last ${o.messageSeries.length} s` : 'whole run';
    lines.push([label('Messages/s'), seg(sparkline(o.messageSeries, w), { color: 'cyan' }), seg(`  peak ${rate(peak)}, ${span}`, { dim: true })]);
  } else {
    lines.push([label('Messages/s'), seg(o.live ? 'no messages yet' : 'no per-second counts (analyze --store-messages keeps them)', { dim: true })]);
  }
  const drops = o.drops.length ? o.drops.map(([k, v]) => `${k} ${count(v)}`).join('  ') : 'none reported';
  lines.push([label('Drops'), seg(drops, { color: o.drops.some(([, v]) => v > 0) ? 'red' : undefined })]);
  if (o.overflow) {
    // Nothing dropped silently: a full table is named here as it is in the summary and the runs row.
    const full = o.overflow.length ? o.overflow.map((t) => `${t.table} ${count(t.evicted)} evicted (bound ${count(t.bound)})`).join('  ') : 'none full';
    lines.push([label('Tables'), seg(clean(full), { color: o.overflow.length ? 'red' : undefined })]);
  }
  for (const [k, v] of o.notes) lines.push([label(k[0].toUpperCase() + k.slice(1)), seg(clean(v), { dim: true })]);
  lines.push([]);

  const endpointTotal = Object.values(o.endpointsByState).reduce((a, b) => a + b, 0);
  const states = [...STATES, ...Object.keys(o.endpointsByState).filter((s) => !STATES.includes(s))];
  // The total is followed by a space even when it is wider than its column (a million and more).
  const stateLine: Line = [label('Endpoints'), seg(`${count(endpointTotal)} `.padEnd(8), { bold: true })];
  for (const s of states) {
    const n = o.endpointsByState[s] ?? 0;
    stateLine.push(seg(`${s} `, { color: stateColor(s), dim: n === 0 }), seg(`${count(n)}  `, { dim: n === 0 }));
  }
  lines.push(stateLine);
  const eventLine: Line = [label('Events'), seg(`${count(o.events)} `.padEnd(8), { bold: true })];
  for (const s of [...SEVERITIES].reverse()) {
    const n = o.eventsBySeverity[s] ?? 0;
    eventLine.push(seg(`${s} `, { color: severityColor(s), dim: n === 0 }), seg(`${count(n)}  `, { dim: n === 0 }));
  }
  lines.push(eventLine);
  lines.push([]);

  if (o.sensors) {
    // A shared store: every sensor at once, to pick one with ui --sensor.
    lines.push([seg(`Sensors (${count(o.sensors.total)}, each its newest run)`, { bold: true })]);
    lines.push([seg('  ' + cell('sensor', 20) + cell('run', 8, true) + '  ' + cell('source', 30) + cell('messages', 10, true) + cell('events', 8, true) + '  last capture', { dim: true })]);
    for (const r of o.sensors.rows) {
      lines.push([
        seg('  ' + cell(clean(r.sensor), 20), { color: 'cyan' }), seg(cell(String(r.run), 8, true) + '  '), seg(cell(clean(r.source), 30)),
        seg(cell(count(r.messages), 10, true)), seg(cell(count(r.events), 8, true), { color: r.events > 0 ? 'red' : undefined }),
        seg(`  ${dateTime(r.captureEnd)}`), seg(r.live ? '  ● live' : '', { color: 'green' }),
      ]);
    }
    if (o.sensors.total > o.sensors.rows.length) lines.push([seg(`  and ${count(o.sensors.total - o.sensors.rows.length)} more (endpoints --sensor NAME, ui --sensor NAME)`, { dim: true })]);
    lines.push([]);
  }

  lines.push([seg('Top talkers', { bold: true })]);
  if (o.topTalkers === null) {
    lines.push([seg('  not known: the run was stored without its messages (analyze --store-messages)', { dim: true })]);
  } else if (o.topTalkers.length === 0) {
    lines.push([seg('  no messages yet', { dim: true })]);
  } else {
    const top = o.topTalkers[0].messages;
    for (const t of o.topTalkers) {
      const bar = '█'.repeat(Math.max(1, Math.round((t.messages / top) * 20)));
      lines.push([
        seg('  ' + cell(clean(t.address), 24)), seg(cell(t.endpoint === null ? '' : clean(t.endpoint), 20), { color: 'cyan' }),
        seg(cell(count(t.messages), 9, true) + '  '), seg(bar, { color: 'blue' }),
      ]);
    }
  }
  return lines;
}

export function OverviewView({ overview, width, height, scroll = 0 }: { overview: Overview; width: number; height: number; scroll?: number }): ReactElement {
  return <DocView lines={overviewLines(overview, width)} width={width} height={height} scroll={scroll} />;
}
