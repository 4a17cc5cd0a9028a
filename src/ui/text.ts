import { sanitizeForTerminal } from '../util/terminal-text.js';

/**
 * Text helpers for the dashboard. Everything drawn that came off the network (endpoint names,
 * paths, values, rule messages) goes through clean() first: control characters and escape
 * sequences never reach the terminal, and tabs/newlines cannot break the layout.
 */
export function clean(value: unknown): string {
  if (value === null || value === undefined) return '-';
  return sanitizeForTerminal(typeof value === 'string' ? value : String(value));
}

/** Cut to `width` columns with an ellipsis. */
export function fit(text: string, width: number): string {
  if (width <= 0) return '';
  if (text.length <= width) return text;
  return width === 1 ? '…' : text.slice(0, width - 1) + '…';
}

/** Exactly `width` columns: cut or padded on the right (or on the left with `right`). */
export function cell(text: string, width: number, right = false): string {
  const t = fit(text, width);
  return right ? t.padStart(width) : t.padEnd(width);
}

/** Capture time as HH:MM:SS (UTC), with milliseconds when asked. */
export function clock(ts: number | null, ms = false): string {
  if (ts === null || !Number.isFinite(ts)) return '-';
  const iso = new Date(ts * 1000).toISOString();
  return ms ? iso.slice(11, 23) : iso.slice(11, 19);
}

/** Capture time as "YYYY-MM-DD HH:MM:SS" UTC. */
export function dateTime(ts: number | null): string {
  if (ts === null || !Number.isFinite(ts)) return '-';
  return new Date(ts * 1000).toISOString().slice(0, 19).replace('T', ' ');
}

/** A span of seconds as 3d4h, 2h5m, 4m12s, 9s. */
export function duration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '-';
  const neg = seconds < 0;
  let s = Math.round(Math.abs(seconds));
  const d = Math.floor(s / 86400);
  s -= d * 86400;
  const h = Math.floor(s / 3600);
  s -= h * 3600;
  const m = Math.floor(s / 60);
  s -= m * 60;
  const text = d > 0 ? `${d}d${h}h` : h > 0 ? `${h}h${m}m` : m > 0 ? `${m}m${s}s` : `${s}s`;
  return neg ? '-' + text : text;
}

/** Lifetime left at `now`, or why there is none. */
export function lifetimeLeft(state: string, expiresAt: number | null, now: number): string {
  if (state !== 'registered' && state !== 'registering') return '-';
  if (expiresAt === null) return '-';
  const left = expiresAt - now;
  return left <= 0 ? 'due' : duration(left);
}

/** 1234567 → "1,234,567"; null → "-". */
export function count(n: number | null | undefined): string {
  return n === null || n === undefined ? '-' : Math.round(n).toLocaleString('en-US');
}

/** A rate with one decimal below 100. */
export function rate(n: number | null): string {
  if (n === null || !Number.isFinite(n)) return '-';
  return n < 100 ? n.toFixed(1) : count(n);
}

/** A resource value as one line of text. */
export function valueText(v: unknown): string {
  if (v === null || v === undefined) return '-';
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : String(Math.round(v * 1000) / 1000);
  return clean(typeof v === 'string' ? v : JSON.stringify(v));
}

/** Colour of a severity. */
export function severityColor(severity: string): string {
  switch (severity) {
    case 'critical': return 'magenta';
    case 'high': return 'red';
    case 'medium': return 'yellow';
    case 'low': return 'cyan';
    default: return 'gray';
  }
}

/** Colour of an endpoint state. */
export function stateColor(state: string): string {
  switch (state) {
    case 'registered': return 'green';
    case 'registering': return 'cyan';
    case 'expired': return 'yellow';
    case 'rejected': return 'red';
    default: return 'gray';
  }
}

/** Names of the CoAP content formats LwM2M uses. */
export function contentFormatName(cf: number | null): string {
  if (cf === null) return '';
  const names: Record<number, string> = {
    0: 'text', 40: 'link', 42: 'octets', 60: 'cbor', 110: 'senml-json', 112: 'senml-cbor',
    11542: 'tlv', 11543: 'lwm2m-json', 11544: 'lwm2m-cbor', 1541: 'plain', 1542: 'tlv(old)', 1543: 'json(old)',
  };
  return names[cf] ?? String(cf);
}
