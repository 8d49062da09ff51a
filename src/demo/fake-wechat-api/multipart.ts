/**
 * A multipart/form-data reader for the fake's upload endpoints (RFC 7578): enough for what fetch's FormData,
 * curl and WeChat SDKs send — parts with a Content-Disposition naming the field (and a file name for
 * files), binary content kept byte for byte.
 */

export interface MultipartFile {
  field: string;
  fileName: string;
  contentType: string;
  data: Buffer;
}

export interface MultipartForm {
  fields: Record<string, string>;
  files: MultipartFile[];
}

export class MultipartError extends Error {
  override readonly name = 'MultipartError';
}

const CRLF = Buffer.from('\r\n');
const HEADER_END = Buffer.from('\r\n\r\n');

/** The boundary of a `multipart/form-data` content type, or undefined for any other type. */
export function boundaryOf(contentType: string | undefined): string | undefined {
  if (!contentType || !/^\s*multipart\/form-data\s*(;|$)/i.test(contentType)) return undefined;
  const match = /;\s*boundary\s*=\s*(?:"([^"]+)"|([^;\s]+))/i.exec(contentType);
  return match?.[1] ?? match?.[2];
}

export function parseMultipart(body: Buffer, boundary: string): MultipartForm {
  const delimiter = Buffer.from(`--${boundary}`);
  // Each later delimiter is preceded by CRLF, which belongs to it, not to the part's content.
  const separator = Buffer.concat([CRLF, delimiter]);
  const form: MultipartForm = { fields: {}, files: [] };
  let position = body.indexOf(delimiter);
  if (position < 0) throw new MultipartError('the body does not contain the boundary');
  position += delimiter.length;
  for (;;) {
    if (body[position] === 0x2d && body[position + 1] === 0x2d) return form;
    if (body[position] !== 0x0d || body[position + 1] !== 0x0a) throw new MultipartError('malformed boundary line');
    position += 2;
    const headerEnd = body.indexOf(HEADER_END, position);
    if (headerEnd < 0) throw new MultipartError('a part has no end of headers');
    const headers = parseHeaders(body.subarray(position, headerEnd).toString('utf8'));
    const contentStart = headerEnd + HEADER_END.length;
    const contentEnd = body.indexOf(separator, contentStart);
    if (contentEnd < 0) throw new MultipartError('a part is not terminated by the boundary');
    addPart(form, headers, body.subarray(contentStart, contentEnd));
    position = contentEnd + separator.length;
  }
}

function parseHeaders(text: string): Map<string, string> {
  const headers = new Map<string, string>();
  for (const line of text.split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  return headers;
}

function addPart(form: MultipartForm, headers: Map<string, string>, content: Buffer): void {
  const disposition = dispositionParameters(headers.get('content-disposition') ?? '');
  const field = disposition.get('name');
  if (field === undefined) throw new MultipartError('a part has no field name');
  const fileName = disposition.get('filename*') ?? disposition.get('filename');
  if (fileName === undefined) {
    form.fields[field] = content.toString('utf8');
    return;
  }
  form.files.push({
    field,
    fileName,
    contentType: headers.get('content-type') ?? 'application/octet-stream',
    // A copy, so the file does not keep the whole request body alive.
    data: Buffer.from(content),
  });
}

/** `form-data; name="media"; filename="a.jpg"` → name, filename (quoted, token or RFC 5987 `filename*`). */
function dispositionParameters(value: string): Map<string, string> {
  const parameters = new Map<string, string>();
  const pattern = /;\s*([^=;\s]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;]*))/g;
  for (const match of value.matchAll(pattern)) {
    const name = (match[1] ?? '').toLowerCase();
    const quoted = match[2];
    let parameter = quoted === undefined ? (match[3] ?? '').trim() : quoted.replace(/\\(.)/g, '$1');
    if (name.endsWith('*')) {
      parameter = decodeExtended(parameter);
    } else if (quoted !== undefined) {
      // Browsers and undici escape these three characters in quoted names.
      parameter = parameter.replace(/%22/g, '"').replace(/%0D/gi, '\r').replace(/%0A/gi, '\n');
    }
    parameters.set(name, parameter);
  }
  return parameters;
}

function decodeExtended(value: string): string {
  const match = /^[\w-]*'[^']*'(.*)$/.exec(value);
  try {
    return decodeURIComponent(match?.[1] ?? value);
  } catch {
    return value;
  }
}
