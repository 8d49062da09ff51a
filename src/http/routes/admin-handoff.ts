/**
 * The operator API of the hand-off to people (SPEC §8), under `/admin/api/handoff`, guarded by `ADMIN_TOKEN` like
 * the rest of `/admin/api` (registered by admin.ts). It needs no WeChat API access, so unlike the other admin
 * routes it also works on an instance without `WECHAT_APPSECRET`.
 *
 * | route                                  | answer                                                                    |
 * |----------------------------------------|---------------------------------------------------------------------------|
 * | `GET /admin/api/handoff`               | `{ users: [{ openid, since, until, remainingSeconds }] }`, longest first |
 * | `DELETE /admin/api/handoff/:openid`    | `{ ok: true }`: the AI answers that user again; 404 `not_handed_off`      |
 *
 * Times are ISO strings. With the hand-off off (`HANDOFF_KEYWORDS` empty, or `EXTERNAL_SERVICE_TYPE=echo`) both
 * answer 404 `handoff_off`. A store failure (Redis) is 500 `internal_error`, details only in the log.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { handoffEntryJson } from '../../guard/handoff/handoff-entry-json.js';
import type { HandoffStore } from '../../guard/handoff/handoff-store.js';
import { bearerTokenGuard } from '../admin/bearer-token-guard.js';

export interface AdminHandoffRouteOptions {
  /** `ADMIN_TOKEN`. */
  token: string;
  /** Absent when the hand-off is off. */
  handoff?: HandoffStore;
  now?: () => number;
}

/**
 * Well over any openid WeChat issues (28 characters): a longer path segment is a mistake, not a user. (Fastify
 * itself answers 414 for a segment over 100 characters.)
 */
const MAX_OPENID_LENGTH = 64;

function sendError(error: Error & { statusCode?: number }, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const status = error.statusCode;
  if (status !== undefined && status >= 400 && status < 500) return reply.code(status).send({ error: 'request_rejected', message: error.message });
  request.log.error({ err: error, url: request.routeOptions.url }, 'admin request failed');
  return reply.code(500).send({ error: 'internal_error' });
}

export async function adminHandoffRoutes(app: FastifyInstance, options: AdminHandoffRouteOptions): Promise<void> {
  const now = options.now ?? Date.now;
  app.addHook('onRequest', bearerTokenGuard(options.token));
  app.addHook('onRequest', async (_request, reply) => {
    if (options.handoff !== undefined) return undefined;
    return reply.code(404).send({
      error: 'handoff_off',
      message: 'the hand-off to people is off on this instance (HANDOFF_KEYWORDS is empty, or EXTERNAL_SERVICE_TYPE=echo)',
    });
  });
  app.setErrorHandler(sendError);
  // The hook above answered 404 when the store is missing, so handlers only run with it.
  const store = (): HandoffStore => options.handoff!;

  app.get('/', async () => {
    const at = now();
    return { users: (await store().list()).map((entry) => handoffEntryJson(entry, at)) };
  });

  app.delete<{ Params: { openid: string } }>('/:openid', async (request, reply) => {
    const { openid } = request.params;
    if (openid.length > MAX_OPENID_LENGTH) {
      return reply.code(400).send({ error: 'invalid_request', issues: [{ path: 'openid', message: `at most ${MAX_OPENID_LENGTH} characters` }] });
    }
    if (!(await store().end(openid))) return reply.code(404).send({ error: 'not_handed_off', message: 'this user is not handed off' });
    request.log.info('admin: hand-off released; the AI answers the user again');
    return { ok: true };
  });
}
