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
