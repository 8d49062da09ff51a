import type { XmlRecord, XmlValue } from '../message/types.js';
import { decodeReferences } from './decode-references.js';
import { parseFlatXml } from './parse-flat-xml.js';
import { GREATER_THAN, isXmlSpace as isSpace, SLASH } from './xml-chars.js';
import { scanName } from './xml-name.js';
import { XmlParseError } from './xml-parse-error.js';

export { XmlParseError } from './xml-parse-error.js';
export type { XmlParseErrorCode } from './xml-parse-error.js';

/** Deepest element nesting accepted; the root is at depth 1. */
export const MAX_XML_DEPTH = 32;
/** Most elements accepted in one document, the root included. */
export const MAX_XML_ELEMENTS = 10_000;

export interface ParsedXml {
  /** Name of the root element (`xml` for everything WeChat sends). */
  root: string;
  /** The root's child elements; `{}` when it has none. */
  fields: XmlRecord;
}

/**
 * A strict, single-pass reader for the small XML documents WeChat sends, built for the callback hot path.
 *
 * Contract (anything outside it throws `XmlParseError`, and nothing else is ever thrown):
 * - Prolog: an optional BOM and whitespace, then an optional `<?xml version…?>` declaration, then comments and
 *   whitespace. No other processing instruction, anywhere.
 * - No DTD, ever: `<!` followed by a letter (`<!DOCTYPE`, `<!ENTITY`, `<!ELEMENT`, `<!ATTLIST`, any case) in
 *   markup throws code `doctype`, wherever it is. Inside a CDATA section or a comment it is just characters.
 * - Comments are skipped; they must be terminated and must not contain `--`.
 * - CDATA sections are kept verbatim (no line-ending normalisation, no decoding). Adjacent sections are
 *   concatenated, so a `]]>` split as `]]]]><![CDATA[>` comes back whole.
 * - Text outside CDATA is trimmed of XML whitespace (space, tab, CR, LF) per segment — it is formatting — then
 *   the five predefined entities and numeric references are decoded; any other `&…` is malformed, as are `<`
 *   not starting markup and `]]>` outside CDATA.
 * - An element's value is the concatenation of its text and CDATA segments, or, when it has child elements, an
 *   `XmlRecord` of them; repeated sibling names become arrays in document order. Records have no prototype,
 *   so names such as `__proto__` or `constructor` are plain keys.
 * - Mixed content — non-empty text or CDATA in an element that also has child elements — is malformed:
 *   WeChat never sends it, and silently dropping either part would hide data.
 * - Attributes are checked for well-formedness (name, `=`, quoted value without `<`, valid references, no
 *   duplicates) and then ignored. Tag names follow the XML `Name` production; end tags must match.
 * - Text of the root element itself (no children) is not reported: `fields` is `{}`.
 * - More than `MAX_XML_DEPTH` levels → `too-deep`; more than `MAX_XML_ELEMENTS` elements → `too-large`.
 * - Character validity of text is not checked (a user's odd character must not turn into a 400).
 *
 * Documents of the flat shape WeChat sends take a fast path (`parseFlatXml`) with the same result; everything
 * else, and every error, comes from the full reader below.
 */
export function parseXml(text: string): ParsedXml {
  if (typeof text !== 'string') throw new XmlParseError('malformed', 0, 'input is not a string');
  return parseXmlFlat(text) ?? new XmlReader(text).read();
}

/** `parseXml` without the fast path: the full reader alone (tests compare the two). */
export function parseXmlFully(text: string): ParsedXml {
  if (typeof text !== 'string') throw new XmlParseError('malformed', 0, 'input is not a string');
  return new XmlReader(text).read();
}

/** `parseFlatXml` as `parseXml` calls it (tests compare the two). */
export function parseXmlFlat(text: string): ParsedXml | undefined {
  const flat = parseFlatXml(text, newRecord, MAX_XML_ELEMENTS);
  return flat === undefined ? undefined : { root: 'xml', fields: flat };
}

const BANG = 0x21;
const EQUALS = 0x3d;
const QUESTION_MARK = 0x3f;
const DOUBLE_QUOTE = 0x22;
const SINGLE_QUOTE = 0x27;
const BYTE_ORDER_MARK = 0xfeff;

function isAsciiLetter(code: number): boolean {
  return (code >= 0x41 && code <= 0x5a) || (code >= 0x61 && code <= 0x7a);
}

/**
 * Prototype of every record: itself without a prototype, so records inherit nothing (`constructor`, `toString`,
 * the `__proto__` accessor) and such names are plain keys. Unlike `Object.create(null)` objects, which V8 keeps
 * as hash tables, objects with a (frozen, empty) prototype stay in fast mode.
 */
const RECORD_PROTOTYPE: object = Object.freeze(Object.create(null) as object);

function newRecord(): XmlRecord {
  return Object.create(RECORD_PROTOTYPE) as XmlRecord;
}

