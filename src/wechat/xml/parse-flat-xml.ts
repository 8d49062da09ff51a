import type { XmlRecord } from '../message/types.js';
import { GREATER_THAN, isXmlSpace as isSpace, LESS_THAN, SLASH } from './xml-chars.js';

/**
 * The fast path of `parseXml` for the shape WeChat actually sends: `<xml>` holding simple elements, each with one
 * CDATA section or plain text, e.g.
 *
 *   <xml><ToUserName><![CDATA[gh_…]]></ToUserName><CreateTime>1700000000</CreateTime>…</xml>
 *
 * It returns exactly what the full reader returns for such a document (its record prototype included), and
 * `undefined` for anything else — attributes, nesting, comments, references, a declaration, repeated names,
 * whitespace inside tags, text beside CDATA, malformed input — so that the full reader, with every check and
 * error of its own, decides those from scratch. It never throws.
 *
 * Whitespace (space, tab, CR, LF) between the elements and around text is allowed, as WeChat sometimes sends
 * line breaks; element names are ASCII letters, digits and `_` (not starting with a digit).
 */
export function parseFlatXml(text: string, newRecord: () => XmlRecord, maxElements: number): XmlRecord | undefined {
  if (!matchesAt(text, 0, '<xml>')) return undefined;
  const fields = newRecord();
  let count = 1;
  let position = 5;
  for (;;) {
    position = skipSpace(text, position);
    if (text.charCodeAt(position) !== LESS_THAN) return undefined;
    if (text.charCodeAt(position + 1) === SLASH) {
      // Only the root's end tag can come here, followed by nothing but whitespace.
      if (!matchesAt(text, position + 2, 'xml>')) return undefined;
      return skipSpace(text, position + 6) === text.length ? fields : undefined;
    }
    // Start tag: `<Name>`.
    const nameStart = position + 1;
    const nameEnd = scanSimpleName(text, nameStart);
    if (nameEnd === nameStart || text.charCodeAt(nameEnd) !== GREATER_THAN) return undefined;
    const name = knownName(text, nameStart, nameEnd) ?? text.slice(nameStart, nameEnd);
    if (fields[name] !== undefined || ++count > maxElements) return undefined;
    let contentStart = nameEnd + 1;
    let value: string;
    let valueEnd: number;
    if (matchesAt(text, contentStart, '<![CDATA[')) {
      const cdataEnd = text.indexOf(']]>', contentStart + 9);
      if (cdataEnd < 0) return undefined;
      value = text.slice(contentStart + 9, cdataEnd);
      valueEnd = cdataEnd + 3;
    } else {
      valueEnd = text.indexOf('<', contentStart);
      if (valueEnd < 0) return undefined;
      let end = valueEnd;
      while (contentStart < end && isSpace(text.charCodeAt(contentStart))) contentStart += 1;
      while (end > contentStart && isSpace(text.charCodeAt(end - 1))) end -= 1;
      value = text.slice(contentStart, end);
      if (value.includes('&') || value.includes(']]>')) return undefined;
    }
    // End tag: exactly `</Name>`.
    if (text.charCodeAt(valueEnd) !== LESS_THAN || text.charCodeAt(valueEnd + 1) !== SLASH) return undefined;
    const closeName = valueEnd + 2;
    if (!sameAt(text, closeName, nameStart, nameEnd) || text.charCodeAt(closeName + name.length) !== GREATER_THAN) return undefined;
    fields[name] = value;
    position = closeName + name.length + 1;
  }
}

function skipSpace(text: string, position: number): number {
  while (position < text.length && isSpace(text.charCodeAt(position))) position += 1;
  return position;
}

// Character loops rather than String#startsWith, which measured several times slower on the two-byte strings
// that any Chinese text makes of a whole document.

/** Whether `literal` occurs in `text` at `position`. */
function matchesAt(text: string, position: number, literal: string): boolean {
  for (let index = 0; index < literal.length; index++) {
    if (text.charCodeAt(position + index) !== literal.charCodeAt(index)) return false;
  }
  return true;
}

/** Whether `text` at `position` repeats `text[start, end)`. */
function sameAt(text: string, position: number, start: number, end: number): boolean {
  for (let index = start; index < end; index++) {
    if (text.charCodeAt(position + index - start) !== text.charCodeAt(index)) return false;
  }
  return true;
}

/** End of a name of ASCII letters, digits and `_` starting at `start` (not with a digit); `start` if none. */
function scanSimpleName(text: string, start: number): number {
  let index = start;
  for (;;) {
    const code = text.charCodeAt(index);
    const letter = (code >= 0x41 && code <= 0x5a) || (code >= 0x61 && code <= 0x7a) || code === 0x5f;
    if (!letter && !(index > start && code >= 0x30 && code <= 0x39)) return index;
    index += 1;
  }
}

/**
 * The names of WeChat's message fields, so that a field name is a constant string rather than a fresh slice
 * that V8 would look up in its string table on every property store.
 */
const KNOWN_NAMES: readonly string[] = [
  'xml', 'ToUserName', 'FromUserName', 'CreateTime', 'MsgType', 'Content', 'MsgId', 'MsgID', 'Encrypt', 'Event',
  'EventKey', 'Ticket', 'PicUrl', 'MediaId', 'Format', 'Recognition', 'ThumbMediaId', 'Location_X', 'Location_Y',
  'Scale', 'Label', 'Title', 'Description', 'Url', 'Latitude', 'Longitude', 'Precision', 'Status', 'bizmsgmenuid',
  'MsgDataId', 'Idx', 'AgentID',
];
const NAMES_BY_LENGTH: string[][] = [];
for (const known of KNOWN_NAMES) (NAMES_BY_LENGTH[known.length] ??= []).push(known);

function knownName(text: string, start: number, end: number): string | undefined {
  const candidates = NAMES_BY_LENGTH[end - start];
  if (candidates === undefined) return undefined;
  for (const candidate of candidates) if (matchesAt(text, start, candidate)) return candidate;
  return undefined;
}
