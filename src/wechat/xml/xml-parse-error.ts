/**
 * The only error `parseXml` throws. The endpoint maps every code to HTTP 400.
 *
 * - `doctype`: a markup declaration (`<!DOCTYPE`, `<!ENTITY`, `<!ELEMENT`, …) — never processed, always refused.
 * - `malformed`: anything else that is not well-formed, or that this strict reader does not accept.
 * - `too-deep`: elements nested deeper than the reader allows.
 * - `too-large`: more elements than the reader allows.
 *
 * The message names the problem and its offset but never quotes the input, which may be a user's text.
 */
export type XmlParseErrorCode = 'doctype' | 'malformed' | 'too-deep' | 'too-large';

export class XmlParseError extends Error {
  override readonly name = 'XmlParseError';
  readonly code: XmlParseErrorCode;
  /** UTF-16 offset in the input where the problem was found. */
  readonly offset: number;

  constructor(code: XmlParseErrorCode, offset: number, detail: string) {
    super(`${detail} at offset ${offset}`);
    this.code = code;
    this.offset = offset;
  }
}
