/**
 * JSON for the WeChat API, exact for 64-bit integers.
 *
 * WeChat sends some ids as bare integers beyond 2^53 (a template message's `msgid`, for one), which
 * `JSON.parse` would silently round. `parseJson` returns every integer that a double cannot hold exactly as
 * the string of its digits instead; every other value is what `JSON.parse` gives. `stringifyJson` is
 * `JSON.stringify` that also writes a `bigint` as a bare integer literal, so such an id can be sent back as
 * WeChat expects it (`BigInt(id)`).
 */

/** Any unsafe integer has at least 16 digits (2^53 = 9007199254740992); without such a run, no scan is needed. */
const LONG_DIGIT_RUN = /\d{16}/;

/**
 * Parses JSON text like `JSON.parse`, except that an integer literal outside `Number.isSafeInteger` becomes
 * a string of the literal's text. Numbers with a fraction or an exponent stay numbers (they are never ids).
 * Digits inside strings are never touched. Throws a `SyntaxError` for invalid JSON, as `JSON.parse` does.
 */
export function parseJson(text: string): unknown {
  return JSON.parse(LONG_DIGIT_RUN.test(text) ? quoteUnsafeIntegers(text) : text);
}

/**
 * Returns `text` with every unsafe integer token outside strings wrapped in double quotes. The scan only
 * needs to know where strings start and end (a `"` not escaped by an odd run of backslashes); invalid JSON
 * stays invalid, so `JSON.parse` still reports it.
 */
export function quoteUnsafeIntegers(text: string): string {
  let result = '';
  let copiedUpTo = 0;
  let index = 0;
  const length = text.length;
  while (index < length) {
    const char = text.charCodeAt(index);
    if (char === QUOTE) {
      index = endOfString(text, index);
      continue;
    }
    if (char === MINUS || isDigit(char)) {
      const start = index;
      index++;
      while (index < length && isDigit(text.charCodeAt(index))) index++;
      const next = text.charCodeAt(index);
      if (next === DOT || next === LOWER_E || next === UPPER_E) {
        // A fraction or exponent: skip the rest of the number and leave it alone.
        index++;
        while (index < length && isNumberPart(text.charCodeAt(index))) index++;
        continue;
      }
      const token = text.slice(start, index);
      if (token !== '-' && !Number.isSafeInteger(Number(token))) {
        result += `${text.slice(copiedUpTo, start)}"${token}"`;
        copiedUpTo = index;
      }
      continue;
    }
    index++;
  }
  return copiedUpTo === 0 ? text : result + text.slice(copiedUpTo);
}

/** Index just past the string that opens at `start` (or the end of the text for an unterminated one). */
function endOfString(text: string, start: number): number {
  let index = start + 1;
  while (index < text.length) {
    const char = text.charCodeAt(index);
    if (char === BACKSLASH) index += 2;
    else if (char === QUOTE) return index + 1;
    else index++;
  }
  return text.length;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const MINUS = 0x2d;
const PLUS = 0x2b;
const DOT = 0x2e;
const LOWER_E = 0x65;
const UPPER_E = 0x45;

function isDigit(char: number): boolean {
  return char >= 0x30 && char <= 0x39;
}

function isNumberPart(char: number): boolean {
  return isDigit(char) || char === DOT || char === LOWER_E || char === UPPER_E || char === PLUS || char === MINUS;
}

/**
 * `JSON.stringify(value)` where a `bigint` is written as a bare integer literal (JSON.stringify throws on
 * one). Everything else follows JSON.stringify: `toJSON` is honoured, `undefined` and functions are left out
 * of objects and become `null` in arrays, non-finite numbers become `null`. Cyclic structures throw.
 */
export function stringifyJson(value: unknown): string {
  const text = write(value, '', new Set());
  if (text === undefined) throw new TypeError('stringifyJson: the value has no JSON form');
  return text;
}

function write(value: unknown, key: string, ancestors: Set<object>): string | undefined {
  if (value !== null && typeof value === 'object' && typeof (value as { toJSON?: unknown }).toJSON === 'function') {
    value = (value as { toJSON(key: string): unknown }).toJSON(key);
  }
  switch (typeof value) {
    case 'bigint':
      return value.toString();
    case 'string':
      return JSON.stringify(value);
    case 'number':
      return Number.isFinite(value) ? String(value) : 'null';
    case 'boolean':
      return value ? 'true' : 'false';
    case 'undefined':
    case 'function':
    case 'symbol':
      return undefined;
  }
  if (value === null) return 'null';
  const object = value as object;
  if (ancestors.has(object)) throw new TypeError('stringifyJson: cyclic structure');
  ancestors.add(object);
  try {
    if (Array.isArray(object)) {
      return `[${object.map((item, index) => write(item, String(index), ancestors) ?? 'null').join(',')}]`;
    }
    // Boxed primitives (new String('x')) are written as their primitive, like JSON.stringify does.
    if (object instanceof Number || object instanceof String || object instanceof Boolean) {
      return write(object.valueOf(), key, ancestors);
    }
    const members: string[] = [];
    for (const [name, member] of Object.entries(object)) {
      const written = write(member, name, ancestors);
      if (written !== undefined) members.push(`${JSON.stringify(name)}:${written}`);
    }
    return `{${members.join(',')}}`;
  } finally {
    ancestors.delete(object);
  }
}
