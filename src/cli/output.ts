/**
 * Batches lines into large writes: one write per line would cost more than decoding the
 * message. process.stdout is synchronous for files and pipes on Linux, so a batch is out
 * of our hands when write() returns; a closed pipe (`| head`) ends the program quietly.
 */
const guarded = new WeakSet<NodeJS.WriteStream>();

function onWriteError(err: NodeJS.ErrnoException): void {
  if (err.code === 'EPIPE') process.exit(0);
  process.stderr.write(`coapwatch: cannot write output: ${err.message}\n`);
  process.exit(1);
}

export class LineWriter {
  private pending = '';

  constructor(private readonly stream: NodeJS.WriteStream = process.stdout, private readonly batch = 1 << 16) {
    // One handler per stream, however many writers (`rules test` runs one session per capture).
    if (!guarded.has(stream)) {
      guarded.add(stream);
      stream.on('error', onWriteError);
    }
  }

  write(text: string): void {
    this.pending += text;
    if (this.pending.length >= this.batch) this.flush();
  }

  flush(): void {
    if (this.pending.length === 0) return;
    this.stream.write(this.pending);
    this.pending = '';
  }
}
