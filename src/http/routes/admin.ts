/**
 * The operator API under `/admin/api` (SPEC §3), registered only when `ADMIN_TOKEN` is set — without it every
 * path under `/admin/api` is an ordinary 404. Every request needs `Authorization: Bearer <ADMIN_TOKEN>`
 * (checked before the body is read; see bearer-token-guard.ts).
 *
 * | route                               | body / answer                                                          |
 * |-------------------------------------|------------------------------------------------------------------------|
 * | `POST /admin/api/messages/custom`   | `{ openid, type, …, kfAccount? }` → `{ ok: true }`                      |
 * | `POST /admin/api/messages/template` | `{ openid, templateId, data, url?, miniprogram?, clientMessageId? }` → `{ msgid }` (string) |
 * | `GET /admin/api/menu`               | → `{ menu: <what WeChat has>, actions }`; 404 `no_menu` when none         |
 * | `PUT /admin/api/menu`               | a menu as in `MENU_FILE` (JSON, or YAML with a YAML content type) → `{ ok, menu, actions, actionsApplied }` |
 * | `DELETE /admin/api/menu`            | → `{ ok: true }`                                                        |
 * | `GET /admin/api/token`              | → the access token's state, times, last error — never the token          |
 * | `GET /admin/api/handoff`            | → users handed to the customer-service staff (admin-handoff.ts)           |
 * | `DELETE /admin/api/handoff/:openid` | → `{ ok: true }`: the AI answers that user again                         |
 * | `GET /admin/api/usage?from=&to=&top=` | token usage (guard/usage/usage-report.ts): totals by day and model, top users; days `YYYY-MM-DD` (Asia/Shanghai), default the last 7; `top` default 10 |
 *
 * Errors are JSON `{ error, … }`: 400 `invalid_request` with `issues: [{ path, message }]`; 401 `unauthorized`;
 * 502 `wechat_api_error` with WeChat's `errcode`, `errmsg` and an operator `hint`; 503 `admin_unavailable` when
 * the service has no WeChat API access; 500 `internal_error` with details only in the log.
 *
 * Menu actions: `PUT` validates exactly like `MENU_FILE`, sends WeChat the menu without `reply`/`prompt`, and
 * once WeChat accepted it replaces the running router's click actions (`menuActions`); `DELETE` clears them.
 * The change lives in this process only: other instances and the next start use `MENU_FILE`, which stays the
 * source of truth for actions.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { MenuActionTable } from '../../conversation/menu/menu-action-table.js';
import { MenuFileError, parseMenuText } from '../../conversation/menu/menu-file.js';
import { validateMenu } from '../../conversation/menu/validate-menu.js';
import { WeChatApiError } from '../../wechat/api/wechat-api-error.js';
import { buildUsageReport, UsageQueryError, usageQuery } from '../../guard/usage/usage-report.js';
import type { UsageStore } from '../../guard/usage/usage-store.js';
import { InvalidRequestError, parseCustomMessageRequest, parseTemplateMessageRequest } from '../admin/admin-request-schemas.js';
import type { AdminServices, TokenStatus } from '../admin/admin-services.js';
import { bearerTokenGuard } from '../admin/bearer-token-guard.js';
import type { HandoffStore } from '../../guard/handoff/handoff-store.js';
import { adminHandoffRoutes } from './admin-handoff.js';

export const ADMIN_API_PREFIX = '/admin/api';

/** WeChat's "no menu" errcode. */
const NO_MENU = 46003;

export interface AdminRouteOptions {
  /** `ADMIN_TOKEN`. */
  token: string;
  /** Absent when the service cannot call the WeChat API (no AppSecret): every route then answers 503. */
  services?: AdminServices;
  /** The running router's click actions, updated by `PUT`/`DELETE /admin/api/menu`. */
  menuActions?: MenuActionTable;
  /** Clock, for tests. */
  now?: () => number;
  /** Users handed to the customer-service staff (`/admin/api/handoff`); absent when the hand-off is off. */
  handoff?: HandoffStore;
  /** Token usage, for `GET /admin/api/usage` (answers 503 without it). Needs no WeChat API access. */
  usage?: Pick<UsageStore, 'day'>;
}

/** Route config of the routes that work without WeChat API access (the 503 hook lets them through). */
const WITHOUT_WECHAT_API = { config: { wechatApi: false } };

const YAML_CONTENT_TYPES = ['application/yaml', 'application/x-yaml', 'text/yaml'];

/** The answer for a failed request (see the header); never includes a stack or a secret. */
function sendError(error: Error & { statusCode?: number; code?: string }, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  if (error instanceof UsageQueryError) {
    return reply.code(400).send({ error: 'invalid_request', issues: [{ path: error.parameter, message: error.message }] });
  }
  if (error instanceof InvalidRequestError || error instanceof MenuFileError) {
    return reply.code(400).send({ error: 'invalid_request', issues: error.issues });
  }
  if (error instanceof WeChatApiError) {
    request.log.warn({ errcode: error.errcode, errmsg: error.errmsg, path: error.path, url: request.routeOptions.url }, 'admin request: WeChat API error');
    return reply.code(502).send({ error: 'wechat_api_error', errcode: error.errcode, errmsg: error.errmsg, hint: error.hint ?? null });
  }
  const status = error.statusCode;
  if (status !== undefined && status >= 400 && status < 500) {
    // Fastify's own refusals: malformed JSON, body too large, unsupported content type.
    if (status === 400) return reply.code(400).send({ error: 'invalid_request', issues: [{ path: '', message: error.message }] });
    const name = status === 413 ? 'payload_too_large' : status === 415 ? 'unsupported_media_type' : 'request_rejected';
    return reply.code(status).send({ error: name, message: error.message });
  }
  request.log.error({ err: error, url: request.routeOptions.url }, 'admin request failed');
  return reply.code(500).send({ error: 'internal_error' });
}

