import type { CoreLink, PayloadDecoder } from './types.js';

/**
 * application/link-format (40), RFC 6690 section 2: `<uri>;attr=value;attr="quoted";flag`
 * links separated by commas. Whitespace around separators is tolerated (seen in the wild,
 * though the ABNF has none). Links parsed before a syntax error are kept.
 */
export const decodeLinkFormat: PayloadDecoder = (body) => {
  const { links, error } = parseLinkFormat(body.toString('utf8'));
  return { records: [], links, error };
};

// RFC 5987 parmname characters, plus '*' for extended (RFC 8187) attribute names.
const PARMNAME = /[A-Za-z0-9!#$&+\-.^_`|~*]/;

function parseLinkFormat(text: string): { links: CoreLink[]; error: string | null } {
  const links: CoreLink[] = [];
  let pos = 0;
  const skipSpace = () => {
    while (pos < text.length && /\s/.test(text[pos])) pos++;
  };
  const fail = (what: string) => ({ links, error: `link-format: ${what} at offset ${pos}` });

  skipSpace();
  while (pos < text.length) {
    if (text[pos] !== '<') return fail("expected '<'");
    const close = text.indexOf('>', pos + 1);
    if (close < 0) return fail("unterminated '<'");
    // Null prototype: attribute names come off the wire ("__proto__" must stay a plain key).
    const link: CoreLink = { uri: text.slice(pos + 1, close), attrs: Object.create(null) as CoreLink['attrs'] };
    pos = close + 1;
    skipSpace();
    while (text[pos] === ';') {
      pos++;
      skipSpace();
      const nameStart = pos;
      while (pos < text.length && PARMNAME.test(text[pos])) pos++;
      if (pos === nameStart) return fail('expected an attribute name');
      const name = text.slice(nameStart, pos);
      skipSpace();
      let value: string | true = true;
      if (text[pos] === '=') {
        pos++;
        skipSpace();
        const parsed = text[pos] === '"' ? readQuoted() : readToken();
        if (parsed === null) return fail('unterminated quoted value');
        value = parsed;
      }
      // The first occurrence wins, as with rel (RFC 6690 section 2: "MUST NOT appear more than once").
      if (!(name in link.attrs)) link.attrs[name] = value;
      skipSpace();
    }
    links.push(link);
    if (pos >= text.length) break;
    if (text[pos] !== ',') return fail("expected ',' or ';'");
    pos++;
    skipSpace();
  }
  return { links, error: null };

  /** A quoted-string from its opening quote; backslash escapes the next character. */
  function readQuoted(): string | null {
    let value = '';
    for (pos++; pos < text.length; pos++) {
      const c = text[pos];
      if (c === '"') {
        pos++;
        return value;
      }
      if (c === '\\' && pos + 1 < text.length) pos++;
      value += text[pos];
    }
    return null;
  }

  function readToken(): string {
    const start = pos;
    while (pos < text.length && !/[;,\s]/.test(text[pos])) pos++;
    return text.slice(start, pos);
  }
}