function malformed(offset: number, detail: string): XmlParseError {
  return new XmlParseError('malformed', offset, detail);
}

/** One parse: the input, a cursor and the stack of open elements (parallel arrays, top = last). */
class XmlReader {
  private readonly text: string;
  private readonly names: string[] = [];
  /** Child record of each open element, created with its first child. */
  private readonly records: (XmlRecord | undefined)[] = [];
  /** Text collected so far for each open element. */
  private readonly texts: string[] = [];
  private elementCount = 0;
  private rootName: string | undefined;
  private rootFields: XmlRecord | undefined;

  constructor(text: string) {
    this.text = text;
  }

  read(): ParsedXml {
    const text = this.text;
    let position = this.skipDeclaration();
    for (;;) {
      const lessThan = text.indexOf('<', position);
      const textEnd = lessThan === -1 ? text.length : lessThan;
      if (textEnd > position) this.addText(position, textEnd);
      if (lessThan === -1) break;
      const marker = text.charCodeAt(lessThan + 1);
      if (marker === SLASH) position = this.closeElement(lessThan);
      else if (marker === BANG) position = this.readBangMarkup(lessThan);
      else if (marker === QUESTION_MARK) throw malformed(lessThan, 'processing instruction');
      else position = this.openElement(lessThan);
    }
    if (this.names.length > 0) throw malformed(text.length, 'unclosed element');
    if (this.rootName === undefined || this.rootFields === undefined) throw malformed(text.length, 'no root element');
    return { root: this.rootName, fields: this.rootFields };
  }

  /** Skips a BOM, whitespace and the `<?xml …?>` declaration; returns where the rest of the prolog starts. */
  private skipDeclaration(): number {
    const text = this.text;
    let position = text.charCodeAt(0) === BYTE_ORDER_MARK ? 1 : 0;
    position = this.skipSpace(position);
    if (!text.startsWith('<?xml', position) || !isSpace(text.charCodeAt(position + 5))) return position;
    const contentStart = this.skipSpace(position + 5);
    const end = text.indexOf('?>', contentStart);
    if (end === -1) throw malformed(position, 'unterminated XML declaration');
    if (!text.startsWith('version', contentStart) || text.slice(contentStart, end).includes('<')) {
      throw malformed(position, 'invalid XML declaration');
    }
    return end + 2;
  }

  private skipSpace(position: number): number {
    const text = this.text;
    while (position < text.length && isSpace(text.charCodeAt(position))) position += 1;
    return position;
  }

  /** Character data between markup: trimmed, then decoded; only whitespace is allowed outside the root. */
  private addText(start: number, end: number): void {
    const text = this.text;
    while (start < end && isSpace(text.charCodeAt(start))) start += 1;
    while (end > start && isSpace(text.charCodeAt(end - 1))) end -= 1;
    if (start === end) return;
    if (this.names.length === 0) throw malformed(start, 'text outside the root element');
    let segment = text.slice(start, end);
    if (segment.includes(']]>')) throw malformed(start, '`]]>` outside CDATA');
    if (segment.includes('&')) segment = decodeReferences(segment, start);
    this.appendToTop(segment, start);
  }

  private appendToTop(value: string, offset: number): void {
    if (value === '') return;
    const top = this.names.length - 1;
    if (this.records[top] !== undefined) throw malformed(offset, 'text mixed with child elements');
    this.texts[top] += value;
  }

  /** `<![CDATA[…]]>`, `<!--…-->`, or a markup declaration (refused). */
  private readBangMarkup(lessThan: number): number {
    const text = this.text;
    if (text.startsWith('[CDATA[', lessThan + 2)) {
      if (this.names.length === 0) throw malformed(lessThan, 'CDATA outside the root element');
      const contentStart = lessThan + 9;
      const end = text.indexOf(']]>', contentStart);
      if (end === -1) throw malformed(lessThan, 'unterminated CDATA section');
      this.appendToTop(text.slice(contentStart, end), lessThan);
      return end + 3;
    }
    if (text.startsWith('--', lessThan + 2)) {
      const end = text.indexOf('-->', lessThan + 4);
      if (end === -1) throw malformed(lessThan, 'unterminated comment');
      // The first `--` must be the one that closes the comment.
      if (text.indexOf('--', lessThan + 4) !== end) throw malformed(lessThan, '`--` inside a comment');
      return end + 3;
    }
    if (isAsciiLetter(text.charCodeAt(lessThan + 2))) {
      throw new XmlParseError('doctype', lessThan, 'markup declarations (DOCTYPE, ENTITY, …) are not accepted');
    }
    throw malformed(lessThan, 'invalid `<!` markup');
  }

