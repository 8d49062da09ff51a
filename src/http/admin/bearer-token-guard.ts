/**
 * `bearerTokenGuard(token)`: an `onRequest` hook that lets a request through only with
 * `Authorization: Bearer <token>` and otherwise answers 401 with `WWW-Authenticate: Bearer`. It guards the
 * operator API (and is meant for `/metrics` and `/dashboard`, which `ADMIN_TOKEN` also guards).
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

/** Resolves to the reply when it answered 401 (Fastify then stops the request), else to `undefined`. */
export function bearerTokenGuard(token: string): (request: FastifyRequest, reply: FastifyReply) => Promise<FastifyReply | undefined> {
  const expected = sha256(token);
  return async (request, reply) => {
    const presented = bearerTokenOf(request.headers.authorization);
    if (presented !== undefined && timingSafeEqual(sha256(presented), expected)) return undefined;
    request.log.warn(
      { url: request.url.split('?', 1)[0], ip: request.ip, reason: presented === undefined ? 'no Authorization header with the admin token' : 'wrong admin token' },
      'admin request refused',
    );
    return reply.code(401).header('www-authenticate', 'Bearer realm="wx-backend"').send({ error: 'unauthorized' });
  };
}
