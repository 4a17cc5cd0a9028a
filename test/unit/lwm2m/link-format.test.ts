import { describe, expect, it } from 'vitest';
import { decodePayload } from '../../../src/lwm2m/payload/index.js';

const decode = (text: string) => decodePayload(40, Buffer.from(text), null);

describe('link-format (40), RFC 6690', () => {
  it('parses the RFC 6690 section 5 examples, line breaks included', () => {
    const result = decode(`</sensors>;ct=40;title="Sensor Index",
</sensors/temp>;rt="temperature-c";if="sensor",
</sensors/light>;rt="light-lux";if="sensor",
<http://www.example.com/sensors/t123>;anchor="/sensors/temp"
;rel="describedby",
</t>;anchor="/sensors/temp";rel="alternate"`);
    expect(result).toEqual({
      records: [],
      links: [
        { uri: '/sensors', attrs: { ct: '40', title: 'Sensor Index' } },
        { uri: '/sensors/temp', attrs: { rt: 'temperature-c', if: 'sensor' } },
        { uri: '/sensors/light', attrs: { rt: 'light-lux', if: 'sensor' } },
        { uri: 'http://www.example.com/sensors/t123', attrs: { anchor: '/sensors/temp', rel: 'describedby' } },
        { uri: '/t', attrs: { anchor: '/sensors/temp', rel: 'alternate' } },
      ],
      error: null,
    });
  });

  it('handles quoted commas and semicolons, escapes, flags and whitespace', () => {
    expect(decode(' </a> ; title = "x,y;z \\"q\\"" ; obs ,</b>;sz=1234 ').links).toEqual([
      { uri: '/a', attrs: { title: 'x,y;z "q"', obs: true } },
      { uri: '/b', attrs: { sz: '1234' } },
    ]);
  });

  it('parses LwM2M register and discover bodies', () => {
    expect(decode('</>;rt="oma.lwm2m";ct=110,</1/0>,</3/0>;ver=1.1,</3305>;ver=1.0,</3/0/9>;pmin=10;pmax=60').links).toEqual([
      { uri: '/', attrs: { rt: 'oma.lwm2m', ct: '110' } },
      { uri: '/1/0', attrs: {} },
      { uri: '/3/0', attrs: { ver: '1.1' } },
      { uri: '/3305', attrs: { ver: '1.0' } },
      { uri: '/3/0/9', attrs: { pmin: '10', pmax: '60' } },
    ]);
  });

  it('keeps the first of repeated attributes and attribute names that shadow Object.prototype', () => {
    const [link] = decode('</a>;rel=x;rel=y;__proto__=p;constructor;toString=t').links ?? [];
    // fromEntries: in an object literal `__proto__:` would set the prototype instead of a key.
    expect(link.attrs).toEqual(Object.fromEntries([['rel', 'x'], ['__proto__', 'p'], ['constructor', true], ['toString', 't']]));
    expect(Object.keys(link.attrs)).toEqual(['rel', '__proto__', 'constructor', 'toString']);
  });

  it('decodes an empty body to no links', () => {
    expect(decode('')).toEqual({ records: [], links: [], error: null });
  });

  it('keeps the links before a syntax error', () => {
    const cases: Array<[string, number, string]> = [
      ['</a>,</b', 1, "link-format: unterminated '<' at offset 5"],
      ['</a>;="x"', 0, 'link-format: expected an attribute name at offset 5'],
      ['</a>,</b>;title="open', 1, 'link-format: unterminated quoted value at offset 21'],
      ['garbage', 0, "link-format: expected '<' at offset 0"],
      ['</a>junk', 1, "link-format: expected ',' or ';' at offset 4"],
    ];
    for (const [text, links, error] of cases) {
      const result = decode(text);
      expect(result.links, text).toHaveLength(links);
      expect(result.error, text).toBe(error);
    }
  });
});
