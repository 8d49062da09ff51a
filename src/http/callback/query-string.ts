/**
 * The query string of a request target, parsed for the callback's hot path. A parameter given twice becomes an
 * array (so callers that expect one value treat it as missing); an undecodable `%` escape makes the value
 * undefined rather than throwing.
 */
export type Query = Record<string, string | string[] | undefined>;

export function parseQuery(url: string): Query {
  // A plain object (fast property access); `__proto__` is refused below so that no name can reach the prototype.
  const query: Query = {};
  const start = url.indexOf('?');
  if (start < 0) return query;
  for (const pair of url.slice(start + 1).split('&')) {
    if (pair === '') continue;
    const equals = pair.indexOf('=');
    const name = decode(equals < 0 ? pair : pair.slice(0, equals));
    if (name === undefined || name === '__proto__') continue;
    const value = equals < 0 ? '' : decode(pair.slice(equals + 1));
    // Own properties only: an inherited name such as `constructor` must not look like an earlier value.
    query[name] = Object.hasOwn(query, name) ? ([] as string[]).concat(query[name] ?? [], value ?? []) : value;
  }
  return query;
}

function decode(text: string): string | undefined {
  if (!text.includes('%') && !text.includes('+')) return text;
  try {
    return decodeURIComponent(text.replaceAll('+', ' '));
  } catch {
    return undefined;
  }
}
