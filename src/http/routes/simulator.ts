/**
 * The web chat simulator (SPEC §3), registered only in demo mode or with `SIMULATOR_ENABLED=true` — otherwise
 * every path under `/simulator` is an ordinary 404.
 *
 * | route                               | what                                                                     |
 * |-------------------------------------|--------------------------------------------------------------------------|
 * | `GET /simulator`                    | the chat page: plain files from `public/simulator/`, nothing from a CDN  |
 * | `GET /simulator/assets/:file`       | the page's style and scripts (`simulator.css`, `simulator.js`, `chat-view.js`) |
 * | `GET /simulator/api/info`           | what the page shows besides the chat: demo or not, menu, delivery modes  |
 * | `POST /simulator/api/messages`      | `{ openid, type: text|image|event, … }` → 202 `{ messageId }`: delivered to the callback as WeChat would |
 * | `GET /simulator/api/events?openid=` | Server-Sent Events: that user's chat (history first, then live)           |
 * | `GET /simulator/api/media/:mediaId` | a picture or voice the simulator showed                                  |
 *
 * Signing and encryption happen here, on the server: the page never gets the token, the AES key or the AppSecret.
 * There is no authentication: whoever reaches these routes can write to the service as any openid, which is why
 * they are off outside demo mode unless `SIMULATOR_ENABLED=true` says otherwise (README: keep that off on a
 * public server, or put it behind access control).
 */
import type { AddressInfo } from 'node:net';
import type { FastifyError, FastifyInstance, FastifyRequest } from 'fastify';
import { SimulatorError, type ChatSimulator } from '../../simulator/chat-simulator.js';
import type { SimulatorInfo } from '../../simulator/create-simulator.js';
import type { SimulatorEvent } from '../../simulator/simulator-events.js';
import { SIMULATOR_MEDIA_PATH } from '../../simulator/simulator-media.js';
import { WeChatApiError } from '../../wechat/api/wechat-api-error.js';
import { InvalidRequestError } from '../admin/admin-request-schemas.js';
import { MAX_MESSAGE_BODY_BYTES, parseFollowedOpenId, parseSimulatorMessage } from '../simulator/simulator-requests.js';
import { loadStaticPage, serveStaticPage } from '../static-page/static-page.js';

export interface SimulatorRouteOptions {
  simulator: ChatSimulator;
  info: SimulatorInfo;
  /** `WECHAT_PATH`: where the simulator delivers. */
  wechatPath: string;
}

/**
 * Only this origin's scripts, style and requests, no inline script or style, no framing. Pictures also from
 * anywhere (a news card's picUrl is the account's choice) and as blob:/data: URLs; sound and video from the media route.
 */
const CONTENT_SECURITY_POLICY = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: blob: https: http:; media-src 'self' blob:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/** SSE comment lines keep proxies and the browser from dropping an idle stream. */
const KEEP_ALIVE_MS = 15_000;

