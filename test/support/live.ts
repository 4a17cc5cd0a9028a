import { createRequire } from 'node:module';
import { join } from 'node:path';

/*
 * What live-capture tests need: the optional `cap` addon and root (CI runs as root). Tests that
 * need what is missing are skipped with one of these reasons in their name.
 */
const root = join(import.meta.dirname, '../..');

function capInstalled(): boolean {
  try {
    createRequire(join(root, 'package.json'))('cap');
    return true;
  } catch {
    return false;
  }
}

export const hasCap = capInstalled();
export const isRoot = process.getuid?.() === 0;
export const capReason = hasCap ? '' : ' (skipped: the optional module "cap" is not installed)';
export const rootReason = !hasCap ? capReason : isRoot ? '' : ' (skipped: capture needs root, and this is not)';
