import { closeSync, openSync, writeSync } from 'node:fs';

/** An output file that cannot be opened or written: one line for the user, exit status 1. */
export class OutputFileError extends Error {}

/**
 * A log file written by appending whole lines, batched into large writes, that can be reopened
 * by name (SIGHUP after logrotate has moved it away: the lines after the signal go to a new file
 * of the same name, as Suricata's and nginx's logs do). `-` is stdout, which is never reopened.
 * Writes are synchronous, as stdout's are for files and pipes: a line is on its way when
 * flush() returns, and nothing is held across a crash beyond the current batch.
 */
export class AppendFile {
  private fd: number;
  private chunks: string[] = [];
  private pending = 0;

  constructor(readonly path: string, private readonly batch = 1 << 16) {
    this.fd = path === '-' ? 1 : openAppend(path);
  }

  /** Adds `text` (whole lines, with their newlines); a full batch is written at once. */
  write(text: string): void {
    this.chunks.push(text);
    this.pending += text.length;
    if (this.pending >= this.batch) this.flush();
  }

  flush(): void {
    if (this.pending === 0) return;
    const bytes = Buffer.from(this.chunks.join(''));
    this.chunks = [];
    this.pending = 0;
    writeAll(this.fd, bytes, this.path);
  }

  /**
   * Writes out what is batched, closes the file and opens its name again. When the name cannot
   * be opened (its folder went away), the file in hand is kept and the reason returned.
   */
  reopen(): string | null {
    this.flush();
    if (this.fd === 1) return null;
    let fd: number;
    try {
      fd = openAppend(this.path);
    } catch (err) {
      return (err as Error).message;
    }
    closeSync(this.fd);
    this.fd = fd;
    return null;
  }

  close(): void {
    this.flush();
    if (this.fd !== 1) closeSync(this.fd);
    this.fd = -1;
  }
}

function openAppend(path: string): number {
  try {
    return openSync(path, 'a', 0o640);
  } catch (err) {
    throw new OutputFileError(`${path}: cannot open for writing (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
}

/** The whole of `bytes`: a pipe may take part of it, or (non-blocking) none for a moment. */
function writeAll(fd: number, bytes: Buffer, path: string): void {
  let done = 0;
  while (done < bytes.length) {
    try {
      done += writeSync(fd, bytes, done, bytes.length - done);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EAGAIN') continue;
      if (code === 'EPIPE' && fd === 1) process.exit(0); // `| head`, as for the other stdout output
      throw new OutputFileError(`${path === '-' ? 'stdout' : path}: cannot write (${code ?? (err as Error).message})`);
    }
  }
}
