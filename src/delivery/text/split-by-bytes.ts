/**
 * Splitting text into pieces that each fit a byte limit in UTF-8 — WeChat's limit for a text message
 * (customer-service or passive reply) is 2048 bytes, where a Chinese character takes 3 bytes and an emoji 4.
 *
 * Each cut is made at the most natural place that still fills a piece at least halfway, in this order of
 * preference: a paragraph break (blank line), a line break, the end of a sentence (`。！？；…` with any closing
 * quotes, or `.!?;` followed by whitespace), a clause mark (`，、：`, or `,:` followed by whitespace), any
 * whitespace, and only then between two graphemes (never inside a surrogate pair, an emoji ZWJ sequence or a
 * character with its combining marks — unless a single grapheme is larger than the limit, where a cut between
 * code points is the only option left). The half-full floor keeps the number of messages low: the
 * customer-service API allows only a few messages per user message.
 *
 * Whitespace at a cut is dropped (trailing whitespace of a piece, blank lines at the start of the next); the
 * indentation of the first line of a piece is kept when the cut was at a line break, so code stays readable.
 * Hence concatenating the pieces with the whitespace that was cut reproduces the text exactly.
 */

export interface SplitByBytesOptions {
  /**
   * Bytes kept free in every piece for something the caller appends afterwards (a page marker such as
   * `（1/3）`, a hint like `…回复「继续」查看更多`): every piece is at most `maxBytes - reserveBytes` bytes.
   * Default 0.
   */
  reserveBytes?: number;
}

/** Where a piece ends (`end`, exclusive) and where the text after it resumes (`next`, past the cut whitespace). */
export interface Utf8Cut {
  end: number;
  next: number;
}

/** The smallest limit that always fits one code point (4 bytes in UTF-8). */
const MIN_PIECE_BYTES = 4;

/** A cut at a preferred boundary is taken only if it leaves the piece at least this full (of its byte limit). */
const MIN_FILL = 0.5;

/** Graphemes longer than this many UTF-16 units past the limit are not looked for (a cut between code points follows). */
const GRAPHEME_LOOKAHEAD = 64;

const CLOSING_MARKS = '”’」』）》】〕)"\'\\]';

interface BoundaryRule {
  pattern: RegExp;
  /** Where the piece ends, relative to the match. */
  cutAt: 'start' | 'end';
  /** After a line break the next piece keeps its first line's indentation; elsewhere all whitespace is dropped. */
  keepsIndentation: boolean;
}

/** In order of preference; patterns are global and used on a window of the text. */
const BOUNDARY_RULES: readonly BoundaryRule[] = [
  { pattern: /\n[ \t\r\f\v]*\n/g, cutAt: 'start', keepsIndentation: true },
  { pattern: /\n/g, cutAt: 'start', keepsIndentation: true },
  {
    // "3. " at the start of a line numbers a list item; it does not end a sentence.
    pattern: new RegExp(`[。！？；…]+[${CLOSING_MARKS}]*|(?<!(?:^|\\n)[ \\t]*\\d{1,9})[.!?;]+[${CLOSING_MARKS}]*(?=\\s|$)`, 'g'),
    cutAt: 'end',
    keepsIndentation: false,
  },
  { pattern: /[，、：]|[,:](?=\s|$)/g, cutAt: 'end', keepsIndentation: false },
  { pattern: /\s+/g, cutAt: 'start', keepsIndentation: false },
];

const graphemes = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

