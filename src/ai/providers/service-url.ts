/**
 * `EXTERNAL_SERVICE_URL` may name a service's base (`…/v1`, `http://127.0.0.1:11434`) or one of its endpoints
 * (`…/v1/chat/completions`, `…/api/chat`): both forms are accepted everywhere.
 */

/** `url` without trailing slashes and without `endpointPath` when it ends with it: the service's base. */
export function baseUrlOf(url: string, endpointPath: string): string {
  const trimmed = url.trim().replace(/\/+$/, '');
  return trimmed.endsWith(endpointPath) ? trimmed.slice(0, -endpointPath.length) : trimmed;
}

/** The full URL of `endpointPath` (e.g. `/api/chat`) whichever form `url` has. */
export function endpointUrl(url: string, endpointPath: string): string {
  return `${baseUrlOf(url, endpointPath)}${endpointPath}`;
}
