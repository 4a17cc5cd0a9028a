import { Box, Text } from 'ink';
import type { ReactElement } from 'react';

/** A run of text with one style. The text must already be clean (see text.ts). */
export interface Seg {
  t: string;
  color?: string;
  bold?: boolean;
  dim?: boolean;
  inverse?: boolean;
}

/** One screen line. */
export type Line = Seg[];

export const seg = (t: string, style: Omit<Seg, 't'> = {}): Seg => ({ t, ...style });

/** Plain text of a line (plain-output mode, tests). */
export function lineText(line: Line): string {
  return line.map((s) => s.t).join('');
}

/** Cuts a line to `width` columns. */
export function cutLine(line: Line, width: number): Line {
  const out: Line = [];
  let left = width;
  for (const s of line) {
    if (left <= 0) break;
    if (s.t.length <= left) {
      out.push(s);
      left -= s.t.length;
    } else {
      out.push({ ...s, t: s.t.slice(0, Math.max(0, left - 1)) + '…' });
      left = 0;
    }
  }
  return out;
}

/** One line of styled segments, never wider than `width` (Ink truncates, never wraps). */
export function LineView({ line, width, inverse }: { line: Line; width: number; inverse?: boolean }): ReactElement {
  const cut = cutLine(line, width);
  const used = cut.reduce((n, s) => n + s.t.length, 0);
  // An empty Text takes no row in Ink: a blank line is one space.
  const pad = inverse && used < width ? ' '.repeat(width - used) : used === 0 ? ' ' : '';
  return (
    <Text wrap="truncate" inverse={inverse}>
      {cut.map((s, i) => (
        <Text key={i} color={s.color} bold={s.bold} dimColor={s.dim} inverse={s.inverse}>
          {s.t}
        </Text>
      ))}
      {pad}
    </Text>
  );
}

/** A view's title over one note saying why its list cannot be shown; the note must already be clean. */
export function TitledNote({ title, note, width, height }: { title: Line; note: string; width: number; height: number }): ReactElement {
  return (
    <Box flexDirection="column" height={height}>
      <LineView line={title} width={width} />
      <LineView line={[seg(note, { color: 'yellow' })]} width={width} />
    </Box>
  );
}

/**
 * A window of `height` lines of a longer document, starting at `scroll`; blank lines fill the
 * rest so the screen below does not move.
 */
export function DocView({ lines, width, height, scroll, selected }: {
  lines: Line[]; width: number; height: number; scroll: number; selected?: number;
}): ReactElement {
  const visible = lines.slice(scroll, scroll + height);
  return (
    <Box flexDirection="column" height={height}>
      {visible.map((l, i) => (
        <LineView key={i} line={l} width={width} inverse={selected === scroll + i} />
      ))}
    </Box>
  );
}
