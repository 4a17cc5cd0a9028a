import type { ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { join } from 'node:path';

/*
 * What live-capture tests need: libpcap reachable through the optional module `koffi`, and root
 * (CI runs as root). Tests that need what is missing are skipped with one of these reasons in
 * their name.
 */
const root = join(import.meta.dirname, '../..');

/** Why libpcap cannot be called here, or '' when it can (the same libraries monitor loads). */
function libpcapMissing(): string {
  let koffi: { load(name: string): unknown };
  try {
    koffi = createRequire(join(root, 'package.json'))('koffi') as typeof koffi;
  } catch {
    return 'the optional module "koffi" is not installed';
  }
  for (const name of ['libpcap.so.1', 'libpcap.so.0.8', 'libpcap.so']) {
    try {
      koffi.load(name);
      return '';
    } catch {
      // the next name
    }
  }
  return 'libpcap is not installed';
}

const missing = libpcapMissing();
export const hasLibpcap = missing === '';
export const isRoot = process.getuid?.() === 0;
export const libpcapReason = hasLibpcap ? '' : ` (skipped: ${missing})`;
export const rootReason = !hasLibpcap ? libpcapReason : isRoot ? '' : ' (skipped: capture needs root, and this is not)';

const running = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/**
 * A capturing child process that is killed when the test process ends: a test that fails or
 * times out before stopping it must not leave it capturing (and holding CI's output open).
 */
export function reapOnExit<T extends ChildProcess>(child: T): T {
  running.add(child);
  child.on('exit', () => running.delete(child));
  return child;
}
