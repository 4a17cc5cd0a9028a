/**
 * Strips C0/C1 control characters (including ESC, so no terminal escape sequences) and
 * Unicode bidi overrides from text that came off the network before it reaches a terminal.
 * Endpoint names and paths are attacker-controlled.
 */
export function sanitizeForTerminal(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g, '\uFFFD');
}
