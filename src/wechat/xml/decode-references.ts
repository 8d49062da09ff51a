import { XmlParseError } from './xml-parse-error.js';

/**
 * Decodes the five predefined entities and numeric character references in `raw` (text outside CDATA, or an
 * attribute value). Any other `&…` — a named entity, a reference to a code point that is not an XML `Char`, an
 * unterminated one — throws `XmlParseError('malformed')`: there is no DTD, so nothing else can be defined.
 *
 * `offset` is where `raw` starts in the document, for error positions only.
 */
export function decodeReferences(raw: string, offset: number): string {
  let result = '';
  let copiedUpTo = 0;
  let ampersand = raw.indexOf('&');
  while (ampersand !== -1) {
    const semicolon = findSemicolon(raw, ampersand + 1);
    if (semicolon === -1) throw new XmlParseError('malformed', offset + ampersand, 'unterminated character reference');
    const replacement = resolveReference(raw, ampersand + 1, semicolon);
    if (replacement === undefined) {
      throw new XmlParseError('malformed', offset + ampersand, 'unknown entity or invalid character reference');
    }
    result += raw.slice(copiedUpTo, ampersand) + replacement;
    copiedUpTo = semicolon + 1;
    ampersand = raw.indexOf('&', copiedUpTo);
  }
  return result + raw.slice(copiedUpTo);
}

/** Longest reference body accepted (`#x` plus 8 hex digits with leading zeros is plenty); bounds the scan. */
const MAX_REFERENCE_BODY = 12;

function findSemicolon(raw: string, start: number): number {
  const limit = Math.min(raw.length, start + MAX_REFERENCE_BODY + 1);
  for (let index = start; index < limit; index += 1) {
    if (raw.charCodeAt(index) === 0x3b /* ; */) return index;
  }
  return -1;
}

function resolveReference(raw: string, start: number, end: number): string | undefined {
  if (raw.charCodeAt(start) !== 0x23 /* # */) {
    switch (raw.slice(start, end)) {
      case 'lt':
        return '<';
      case 'gt':
        return '>';
      case 'amp':
        return '&';
      case 'apos':
        return "'";
      case 'quot':
        return '"';
      default:
        return undefined;
    }
  }
  const hex = raw.charCodeAt(start + 1) === 0x78; /* x */
  const firstDigit = hex ? start + 2 : start + 1;
  if (firstDigit >= end) return undefined;
  let codePoint = 0;
  for (let index = firstDigit; index < end; index += 1) {
    const digit = digitValue(raw.charCodeAt(index), hex);
    if (digit === -1) return undefined;
    codePoint = codePoint * (hex ? 16 : 10) + digit;
    if (codePoint > 0x10ffff) return undefined;
  }
  return isXmlChar(codePoint) ? String.fromCodePoint(codePoint) : undefined;
}

function digitValue(code: number, hex: boolean): number {
  if (code >= 0x30 && code <= 0x39) return code - 0x30;
  if (!hex) return -1;
  if (code >= 0x61 && code <= 0x66) return code - 0x61 + 10;
  if (code >= 0x41 && code <= 0x46) return code - 0x41 + 10;
  return -1;
}

/** XML 1.0 `Char`: what a character reference may produce. */
function isXmlChar(codePoint: number): boolean {
  return (
    codePoint === 0x9 ||
    codePoint === 0xa ||
    codePoint === 0xd ||
    (codePoint >= 0x20 && codePoint <= 0xd7ff) ||
    (codePoint >= 0xe000 && codePoint <= 0xfffd) ||
    (codePoint >= 0x10000 && codePoint <= 0x10ffff)
  );
}
