/**
 * `bearerTokenGuard(token)`: an `onRequest` hook that lets a request through only with
 * `Authorization: Bearer <token>` and otherwise answers 401 with `WWW-Authenticate: Bearer`. It guards the
 * operator API, `/metrics` and `/dashboard`, which `ADMIN_TOKEN` also guards.
 *
 * With `{ basic: true }` it also accepts HTTP Basic credentials whose password is the token (any user name) and
 * its 401 asks for them (`WWW-Authenticate: Basic`): a browser that navigates to a page cannot send a bearer
 * header, but it prompts for Basic credentials and then sends them with every request to the same place.
 *
 * Both sides are hashed with SHA-256 before `timingSafeEqual`, so the comparison takes the same time whatever
 * the presented value is — its length included. Neither the expected nor the presented token is ever logged or
 * echoed; the log says only whether one was missing or wrong.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';

const sha256 = (value: string): Buffer => createHash('sha256').update(value, 'utf8').digest();

/** The token of an `Authorization: Bearer <token>` header (scheme case-insensitive, RFC 7235), else `undefined`. */
export function bearerTokenOf(header: string | undefined): string | undefined {
  const match = /^Bearer +([^\s]+) *$/i.exec(header ?? '');
  return match?.[1];
}

/** The password of an `Authorization: Basic base64(user:password)` header (RFC 7617), else `undefined`. */
export function basicPasswordOf(header: string | undefined): string | undefined {
  const match = /^Basic +([A-Za-z0-9+/]+={0,2}) *$/i.exec(header ?? '');
  if (!match) return undefined;
  const credentials = Buffer.from(match[1]!, 'base64').toString('utf8');
  const colon = credentials.indexOf(':');
  return colon === -1 ? undefined : credentials.slice(colon + 1);
}

export interface TokenGuardOptions {
  /** Also accept HTTP Basic auth with the token as password, and ask a browser for it (pages such as /dashboard). */
  basic?: boolean;
}

/** Resolves to the reply when it answered 401 (Fastify then stops the request), else to `undefined`. */
export function bearerTokenGuard(token: string, options: TokenGuardOptions = {}): (request: FastifyRequest, reply: FastifyReply) => Promise<FastifyReply | undefined> {
  const expected = sha256(token);
  const challenge = options.basic ? 'Basic realm="wx-backend"' : 'Bearer realm="wx-backend"';
  return async (request, reply) => {
    const header = request.headers.authorization;
    const presented = bearerTokenOf(header) ?? (options.basic ? basicPasswordOf(header) : undefined);
    if (presented !== undefined && timingSafeEqual(sha256(presented), expected)) return undefined;
    request.log.warn(
      { url: request.url.split('?', 1)[0], ip: request.ip, reason: presented === undefined ? 'no Authorization header with the admin token' : 'wrong admin token' },
      'admin request refused',
    );
    return reply.code(401).header('www-authenticate', challenge).send({ error: 'unauthorized' });
  };
}
