import { statSync } from 'node:fs';
import { CaptureError, readCapture } from '../capture/index.js';
import { AnalysisPipeline, type AnalyzedMessage } from '../pipeline/index.js';
import { messageLine } from './format/ndjson.js';
import { SummaryCollector } from './format/summary.js';
import { LineWriter } from './output.js';
import { createProgress } from './progress.js';

export interface AnalyzeOptions {
  format: 'summary' | 'ndjson';
  coapPort: number[];
  heuristic: boolean;
  progress: boolean;
}

export async function analyzeCommand(file: string, opts: AnalyzeOptions): Promise<void> {
  const writer = new LineWriter();
  const summary = new SummaryCollector();
  const sink = opts.format === 'ndjson'
    ? (m: AnalyzedMessage) => writer.write(messageLine(m))
    : (m: AnalyzedMessage) => summary.add(m);
  const pipeline = new AnalysisPipeline(sink, { ports: opts.coapPort, heuristic: opts.heuristic });

  let size = 0;
  try {
    size = statSync(file).size;
  } catch {
    // readCapture reports a missing or unreadable file with the right words.
  }
  const progress = opts.progress ? createProgress(size) : null;
  const push = pipeline.push.bind(pipeline);
  let info;
  try {
    info = await readCapture(file, push, { onProgress: progress ? (done) => progress.update(done) : undefined });
  } finally {
    progress?.stop();
  }
  pipeline.finish();
  writer.flush();
  for (const warning of info.warnings) process.stderr.write(`coapwatch: warning: ${warning}\n`);
  if (opts.format === 'summary') {
    const d = pipeline.decoder.stats;
    const c = pipeline.coap.stats;
    writer.write(summary.render(`${file} (${info.format}, ${info.packets} packets)`, info.packets, [
      ['undecodable frames', d.malformed],
      ['non-IP/UDP/TCP', d.ignored],
      ['DTLS records', c.dtlsRecords],
      ['other UDP/TCP', c.notCoap],
    ]));
    writer.flush();
  }
}

export { CaptureError };