/** The token status with only the known fields, times as ISO strings: whatever an implementation adds stays out. */
function tokenStatusBody(status: TokenStatus, now: number): Record<string, unknown> {
  const iso = (time: number | undefined): string | undefined => (time === undefined ? undefined : new Date(time).toISOString());
  return {
    state: status.state,
    expiresAt: iso(status.expiresAt),
    expiresInSeconds: status.expiresAt === undefined ? undefined : Math.max(0, Math.round((status.expiresAt - now) / 1000)),
    obtainedAt: iso(status.obtainedAt),
    lastRefreshAt: iso(status.lastRefreshAt),
    refreshCount: status.refreshCount,
    error: status.error === undefined ? undefined : { errcode: status.error.errcode, errmsg: status.error.errmsg, hint: status.error.hint },
  };
}

async function adminApi(admin: FastifyInstance, options: AdminRouteOptions): Promise<void> {
  const { menuActions } = options;
  const now = options.now ?? Date.now;

  // Authentication first, before any body is read or any other hook runs.
  admin.addHook('onRequest', bearerTokenGuard(options.token));
  admin.addHook('onRequest', async (request, reply) => {
    if (options.services !== undefined || (request.routeOptions.config as { wechatApi?: boolean }).wechatApi === false) return undefined;
    return reply.code(503).send({
      error: 'admin_unavailable',
      message: 'this instance cannot call the WeChat API; set WECHAT_APPID and WECHAT_APPSECRET',
    });
  });
  admin.setErrorHandler(sendError);
  admin.setNotFoundHandler((_request, reply) => reply.code(404).send({ error: 'not_found' }));
  // `curl --data-binary @menu.yaml -H 'content-type: application/yaml'` publishes a menu file as it is.
  admin.addContentTypeParser(YAML_CONTENT_TYPES, { parseAs: 'string' }, (_request, body, done) => {
    try {
      done(null, parseMenuText(body as string, 'yaml'));
    } catch (error) {
      done(error as Error, undefined);
    }
  });

  // The onRequest hook answered 503 when `services` is missing, so handlers only run with it.
  const services = (): AdminServices => options.services!;

  admin.post('/messages/custom', async (request) => {
    const { openId, message, options: sendOptions } = parseCustomMessageRequest(request.body);
    await services().sendCustomMessage(openId, message, sendOptions);
    request.log.info({ type: message.type }, 'admin: customer-service message sent');
    return { ok: true };
  });

  admin.post('/messages/template', async (request) => {
    const message = parseTemplateMessageRequest(request.body);
    const msgid = await services().sendTemplateMessage(message);
    request.log.info({ templateId: message.templateId, msgid }, 'admin: template message sent');
    return { msgid: String(msgid) };
  });

  admin.get('/menu', async (_request, reply) => {
    let menu: object | undefined;
    try {
      menu = await services().getMenu();
    } catch (error) {
      if (!(error instanceof WeChatApiError && error.errcode === NO_MENU)) throw error;
    }
    const actions = menuActions?.toJSON() ?? {};
    if (menu === undefined) return reply.code(404).send({ error: 'no_menu', message: 'the account has no menu set through the API', actions });
    return { menu, actions };
  });

  admin.put('/menu', async (request) => {
    const definition = validateMenu(request.body);
    await services().setMenu(definition.menu);
    menuActions?.replace(definition.actions);
    request.log.info({ buttons: definition.menu.button.length, actions: definition.actions.size }, 'admin: menu published');
    return { ok: true, menu: definition.menu, actions: Object.fromEntries(definition.actions), actionsApplied: menuActions !== undefined };
  });

  admin.delete('/menu', async (request) => {
    await services().deleteMenu();
    menuActions?.replace(new Map());
    request.log.info('admin: menu deleted');
    return { ok: true };
  });

  admin.get('/token', async () => tokenStatusBody(await services().tokenStatus(), now()));

  admin.get('/usage', WITHOUT_WECHAT_API, async (request, reply) => {
    if (options.usage === undefined) return reply.code(503).send({ error: 'usage_unavailable', message: 'this instance keeps no token usage' });
    const { from, to, top } = request.query as Record<string, unknown>;
    return buildUsageReport(options.usage, usageQuery({ from: single('from', from), to: single('to', to), top: single('top', top) }, now()));
  });
}

/** A query parameter given at most once. */
function single(name: 'from' | 'to' | 'top', value: unknown): string | undefined {
  if (value === undefined || typeof value === 'string') return value;
  throw new UsageQueryError(name, 'give it once');
}

export async function adminRoutes(app: FastifyInstance, options: AdminRouteOptions): Promise<void> {
  await app.register(adminApi, { ...options, prefix: ADMIN_API_PREFIX });
  // Beside the rest, with its own guard and errors: it needs no WeChat API and does not depend on the hooks above.
  await app.register(adminHandoffRoutes, {
    token: options.token,
    ...(options.handoff ? { handoff: options.handoff } : {}),
    ...(options.now ? { now: options.now } : {}),
    prefix: `${ADMIN_API_PREFIX}/handoff`,
  });
}