  private openElement(lessThan: number): number {
    const text = this.text;
    const nameStart = lessThan + 1;
    const nameEnd = scanName(text, nameStart);
    if (nameEnd === nameStart) throw malformed(lessThan, '`<` not followed by a tag name');
    let cursor = nameEnd;
    let code = text.charCodeAt(cursor);
    if (code !== GREATER_THAN && code !== SLASH) {
      cursor = this.skipAttributes(cursor);
      code = text.charCodeAt(cursor);
    }
    let selfClosing = false;
    if (code === SLASH) {
      if (text.charCodeAt(cursor + 1) !== GREATER_THAN) throw malformed(cursor, 'expected `/>`');
      selfClosing = true;
      cursor += 2;
    } else {
      cursor += 1; // `>`, guaranteed by skipAttributes or the check above
    }

    this.elementCount += 1;
    if (this.elementCount > MAX_XML_ELEMENTS) throw new XmlParseError('too-large', lessThan, 'too many elements');
    const depth = this.names.length;
    if (depth === 0 && this.rootName !== undefined) throw malformed(lessThan, 'element after the root element');
    if (depth + 1 > MAX_XML_DEPTH) throw new XmlParseError('too-deep', lessThan, 'elements nested too deeply');
    if (depth > 0 && this.texts[depth - 1] !== '') throw malformed(lessThan, 'child element mixed with text');

    const name = text.slice(nameStart, nameEnd);
    if (selfClosing) this.finishElement(name, undefined, '');
    else {
      this.names.push(name);
      this.records.push(undefined);
      this.texts.push('');
    }
    return cursor;
  }

  /**
   * Checks the attributes that start at `cursor` (just after the tag name) and returns the index of the `>` or
   * `/` that ends the tag. Values are validated, never kept.
   */
  private skipAttributes(cursor: number): number {
    const text = this.text;
    // A Set, not an array: a 1 MB tag can hold ~150 000 attributes, and pairwise checks would be quadratic.
    let seen: Set<string> | undefined;
    for (;;) {
      const afterSpace = this.skipSpace(cursor);
      const code = text.charCodeAt(afterSpace);
      if (code === GREATER_THAN || code === SLASH) return afterSpace;
      if (afterSpace === cursor) throw malformed(cursor, 'expected whitespace, `>` or `/>` in a tag');
      const attributeNameEnd = scanName(text, afterSpace);
      if (attributeNameEnd === afterSpace) throw malformed(afterSpace, 'invalid attribute name');
      const attributeName = text.slice(afterSpace, attributeNameEnd);
      seen ??= new Set();
      if (seen.has(attributeName)) throw malformed(afterSpace, 'duplicate attribute');
      seen.add(attributeName);
      let position = this.skipSpace(attributeNameEnd);
      if (text.charCodeAt(position) !== EQUALS) throw malformed(position, 'expected `=` after attribute name');
      position = this.skipSpace(position + 1);
      const quote = text.charCodeAt(position);
      if (quote !== DOUBLE_QUOTE && quote !== SINGLE_QUOTE) throw malformed(position, 'unquoted attribute value');
      const valueEnd = text.indexOf(quote === DOUBLE_QUOTE ? '"' : "'", position + 1);
      if (valueEnd === -1) throw malformed(position, 'unterminated attribute value');
      const value = text.slice(position + 1, valueEnd);
      if (value.includes('<')) throw malformed(position, '`<` in an attribute value');
      if (value.includes('&')) decodeReferences(value, position + 1);
      cursor = valueEnd + 1;
    }
  }

  private closeElement(lessThan: number): number {
    const text = this.text;
    const top = this.names.length - 1;
    const name = this.names[top];
    if (name === undefined) throw malformed(lessThan, 'end tag without a start tag');
    if (!text.startsWith(name, lessThan + 2)) throw malformed(lessThan, 'end tag does not match start tag');
    // A longer name (`</ab>` for `<a>`) leaves a name character here, which is neither space nor `>`.
    const cursor = this.skipSpace(lessThan + 2 + name.length);
    if (text.charCodeAt(cursor) !== GREATER_THAN) throw malformed(lessThan, 'end tag does not match start tag');
    const record = this.records[top];
    const ownText = this.texts[top] ?? '';
    this.names.pop();
    this.records.pop();
    this.texts.pop();
    this.finishElement(name, record, ownText);
    return cursor + 1;
  }

  /** Attaches a completed element to its parent, or records it as the root. */
  private finishElement(name: string, record: XmlRecord | undefined, ownText: string): void {
    const parent = this.names.length - 1;
    if (parent < 0) {
      this.rootName = name;
      this.rootFields = record ?? newRecord();
      return;
    }
    const value: XmlValue = record ?? ownText;
    let siblings = this.records[parent];
    if (siblings === undefined) {
      siblings = newRecord();
      this.records[parent] = siblings;
    }
    const existing = siblings[name];
    // Element values are strings or records, so an array here is always one this reader made for repeats.
    if (existing === undefined) siblings[name] = value;
    else if (Array.isArray(existing)) existing.push(value);
    else siblings[name] = [existing, value];
  }
}
