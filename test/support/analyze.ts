import { readCapture } from '../../src/capture/index.js';
import { AnalysisPipeline, type AnalyzedMessage, type PipelineOptions } from '../../src/pipeline/index.js';

/** Runs the whole offline pipeline in-process on a capture and returns every message. */
export async function analyzeFile(path: string, opts: PipelineOptions = {}): Promise<AnalyzedMessage[]> {
  const out: AnalyzedMessage[] = [];
  const pipeline = new AnalysisPipeline((m) => out.push(m), opts);
  await readCapture(path, (p) => pipeline.push(p));
  pipeline.finish();
  return out;
}

export interface TsharkRow {
  [field: string]: string;
}

/** Reads one of the `NAME.tshark.tsv` files: a header row, then one row per CoAP message. */
export function parseTsv(text: string): TsharkRow[] {
  const [head, ...rows] = text.trimEnd().split('\n');
  const names = head.split('\t');
  return rows.map((r) => {
    const cells = r.split('\t');
    return Object.fromEntries(names.map((n, i) => [n, cells[i] ?? '']));
  });
}