/** UTF-8 length of `text` (a lone surrogate counts 3 bytes, as it is sent as U+FFFD). */
export function utf8ByteLength(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

/**
 * Splits `text` into non-empty pieces of at most `maxBytes - reserveBytes` UTF-8 bytes each (see the module
 * comment for where it cuts). Returns `[]` for a text that is empty or only whitespace, and a single piece when
 * it fits (without its leading blank lines and trailing whitespace).
 */
export function splitByUtf8Bytes(text: string, maxBytes: number, options: SplitByBytesOptions = {}): string[] {
  const limit = pieceLimit(maxBytes, options.reserveBytes ?? 0);
  const pieces: string[] = [];
  let start = skipLeadingWhitespace(text, 0, true);
  while (start < text.length) {
    const cut = findUtf8Cut(text, limit, start);
    const piece = text.slice(start, cut.end).trimEnd();
    if (piece.length > 0) pieces.push(piece);
    start = cut.next;
  }
  return pieces;
}

/**
 * The first cut of `text` from `start` for pieces of at most `maxBytes` UTF-8 bytes: `{ end: text.length, next:
 * text.length }` when the rest fits. The building block of `splitByUtf8Bytes`, for callers that keep the rest
 * (the stream segmenter). `text[start]` should not be whitespace other than indentation.
 */
export function findUtf8Cut(text: string, maxBytes: number, start = 0): Utf8Cut {
  const limit = pieceLimit(maxBytes, 0);
  const windowEnd = prefixEndWithin(text, start, limit);
  if (windowEnd >= text.length) return { end: text.length, next: text.length };

  const minEnd = prefixEndWithin(text, start, Math.floor(limit * MIN_FILL));
  // One character past the window, so that "followed by whitespace" can be seen for a boundary at its very end.
  const window = text.slice(start, windowEnd + 1);
  for (const rule of BOUNDARY_RULES) {
    const end = lastBoundary(window, rule, minEnd - start, windowEnd - start);
    if (end !== undefined && text.slice(start, start + end).trim().length > 0) {
      return { end: start + end, next: skipLeadingWhitespace(text, start + end, rule.keepsIndentation) };
    }
  }
  const end = lastGraphemeBoundary(text, start, windowEnd);
  return { end, next: skipLeadingWhitespace(text, end, false) };
}

function pieceLimit(maxBytes: number, reserveBytes: number): number {
  if (!Number.isInteger(maxBytes) || !Number.isInteger(reserveBytes) || reserveBytes < 0) {
    throw new RangeError(`maxBytes and reserveBytes must be integers, reserveBytes not negative; got ${maxBytes} and ${reserveBytes}`);
  }
  const limit = maxBytes - reserveBytes;
  if (limit < MIN_PIECE_BYTES) throw new RangeError(`pieces need at least ${MIN_PIECE_BYTES} bytes, got maxBytes ${maxBytes} minus reserveBytes ${reserveBytes}`);
  return limit;
}

/** The end of the longest prefix of `text[start..]` that fits `limit` bytes, never inside a surrogate pair. */
function prefixEndWithin(text: string, start: number, limit: number): number {
  let bytes = 0;
  let index = start;
  while (index < text.length) {
    const code = text.charCodeAt(index);
    let size = 3;
    let units = 1;
    if (code < 0x80) size = 1;
    else if (code < 0x800) size = 2;
    else if (isHighSurrogate(code) && isLowSurrogate(text.charCodeAt(index + 1))) {
      size = 4;
      units = 2;
    }
    if (bytes + size > limit) break;
    bytes += size;
    index += units;
  }
  return index;
}

/** The end (relative to the window) of the last boundary of `rule` that ends within [minEnd, maxEnd]. */
function lastBoundary(window: string, rule: BoundaryRule, minEnd: number, maxEnd: number): number | undefined {
  let found: number | undefined;
  rule.pattern.lastIndex = 0;
  for (let match = rule.pattern.exec(window); match !== null; match = rule.pattern.exec(window)) {
    const end = rule.cutAt === 'start' ? match.index : match.index + match[0].length;
    if (end > maxEnd) break;
    if (end >= minEnd && end > 0) found = end;
  }
  return found;
}

/** The last grapheme boundary in (start, windowEnd]; a code point boundary when one grapheme exceeds the window. */
function lastGraphemeBoundary(text: string, start: number, windowEnd: number): number {
  const relativeEnd = windowEnd - start;
  let boundary = 0;
  for (const { index } of graphemes.segment(text.slice(start, windowEnd + GRAPHEME_LOOKAHEAD))) {
    if (index > relativeEnd) break;
    boundary = index;
  }
  // The segment starting exactly at the window's end is a boundary too, and the loop saw it above if present.
  return boundary > 0 ? start + boundary : windowEnd;
}

/**
 * Skips whitespace from `index`. With `keepIndentation`, stops at the start of the first non-blank line instead,
 * so its indentation stays.
 */
function skipLeadingWhitespace(text: string, index: number, keepIndentation: boolean): number {
  let next = index;
  let lineStart = index;
  while (next < text.length && /\s/.test(text[next]!)) {
    if (text[next] === '\n') lineStart = next + 1;
    next += 1;
  }
  if (next >= text.length) return text.length;
  return keepIndentation ? lineStart : next;
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}

function isLowSurrogate(code: number): boolean {
  return code >= 0xdc00 && code <= 0xdfff;
}
