/**
 * XML 1.0 (fifth edition) `Name` production: which characters may start and continue a tag or attribute name.
 * ASCII goes through a table (the only case WeChat sends); other code points through the spec's ranges.
 */

const NAME_START = 1;
const NAME_PART = 2;

const asciiNameTable = new Uint8Array(128);
for (let code = 0; code < 128; code += 1) {
  const isLetter = (code >= 0x41 && code <= 0x5a) || (code >= 0x61 && code <= 0x7a);
  if (isLetter || code === 0x3a /* : */ || code === 0x5f /* _ */) asciiNameTable[code] = NAME_START | NAME_PART;
  else if ((code >= 0x30 && code <= 0x39) || code === 0x2d /* - */ || code === 0x2e /* . */) {
    asciiNameTable[code] = NAME_PART;
  }
}

/** NameStartChar for a BMP code point ≥ 0x80 (supplementary planes are handled by the caller). */
function isWideNameStart(code: number): boolean {
  return (
    (code >= 0xc0 && code <= 0xd6) ||
    (code >= 0xd8 && code <= 0xf6) ||
    (code >= 0xf8 && code <= 0x2ff) ||
    (code >= 0x370 && code <= 0x37d) ||
    (code >= 0x37f && code <= 0x1fff) ||
    (code >= 0x200c && code <= 0x200d) ||
    (code >= 0x2070 && code <= 0x218f) ||
    (code >= 0x2c00 && code <= 0x2fef) ||
    (code >= 0x3001 && code <= 0xd7ff) ||
    (code >= 0xf900 && code <= 0xfdcf) ||
    (code >= 0xfdf0 && code <= 0xfffd)
  );
}

function isWideNamePart(code: number): boolean {
  return (
    isWideNameStart(code) ||
    code === 0xb7 ||
    (code >= 0x300 && code <= 0x36f) ||
    (code >= 0x203f && code <= 0x2040)
  );
}

/**
 * Returns the index just past the name that starts at `start`, or `start` itself when no name starts there.
 * Never reads past the end of `text`.
 */
export function scanName(text: string, start: number): number {
  const length = text.length;
  let index = start;
  while (index < length) {
    const code = text.charCodeAt(index);
    const first = index === start;
    if (code < 128) {
      const flags = asciiNameTable[code] ?? 0;
      if ((flags & (first ? NAME_START : NAME_PART)) === 0) break;
      index += 1;
    } else if (code >= 0xd800 && code <= 0xdb7f) {
      // A surrogate pair for U+10000..U+EFFFF, which is allowed anywhere in a name.
      const low = text.charCodeAt(index + 1);
      if (!(low >= 0xdc00 && low <= 0xdfff)) break;
      index += 2;
    } else {
      if (!(first ? isWideNameStart(code) : isWideNamePart(code))) break;
      index += 1;
    }
  }
  return index;
}