export async function simulatorRoutes(app: FastifyInstance, options: SimulatorRouteOptions): Promise<void> {
  const { simulator, info } = options;
  const page = loadStaticPage('simulator', 'simulator.html', ['simulator.css', 'simulator.js', 'chat-view.js']);
  const streams = new Set<() => void>();

  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error instanceof InvalidRequestError) return reply.code(400).send({ error: 'invalid_request', message: error.message, issues: error.issues });
    if (error instanceof SimulatorError) return reply.code(error.status).send({ error: error.status === 400 ? 'invalid_request' : 'unavailable', message: error.message });
    // A real account's media API refusing a picture (outside demo mode).
    if (error instanceof WeChatApiError) {
      request.log.warn({ errcode: error.errcode, path: error.path }, 'simulator: WeChat API error');
      return reply.code(502).send({ error: 'wechat_api_error', message: `WeChat refused: ${error.errcode} ${error.errmsg}`, errcode: error.errcode });
    }
    const status = error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 500;
    if (status === 500) {
      request.log.error({ err: error, url: request.routeOptions.url }, 'simulator request failed');
      return reply.code(500).send({ error: 'internal_error', message: 'the simulator failed; see the service log' });
    }
    return reply.code(status).send({ error: 'invalid_request', message: error.message, issues: [{ path: '', message: error.message }] });
  });

  serveStaticPage(app, { path: '/simulator', page, contentSecurityPolicy: CONTENT_SECURITY_POLICY });

  app.get('/simulator/api/info', async (_request, reply) => {
    reply.header('cache-control', 'no-store');
    return {
      demo: info.demo,
      pickupKeyword: info.pickupKeyword,
      menu: info.menu ?? null,
      customerServiceShown: info.customerServiceShown,
      modes: simulator.modes,
      defaultMode: simulator.modes[0],
      canSendImages: simulator.canSendImages,
      deliveryTimeoutMs: info.deliveryTimeoutMs,
      deliveries: info.deliveries,
    };
  });

  app.post('/simulator/api/messages', { bodyLimit: MAX_MESSAGE_BODY_BYTES }, async (request, reply) => {
    const { openId, mode, input } = parseSimulatorMessage(request.body);
    const self = selfUrl(app, request);
    const sent = await simulator.send(openId, input, { callbackUrl: `${self}${options.wechatPath}`, selfUrl: self, ...(mode === undefined ? {} : { mode }) });
    return reply.code(202).send(sent);
  });

  app.get('/simulator/api/events', async (request, reply) => {
    const openId = parseFollowedOpenId(request.query);
    const withHistory = (request.query as Record<string, unknown>).history !== '0';
    const lastSeen = Number(request.headers['last-event-id'] ?? 0) || 0;
    reply.hijack();
    const response = reply.raw;
    response.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store, no-transform',
      connection: 'keep-alive',
      // nginx and similar proxies would otherwise hold the stream back in a buffer.
      'x-accel-buffering': 'no',
    });
    const write = (event: SimulatorEvent): void => {
      response.write(`id: ${event.id}\ndata: ${JSON.stringify(event)}\n\n`);
    };
    response.write('retry: 2000\n\n');
    if (withHistory) for (const event of simulator.hub.history(openId)) if (event.id > lastSeen) write(event);
    const unsubscribe = simulator.hub.subscribe(openId, write);
    const keepAlive = setInterval(() => response.write(': ping\n\n'), KEEP_ALIVE_MS);
    const end = (): void => {
      clearInterval(keepAlive);
      unsubscribe();
      streams.delete(end);
      if (!response.writableEnded) response.end();
    };
    streams.add(end);
    request.raw.once('close', end);
    response.once('close', end);
  });

  app.get<{ Params: { mediaId: string } }>(`${SIMULATOR_MEDIA_PATH}/:mediaId`, async (request, reply) => {
    const media = await simulator.readMedia(request.params.mediaId);
    if (media === undefined) return reply.code(404).send({ error: 'not_found', message: 'no such media (the simulator serves only media it showed)' });
    // What the account sent could be any type: never run it as a document of this origin.
    return reply
      .header('content-security-policy', "default-src 'none'; sandbox")
      .header('x-content-type-options', 'nosniff')
      .header('cache-control', 'private, max-age=3600')
      .type(media.contentType || 'application/octet-stream')
      .send(media.data);
  });

  // Open event streams, and the simulator's own deliveries held by the callback, would keep the server from
  // closing: end them first.
  app.addHook('preClose', async () => {
    for (const end of [...streams]) end();
    await simulator.close();
  });
}

/** This server's own base URL as the simulator reaches it: loopback when it listens on every interface. */
function selfUrl(app: FastifyInstance, request: FastifyRequest): string {
  const address = app.server.address() as AddressInfo | string | null;
  if (address === null || typeof address === 'string') return `http://${request.hostname}`;
  const host = address.address === '0.0.0.0' || address.address === '::' ? '127.0.0.1' : address.address;
  return `http://${host.includes(':') ? `[${host}]` : host}:${address.port}`;
}
