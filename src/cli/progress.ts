import cliProgress from 'cli-progress';

export interface Progress {
  update(bytesDone: number): void;
  stop(): void;
}

/** A progress bar on stderr, only when stderr is a terminal (never in pipes, logs or CI). */
export function createProgress(totalBytes: number): Progress | null {
  if (!process.stderr.isTTY || totalBytes <= 0) return null;
  const bar = new cliProgress.SingleBar(
    {
      stream: process.stderr,
      format: 'reading {bar} {percentage}% | {value}/{total} MiB | ETA {eta}s',
      hideCursor: true,
      clearOnComplete: true,
    },
    cliProgress.Presets.shades_classic,
  );
  const mib = (b: number) => Math.round((b / 1048576) * 10) / 10;
  bar.start(mib(totalBytes), 0);
  return {
    update: (done) => bar.update(mib(done)),
    stop: () => bar.stop(),
  };
}
