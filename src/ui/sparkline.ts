/*
 * Sparklines with the eight block characters. Written by hand: the npm candidates are either
 * unmaintained and untyped (`sparkline`, last published years ago) or barely used (`sparkly`),
 * and what we need — fit N samples into W columns, scale to min..max — is a dozen lines.
 */

const BARS = '▁▂▃▄▅▆▇█';

/**
 * The values as at most `width` block characters, oldest left. When there are more values than
 * columns, each column shows the mean of its share (the newest values are never dropped).
 * A flat series draws at the lowest level; non-finite values are skipped.
 */
export function sparkline(values: readonly number[], width: number): string {
  const v = values.filter(Number.isFinite);
  if (v.length === 0 || width <= 0) return '';
  const cols = Math.min(width, v.length);
  const points: number[] = [];
  for (let c = 0; c < cols; c++) {
    const from = Math.floor((c * v.length) / cols);
    const to = Math.max(from + 1, Math.floor(((c + 1) * v.length) / cols));
    let sum = 0;
    for (let i = from; i < to; i++) sum += v[i];
    points.push(sum / (to - from));
  }
  let min = Infinity;
  let max = -Infinity;
  for (const p of points) {
    if (p < min) min = p;
    if (p > max) max = p;
  }
  const span = max - min;
  return points.map((p) => BARS[span === 0 ? 0 : Math.min(7, Math.floor(((p - min) / span) * 8))]).join('');
}
