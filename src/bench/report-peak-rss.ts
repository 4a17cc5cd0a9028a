import { writeSync } from 'node:fs';

/**
 * Preloaded into the benchmarked CLI (`node --import`): on exit it writes the process's peak
 * resident set size, in kilobytes, to file descriptor 3, which the benchmark opened as a pipe.
 * Node has no getrusage(RUSAGE_CHILDREN), and this works wherever Node does, unlike GNU time.
 */
process.on('exit', () => {
  writeSync(3, `peak-rss-kb ${process.resourceUsage().maxRSS}\n`);
});
