/** Character codes and classes shared by the XML readers (parse-xml.ts and its flat fast path). */

export const SLASH = 0x2f;
export const LESS_THAN = 0x3c;
export const GREATER_THAN = 0x3e;

/** XML whitespace: space, tab, line feed, carriage return. */
export function isXmlSpace(code: number): boolean {
  return code === 0x20 || code === 0x0a || code === 0x09 || code === 0x0d;
}
