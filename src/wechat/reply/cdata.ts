/**
 * Characters XML 1.0 does not allow: C0 controls other than tab, LF and CR, U+FFFE, U+FFFF, and (with the `u`
 * flag, which treats a valid surrogate pair as one code point) lone surrogates. No quantifiers, so no
 * backtracking.
 */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const NOT_XML_CHARACTER = /[\x00-\x08\x0B\x0C\x0E-\x1F\uD800-\uDFFF\uFFFE\uFFFF]/gu;

/**
 * Wraps `value` in a CDATA section that any XML 1.0 parser reads back as `value`: characters XML cannot carry
 * are removed first (so removal cannot create a new `]]>`), then every `]]>` is split across two sections
 * (`]]]]><![CDATA[>`).
 */
export function cdata(value: string): string {
  const clean = hasNonXmlCharacter(value) ? value.replace(NOT_XML_CHARACTER, '') : value;
  const body = clean.includes(']]>') ? clean.replaceAll(']]>', ']]]]><![CDATA[>') : clean;
  return `<![CDATA[${body}]]>`;
}

/** Fast check for what `NOT_XML_CHARACTER` removes; a unicode regex scan costs ~4 ns per character. */
function hasNonXmlCharacter(value: string): boolean {
  for (let index = 0; index < value.length; index += 1) {
    const code = value.charCodeAt(index);
    if (code < 0x20) {
      if (code !== 0x09 && code !== 0x0a && code !== 0x0d) return true;
    } else if (code >= 0xd800) {
      if (code >= 0xfffe) return true;
      if (code <= 0xdfff) {
        const low = value.charCodeAt(index + 1);
        if (code > 0xdbff || !(low >= 0xdc00 && low <= 0xdfff)) return true;
        index += 1;
      }
    }
  }
  return false;
}
