/**
 * Problems that neither stop reading nor lose framing (a packet skipped or kept despite an odd
 * field) can repeat on every packet: keep the first of each kind and count the rest, so a damaged
 * file cannot flood the report.
 */
export class RepeatedWarnings {
  private readonly byKind = new Map<string, { line: string; count: number }>();

  add(kind: string, line: () => string): void {
    const seen = this.byKind.get(kind);
    if (seen) seen.count++;
    else this.byKind.set(kind, { line: line(), count: 1 });
  }

  lines(): string[] {
    return [...this.byKind.values()].map(({ line, count }) => (count > 1 ? `${line} (and ${count - 1} more like it)` : line));
  }
}

/**
 * Records with no captured bytes in a row at least this long are reported: one now and then is
 * a writer's odd choice, a long run is most often a zeroed or damaged part of the file.
 */
export const LONG_EMPTY_RUN = 100;

/**
 * Runs of empty records (zero captured length), summed into one line at the end: a zeroed
 * region reads as a million 16-byte pcap records, each delivered as an undecodable frame.
 */
export class EmptyRecordRuns {
  private runLength = 0;
  private runStartFrame = 0;
  private runStartByte = 0;
  private longRuns = 0;
  private recordsInLongRuns = 0;
  private first: { frame: number; byte: number; length: number } | null = null;

  /** A record at file offset `byte` was delivered as `frame`; `empty` when it captured nothing. */
  record(empty: boolean, frame: number, byte: number): void {
    if (empty) {
      if (this.runLength++ === 0) {
        this.runStartFrame = frame;
        this.runStartByte = byte;
      }
    } else if (this.runLength > 0) this.endRun();
  }

  /** The summary line, or none when no run was long. */
  lines(path: string): string[] {
    if (this.runLength > 0) this.endRun();
    const first = this.first;
    if (first === null) return [];
    const runs = this.longRuns === 1 ? 'a run' : `${this.longRuns} runs`;
    return [
      `${path}: ${this.recordsInLongRuns} empty records (no captured bytes) in ${runs} of ${LONG_EMPTY_RUN} or more, the first ` +
        `${first.length} from frame ${first.frame} at byte ${first.byte}; a zeroed or damaged part of the file?`,
    ];
  }

  private endRun(): void {
    if (this.runLength >= LONG_EMPTY_RUN) {
      this.longRuns++;
      this.recordsInLongRuns += this.runLength;
      this.first ??= { frame: this.runStartFrame, byte: this.runStartByte, length: this.runLength };
    }
    this.runLength = 0;
  }
}
