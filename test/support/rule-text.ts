/**
 * Rule-file text for tests about something other than signature ids: every document with an
 * `id:` and no `sid:` gets a unique one appended at its end, so that the line numbers of what
 * the test wrote stay as written. A document with a line `# no sid` is left without one.
 */
let next = 9_000_000;

export function withSids(yaml: string): string {
  return yaml
    .split(/^(?=---$)/m)
    .map((doc) => {
      if (!/^id:/m.test(doc) || /^sid:/m.test(doc) || /^# no sid/m.test(doc)) return doc;
      return `${doc}${doc.endsWith('\n') ? '' : '\n'}sid: ${next++}\n`;
    })
    .join('');
}
