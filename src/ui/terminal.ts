/** Both stdin and stdout are terminals (keys can be read, the screen drawn). */
export function isInteractive(): boolean {
  return process.stdout.isTTY === true && process.stdin.isTTY === true;
}
