/**
 * A small strict XML 1.0 parser for tests (no DTDs, no namespaces processing, no CDATA needed by
 * our output but accepted). It throws on what a conforming parser rejects: unescaped `<` or `&`,
 * unknown entities, characters XML cannot carry, mismatched or unclosed tags, duplicate
 * attributes, content after the root. Attribute values are normalised as the spec says (literal
 * tab/LF/CR become spaces; character references survive), so a renderer that forgets to encode a
 * newline in an attribute fails a round-trip test.
 */

export interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  children: XmlElement[];
  /** Concatenated character data directly inside this element. */
  text: string;
}

export class XmlParseError extends Error {
  constructor(pos: number, message: string) {
    super(`at ${pos}: ${message}`);
  }
}

const NAME = /[A-Za-z_:][A-Za-z0-9_:.-]*/y;
// Char ::= #x9 | #xA | #xD | [#x20-#xD7FF] | [#xE000-#xFFFD] | [#x10000-#x10FFFF]
// eslint-disable-next-line no-control-regex
const BAD_CHAR = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/;
const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function isXmlCodePoint(cp: number): boolean {
  return (
    cp === 0x9 ||
    cp === 0xa ||
    cp === 0xd ||
    (cp >= 0x20 && cp <= 0xd7ff) ||
    (cp >= 0xe000 && cp <= 0xfffd) ||
    (cp >= 0x10000 && cp <= 0x10ffff)
  );
}

export function parseXml(source: string): XmlElement {
  // End-of-line handling comes first, on the raw input (XML 1.0 section 2.11).
  const input = source.replace(/\r\n?/g, '\n');
  const bad = BAD_CHAR.exec(input);
  if (bad) throw new XmlParseError(bad.index, `character U+${bad[0].charCodeAt(0).toString(16)}`);
  let i = 0;

  const fail = (msg: string): never => {
    throw new XmlParseError(i, msg);
  };
  const name = (): string => {
    NAME.lastIndex = i;
    const m = NAME.exec(input);
    if (!m) return fail('expected a name');
    i += m[0].length;
    return m[0];
  };
  const ws = () => {
    while (/[ \t\r\n]/.test(input[i] ?? '')) i++;
  };
  const misc = () => {
    for (;;) {
      ws();
      if (input.startsWith('<!--', i)) {
        const end = input.indexOf('-->', i + 4);
        if (end < 0) fail('unterminated comment');
        if (input.slice(i + 4, end).includes('--')) fail('-- inside a comment');
        i = end + 3;
      } else if (input.startsWith('<?', i) && !input.startsWith('<?xml', i)) {
        const end = input.indexOf('?>', i);
        if (end < 0) fail('unterminated processing instruction');
        i = end + 2;
      } else return;
    }
  };
  /** Decodes references in text up to `stop`; `attr` applies attribute-value normalisation. */
  const decode = (raw: string, attr: boolean): string =>
    raw
      .replace(/&([^;]*);|&|</g, (m, ref: string | undefined) => {
        if (m === '<') return fail('< in ' + (attr ? 'attribute value' : 'text'));
        if (ref === undefined) return fail('& without a reference');
        if (ref in ENTITIES) return `\u0000${ENTITIES[ref]}`;
        const num = /^#(?:x([0-9a-fA-F]+)|([0-9]+))$/.exec(ref);
        if (!num) return fail(`unknown entity &${ref};`);
        const cp = num[1] !== undefined ? parseInt(num[1], 16) : parseInt(num[2] ?? '', 10);
        if (!isXmlCodePoint(cp)) return fail(`reference to a forbidden character &${ref};`);
        return `\u0000${String.fromCodePoint(cp)}`;
      })
      // Literal whitespace in attributes becomes a space; referenced characters (marked with
      // U+0000, which cannot occur in input) are kept as they are.
      // eslint-disable-next-line no-control-regex
      .replace(/\u0000([\s\S])|([\t\n])/gu, (_, kept: string | undefined) =>
        kept !== undefined ? kept : attr ? ' ' : _,
      );

  if (input.startsWith('<?xml', i)) {
    const end = input.indexOf('?>', i);
    if (end < 0) fail('unterminated XML declaration');
    if (
      !/^<\?xml version="1\.[0-9]"( encoding="[A-Za-z][A-Za-z0-9._-]*")?\s*\?>$/.test(
        input.slice(i, end + 2),
      )
    ) {
      fail('bad XML declaration');
    }
    i = end + 2;
  }
  misc();
  if (input.startsWith('<!DOCTYPE', i)) fail('DOCTYPE not supported');

  const element = (): XmlElement => {
    if (input[i] !== '<') fail('expected <');
    i++;
    const el: XmlElement = { name: name(), attrs: {}, children: [], text: '' };
    for (;;) {
      const before = i;
      ws();
      if (input.startsWith('/>', i)) {
        i += 2;
        return el;
      }
      if (input[i] === '>') {
        i++;
        break;
      }
      if (i === before) fail('expected whitespace before an attribute');
      const attr = name();
      ws();
      if (input[i] !== '=') fail(`expected = after ${attr}`);
      i++;
      ws();
      const quote = input[i];
      if (quote !== '"' && quote !== "'") return fail('attribute value must be quoted');
      const end = input.indexOf(quote, i + 1);
      if (end < 0) fail('unterminated attribute value');
      if (Object.prototype.hasOwnProperty.call(el.attrs, attr)) fail(`duplicate attribute ${attr}`);
      el.attrs[attr] = decode(input.slice(i + 1, end), true);
      i = end + 1;
    }
    for (;;) {
      const lt = input.indexOf('<', i);
      if (lt < 0) fail(`unclosed <${el.name}>`);
      const raw = input.slice(i, lt);
      if (raw.includes(']]>')) fail(']]> in text');
      el.text += decode(raw, false);
      i = lt;
      if (input.startsWith('</', i)) {
        i += 2;
        const closing = name();
        if (closing !== el.name) fail(`</${closing}> closes <${el.name}>`);
        ws();
        if (input[i] !== '>') fail('expected >');
        i++;
        return el;
      }
      if (input.startsWith('<!--', i)) {
        misc();
        continue;
      }
      if (input.startsWith('<![CDATA[', i)) {
        const end = input.indexOf(']]>', i);
        if (end < 0) fail('unterminated CDATA');
        el.text += input.slice(i + 9, end);
        i = end + 3;
        continue;
      }
      el.children.push(element());
    }
  };

  const root = element();
  misc();
  if (i !== input.length) fail('content after the root element');
  return root;
}

/** Every descendant element with that name, depth first. */
export function findAll(el: XmlElement, name: string): XmlElement[] {
  return el.children.flatMap((c) => [...(c.name === name ? [c] : []), ...findAll(c, name)]);
}
