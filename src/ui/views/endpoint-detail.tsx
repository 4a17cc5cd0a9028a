import type { ReactElement } from 'react';
import { objectName } from '../../lwm2m/registry/index.js';
import { DocView, seg, type Line } from '../lines.js';
import type { EndpointDetail, EventSummary, ObservationSummary, ResourceValue } from '../source.js';
import { sparkline } from '../sparkline.js';
import { cell, clean, clock, count, dateTime, duration, lifetimeLeft, severityColor, stateColor, valueText } from '../text.js';

/** Registration entries shown; older ones are summarised in one line. */
const HISTORY_SHOWN = 30;

export interface EndpointDetailData {
  endpoint: EndpointDetail;
  resources: ResourceValue[];
  observations: ObservationSummary[];
  events: EventSummary[];
  eventTotal: number;
  now: number;
}

const heading = (t: string, extra = ''): Line => [seg(t, { bold: true, color: 'cyan' }), seg(extra, { dim: true })];

/** The endpoint detail as a scrollable document. */
export function endpointDetailLines(d: EndpointDetailData, width: number): Line[] {
  const e = d.endpoint;
  const lines: Line[] = [];
  lines.push([
    seg(clean(e.name), { bold: true }), seg('  '), seg(e.state, { color: stateColor(e.state), bold: true }),
    seg(`  ${clean(e.address)}`), seg(e.location ? `  location ${clean(e.location)}` : '', { dim: true }),
  ]);
  const left = lifetimeLeft(e.state, e.expiresAt, d.now);
  lines.push([seg(` lifetime ${duration(e.lifetime)}${left !== '-' ? ` (${left} left)` : ''}  binding ${clean(e.binding)}  LwM2M ${clean(e.lwm2mVersion)}  queue mode ${e.queueMode ? 'yes' : 'no'}${e.sms ? `  sms ${clean(e.sms)}` : ''}`)]);
  lines.push([seg(` registered ${dateTime(e.registeredAt)}  updated ${clock(e.updatedAt)}  expires ${clock(e.expiresAt)}  last seen ${clock(e.lastSeen)}`)]);
  if (e.previousAddresses.length) lines.push([seg(' earlier addresses ', { color: 'yellow' }), seg(e.previousAddresses.map(clean).join(', '))]);
  lines.push([seg(` objects ${e.objects.map(clean).join(' ')}`, { dim: true })]);
  lines.push([]);

  // Object / instance / resource tree, numeric resources with their sparkline.
  lines.push(heading('Objects', `  ${d.resources.length} resource value${d.resources.length === 1 ? '' : 's'}`));
  const byInstance = new Map<string, ResourceValue[]>();
  for (const inst of e.objects) {
    const parts = inst.split('/');
    if (parts.length >= 3) byInstance.set(`/${parts[1]}/${parts[2]}`, []);
  }
  for (const r of d.resources) {
    const parts = r.path.split('/');
    const key = `/${parts[1]}/${parts[2] ?? ''}`;
    let list = byInstance.get(key);
    if (!list) byInstance.set(key, (list = []));
    list.push(r);
  }
  const instances = [...byInstance.keys()].sort((a, b) => {
    const [, a1, a2] = a.split('/').map(Number);
    const [, b1, b2] = b.split('/').map(Number);
    return a1 - b1 || a2 - b2;
  });
  let lastObject = '';
  const nameWidth = Math.min(30, Math.max(14, Math.floor(width * 0.28)));
  const valueWidth = 14;
  // Room for the min..max range after the sparkline.
  const sparkWidth = Math.max(8, width - 6 - 6 - nameWidth - 1 - valueWidth - 2 - 24);
  for (const inst of instances) {
    const oid = inst.split('/')[1];
    if (oid !== lastObject) {
      lastObject = oid;
      const name = Number.isInteger(Number(oid)) ? objectName(Number(oid)) : null;
      lines.push([seg(`  /${clean(oid)}`, { bold: true }), seg(name ? `  ${name}` : '', { color: 'yellow' })]);
    }
    const list = byInstance.get(inst)!;
    lines.push([seg(`    ${clean(inst)}`), seg(list.length === 0 ? '  no values seen' : '', { dim: true })]);
    for (const r of list) {
      const rid = r.path.split('/').slice(3).join('/');
      const line: Line = [
        seg('      ' + cell(clean(rid), 6)), seg(cell(clean(r.name ?? '?'), nameWidth) + ' ', { dim: r.name === null }),
        seg(cell(valueText(r.value), valueWidth, typeof r.value === 'number') + '  ', { bold: true }),
      ];
      if (r.series.length >= 2) {
        const values = r.series.map(([, v]) => v);
        line.push(seg(sparkline(values, sparkWidth), { color: 'green' }));
        line.push(seg(` ${valueText(Math.min(...values))}..${valueText(Math.max(...values))}`, { dim: true }));
      } else {
        line.push(seg(clock(r.updatedAt), { dim: true }));
      }
      lines.push(line);
    }
  }
  lines.push([]);

  // Observations.
  lines.push(heading('Observations', `  ${d.observations.length}`));
  if (d.observations.length === 0) lines.push([seg('  none', { dim: true })]);
  for (const o of d.observations) {
    const attrs = Object.entries(o.attributes).map(([k, v]) => `${clean(k)}=${valueText(v)}`).join(' ');
    lines.push([
      seg(`  #${o.id} `), seg(cell(o.paths.map(clean).join(','), 16), { bold: true }),
      seg(cell(o.state + (o.endedBy ? ` (${o.endedBy})` : ''), 22), { color: o.state === 'active' ? 'green' : 'gray' }),
      seg(cell(attrs || 'no attributes', 18), { dim: !attrs }),
      seg(` ${count(o.notifications)} notifications`), seg(` last ${clock(o.lastNotifiedAt)}${o.lastSeq !== null ? ` seq ${o.lastSeq}` : ''}`, { dim: true }),
      seg(o.reordered ? ` ${o.reordered} reordered` : '', { color: 'yellow' }),
      seg(o.lateNotifications ? ` ${o.lateNotifications} late` : '', { color: 'red' }),
    ]);
  }
  lines.push([]);

  // Events.
  lines.push(heading('Events', `  ${count(d.eventTotal)}${d.eventTotal > d.events.length ? ` (newest ${d.events.length} shown; Events view: /ep:${clean(e.name)})` : ''}`));
  if (d.events.length === 0) lines.push([seg('  none', { dim: true })]);
  for (const ev of d.events) {
    lines.push([
      seg(`  ${clock(ev.ts)} `), seg(cell(ev.severity, 9), { color: severityColor(ev.severity), bold: true }),
      seg(cell(clean(ev.rule), 24) + ' '), seg(clean(ev.message)),
    ]);
  }
  lines.push([]);

  // Registration history.
  if (e.history === null) {
    lines.push(heading('Registration history', '  not stored: analyze --store-messages keeps the messages it is built from'));
  } else {
    lines.push(heading('Registration history', `  ${e.history.length} request${e.history.length === 1 ? '' : 's'}`));
    const shown = e.history.slice(-HISTORY_SHOWN);
    if (shown.length < e.history.length) lines.push([seg(`  … ${e.history.length - shown.length} earlier`, { dim: true })]);
    for (const h of shown) {
      const ok = h.code !== null && h.code.startsWith('2.');
      lines.push([
        seg(`  ${clock(h.ts, true)}  `), seg(cell(h.operation, 11)), seg(cell(h.code ?? '-', 5), { color: h.code === null ? 'gray' : ok ? 'green' : 'red' }),
        seg(` #${h.frame ?? '-'}  `, { dim: true }), seg(clean(h.address) + '  '), seg(clean(h.detail), { dim: true }),
      ]);
    }
  }
  lines.push([]);
  return lines;
}

export function EndpointDetailView({ data, width, height, scroll }: { data: EndpointDetailData; width: number; height: number; scroll: number }): ReactElement {
  return <DocView lines={endpointDetailLines(data, width)} width={width} height={height} scroll={scroll} />;
}
