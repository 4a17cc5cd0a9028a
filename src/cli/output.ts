import { JsonBytes } from './format/json-bytes.js';

/**
 * Batches lines into large writes: one write per line would cost more than decoding the
 * message. Lines are written as bytes into one buffer (message lines directly, by
 * writeMessage into `out`; other text encoded on arrival), so no big string is ever built.
 * process.stdout is synchronous for files and pipes on Linux, so a batch is out of our hands
 * when write() returns; a closed pipe (`| head`) ends the program quietly.
 */
const guarded = new WeakSet<NodeJS.WriteStream>();

function onWriteError(err: NodeJS.ErrnoException): void {
  if (err.code === 'EPIPE') process.exit(0);
  process.stderr.write(`coapwatch: cannot write output: ${err.message}\n`);
  process.exit(1);
}

export class LineWriter {
  /** Where lines are written; call written() after writing into it directly. */
  out: JsonBytes;

  constructor(private readonly stream: NodeJS.WriteStream = process.stdout, private readonly batch = 1 << 16) {
    this.out = new JsonBytes(2 * batch);
    // One handler per stream, however many writers (`rules test` runs one session per capture).
    if (!guarded.has(stream)) {
      guarded.add(stream);
      stream.on('error', onWriteError);
    }
  }

  write(text: string): void {
    this.out.text(text);
    this.written();
  }

  /** Something was written into `out`: a full batch goes to the stream. */
  written(): void {
    if (this.out.length >= this.batch) this.flush();
  }

  flush(): void {
    const out = this.out;
    if (out.length === 0) return;
    this.stream.write(out.buf.subarray(0, out.length));
    // Written through (stdout on Linux is synchronous for files, pipes and terminals): the buffer
    // is ours again. A stream that keeps the chunk to write later keeps the buffer with it.
    if (this.stream.writableLength === 0) out.length = 0;
    else this.out = new JsonBytes(out.buf.length);
  }
}
