/**
 * A fake WeChat API: a real HTTP server (loopback by default) answering the endpoints the product uses the
 * way api.weixin.qq.com does — tokens, error codes, limits, 64-bit ids — with its state open for inspection.
 * Tests start one per suite; demo mode starts one in-process so the product runs without a WeChat account.
 *
 * Every request is recorded (`calls`) without its access token and with `secret` redacted. Failures can be
 * injected per path (`failNext`), and answers slowed down (`delay`), to exercise the client's policies.
 * What users are sent (customer-service messages, typing) is also published as it happens (`onUserEvent`), so
 * demo mode's web simulator can show it, and stored media is served back (`mediaUrl`).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseJson, stringifyJson } from '../../wechat/api/json.js';
import {
  createFakeState,
  newFakeUser,
  type FakeInteraction,
  type FakeMedia,
  type FakeMediaType,
  type FakeTemplate,
  type FakeUser,
  type FakeUserEvent,
  type FakeUserInit,
  type FakeWeChatState,
} from './fake-state.js';
import { FakeTokens } from './fake-tokens.js';
import { failure, FakeFailure, randomId, type FakeAnswer, type FakeContext, type FakeRequest, type FakeRoute } from './fake-route.js';
import { mediaRoutes } from './media-routes.js';
import { menuRoutes } from './menu-routes.js';
import { grantCustomerServiceMessages, messageRoutes } from './message-routes.js';
import { boundaryOf, parseMultipart, type MultipartForm } from './multipart.js';
import { oauthRoutes } from './oauth-routes.js';
import { qrcodeRoutes } from './qrcode-routes.js';
import { tagRoutes } from './tag-routes.js';
import { tokenRoutes } from './token-routes.js';
import { userRoutes } from './user-routes.js';

export interface FakeWeChatApiOptions {
  appId: string;
  appSecret: string;
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0: any free port (see `url`). */
  port?: number;
  /** Lifetime of access tokens; default 7200. */
  tokenTtlSeconds?: number;
  /** Whether the account may send customer-service messages (verified); default true. */
  customServicePermission?: boolean;
  /** Customer-service messages allowed within 48 hours of a user message; default 5, as in WeChat. */
  customServiceQuota?: number;
  /** Customer-service messages allowed within 1 minute of a menu click, follow or QR scan; default 3, as in WeChat. */
  customServiceEventQuota?: number;
  /** Openids per page of the follower, tag-member and blacklist lists; default 10000 as in WeChat. */
  listPageSize?: number;
}

export interface FakeApiCall {
  method: string;
  path: string;
  /** Query parameters without `access_token`; a `secret` shows as [REDACTED]. */
  query: Record<string, string>;
  /** The JSON body (unsafe integers as strings; `secret` redacted), a summary of a multipart form, or undefined. */
  body: unknown;
  /** Whether the request carried an `access_token`. */
  withAccessToken: boolean;
  /** Date.now() at arrival. */
  at: number;
  /** The errcode answered (0 for a success or a file); undefined until answered. */
  errcode?: number;
}

export interface FailNextOptions {
  /** How many of the next requests to the path fail; default 1. */
  times?: number;
  /** Default: WeChat's message for the code (with a `rid`). */
  errmsg?: string;
}

export interface FakeWeChatApi {
  /** e.g. http://127.0.0.1:41234 — the client's `baseUrl`. */
  url: string;
  /** Every request so far, in arrival order (a live array). */
  calls: readonly FakeApiCall[];
  callsTo(path: string): FakeApiCall[];
  /** The next request(s) to `path` answer `errcode` whatever they ask (before any other check). */
  failNext(path: string, errcode: number, options?: FailNextOptions): void;
  /** Requests to `path` are answered `ms` later (0 removes the delay); with `times`, only the next ones. */
  delay(path: string, ms: number, options?: { times?: number }): void;
  state: FakeWeChatState;
  setCustomServicePermission(allowed: boolean): void;
  /**
   * The user interacted with the account — by default sent it a message — which raises what the account may send
   * them by customer-service message the way WeChat does (a message: the quota for 48 hours; a menu click, follow
   * or scan: the event quota for 1 minute; never adding up). Adds the user if unknown; a follow makes them a
   * follower again.
   */
  noteUserMessage(openId: string, interaction?: FakeInteraction): FakeUser;
  /** Adds (or replaces) a follower, with realistic defaults for what `init` leaves out. */
  addUser(init: FakeUserInit): FakeUser;
  /** Adds a template the account can send; a template id is made up when none is given. */
  addTemplate(init?: Partial<FakeTemplate>): FakeTemplate;
  /** A code as WeChat appends it to the OAuth redirect, for `openId` (added as a non-follower if unknown). */
  issueOAuthCode(openId: string, scope?: 'snsapi_base' | 'snsapi_userinfo'): string;
  /** Every access token issued so far becomes invalid (40001), as when the app secret is reset. */
  revokeTokens(): void;
  /** Every access token issued so far (a live array). */
  issuedTokens: readonly string[];
  /** Calls `listener` with every customer-service message and typing command accepted, for any user; returns the unsubscribe. */
  onUserEvent(listener: (event: FakeUserEvent) => void): () => void;
  /** Stores a file as temporary media, as WeChat keeps what a user sends (the `MediaId` of an image message). */
  addMedia(init: { type: FakeMediaType; data: Buffer; contentType: string; fileName?: string }): FakeMedia;
  /** Where the fake serves a stored media file without an access token (e.g. an image message's `PicUrl`). */
  mediaUrl(mediaId: string): string;
  close(): Promise<void>;
}

const MAX_BODY_BYTES = 25 * 1024 * 1024;
const SECRET_MEMBERS: ReadonlySet<string> = new Set(['secret']);
const ROUTES: readonly FakeRoute[] = [
  ...tokenRoutes,
  ...messageRoutes,
  ...mediaRoutes,
  ...menuRoutes,
  ...userRoutes,
  ...tagRoutes,
  ...qrcodeRoutes,
  ...oauthRoutes,
];

export async function startFakeWeChatApi(options: FakeWeChatApiOptions): Promise<FakeWeChatApi> {
  const host = options.host ?? '127.0.0.1';
  const customServiceQuota = options.customServiceQuota ?? 5;
  const state = createFakeState({
    customServicePermission: options.customServicePermission ?? true,
    customServiceQuota,
    customServiceEventQuota: options.customServiceEventQuota,
  });
  const tokens = new FakeTokens((options.tokenTtlSeconds ?? 7200) * 1000);
  const routes = new Map(ROUTES.map((route) => [route.path, route]));
  const calls: FakeApiCall[] = [];
  const failures = new Map<string, { errcode: number; errmsg?: string }[]>();
  const delays = new Map<string, { ms: number; remaining: number | undefined }>();
  const pendingDelays = new Set<() => void>();
  const userListeners = new Set<(event: FakeUserEvent) => void>();
  let closed = false;

  const context: FakeContext = {
    state,
    tokens,
    appId: options.appId,
    appSecret: options.appSecret,
    baseUrl: '',
    listPageSize: options.listPageSize ?? 10_000,
    publish(event) {
      for (const listener of userListeners) {
        // A subscriber's failure is its own: the fake still answers the request as WeChat would.
        try {
          listener(event);
        } catch {
          /* ignored */
        }
      }
    },
  };

  const wait = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      const finish = (): void => {
        clearTimeout(timer);
        pendingDelays.delete(finish);
        resolve();
      };
      const timer = setTimeout(finish, ms);
      pendingDelays.add(finish);
    });

  const delayFor = (path: string): number => {
    const delay = delays.get(path);
    if (!delay) return 0;
    if (delay.remaining !== undefined && --delay.remaining <= 0) delays.delete(path);
    return delay.ms;
  };

  const answer = (route: FakeRoute | undefined, request: IncomingMessage, url: URL, raw: Buffer): FakeAnswer | undefined => {
    const injected = failures.get(url.pathname)?.shift();
    if (injected) return failure(injected.errcode, injected.errmsg);
    if (!route) return undefined;
    if (request.method !== route.method) return failure(route.method === 'POST' ? 43002 : 43001);
    if (route.accessToken !== false) {
      const check = tokens.check(url.searchParams.get('access_token'));
      if (check !== 'valid') return failure(check === 'missing' ? 41001 : check === 'expired' ? 42001 : 40001);
    }
    const bodyKind = route.body ?? (route.method === 'POST' ? 'json' : 'none');
    let jsonBody: Record<string, unknown> = {};
    let form: MultipartForm | undefined;
    if (bodyKind === 'json') {
      if (raw.length === 0) return failure(44002);
      const parsed = parsedJson(raw);
      if (!parsed) return failure(47001);
      jsonBody = parsed;
    } else if (bodyKind === 'multipart') {
      const boundary = boundaryOf(request.headers['content-type']);
      if (!boundary) return failure(41005);
      try {
        form = parseMultipart(raw, boundary);
      } catch {
        return failure(41005);
      }
    }
    const fakeRequest: FakeRequest = { method: route.method, path: route.path, query: url.searchParams, json: jsonBody, form };
    try {
      return route.handle(fakeRequest, context);
    } catch (error) {
      if (error instanceof FakeFailure) return failure(error.errcode, error.errmsg);
      throw error;
    }
  };

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      if (!response.headersSent) response.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
      response.end(`fake WeChat API failure: ${error instanceof Error ? error.message : String(error)}`);
    });
  });

  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const url = new URL(request.url ?? '/', 'http://fake.invalid');
    const raw = await readBody(request);
    if (raw === undefined) {
      response.writeHead(413).end();
      return;
    }
    const route = routes.get(url.pathname);
    const call: FakeApiCall = {
      method: request.method ?? 'GET',
      path: url.pathname,
      query: recordedQuery(url.searchParams),
      body: recordedBody(route, request, raw),
      withAccessToken: url.searchParams.has('access_token'),
      at: Date.now(),
    };
    calls.push(call);
    const delay = delayFor(url.pathname);
    if (delay > 0) await wait(delay);
    if (closed || response.destroyed) return;
    const result = answer(route, request, url, raw);
    if (!result) {
      call.errcode = 404;
      response.writeHead(404, { 'content-type': 'text/html' }).end('<html><body>404 Not Found</body></html>');
      return;
    }
    call.errcode = result.kind === 'json' ? Number(result.body.errcode ?? 0) : 0;
    send(response, result);
  };

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const urlHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  const url = `http://${urlHost}:${port}`;
  context.baseUrl = url;

  const addUser = (init: FakeUserInit): FakeUser => {
    const user = newFakeUser(init, customServiceQuota);
    state.users.set(user.openId, user);
    return user;
  };

  return {
    url,
    calls,
    callsTo: (path) => calls.filter((call) => call.path === path),
    failNext(path, errcode, { times = 1, errmsg } = {}) {
      const queue = failures.get(path) ?? [];
      for (let index = 0; index < times; index++) queue.push({ errcode, ...(errmsg === undefined ? {} : { errmsg }) });
      failures.set(path, queue);
    },
    delay(path, ms, { times } = {}) {
      if (ms <= 0) delays.delete(path);
      else delays.set(path, { ms, remaining: times });
    },
    state,
    setCustomServicePermission(allowed) {
      state.customServicePermission = allowed;
    },
    noteUserMessage(openId, interaction = 'message') {
      const user = state.users.get(openId) ?? addUser({ openId });
      const now = Date.now();
      if (interaction === 'message') user.lastMessageAt = now;
      if (interaction === 'subscribe' && !user.subscribed) {
        user.subscribed = true;
        user.subscribeTime = Math.floor(now / 1000);
      }
      grantCustomerServiceMessages(state, user, interaction, now);
      return user;
    },
    addUser,
    addTemplate(init = {}) {
      const template: FakeTemplate = {
        templateId: randomId(32),
        title: '订单状态通知',
        primaryIndustry: 'IT科技',
        deputyIndustry: '互联网|电子商务',
        content: '{{first.DATA}}\n订单号：{{keyword1.DATA}}\n状态：{{keyword2.DATA}}\n{{remark.DATA}}',
        example: '您的订单已发货\n订单号：20240101\n状态：已发货\n感谢您的支持',
        ...init,
      };
      state.templates.set(template.templateId, template);
      return template;
    },
    issueOAuthCode(openId, scope = 'snsapi_base') {
      if (!state.users.has(openId)) addUser({ openId, subscribed: false });
      const code = randomId(24);
      state.oauthCodes.set(code, { openId, scope, used: false });
      return code;
    },
    revokeTokens: () => tokens.revokeAll(),
    issuedTokens: tokens.issued,
    onUserEvent(listener) {
      userListeners.add(listener);
      return () => void userListeners.delete(listener);
    },
    addMedia({ type, data, contentType, fileName }) {
      const mediaId = randomId(48);
      const extension = contentType.split('/')[1]?.replace(/[^a-z0-9]/gi, '') || 'bin';
      const media: FakeMedia = {
        mediaId,
        type,
        permanent: false,
        fileName: fileName ?? `${type}.${extension}`,
        contentType,
        data,
        createdAt: Math.floor(Date.now() / 1000),
      };
      state.media.set(mediaId, media);
      return media;
    },
    mediaUrl: (mediaId) => `${url}/fake-media?media_id=${encodeURIComponent(mediaId)}`,
    async close() {
      closed = true;
      userListeners.clear();
      for (const finish of [...pendingDelays]) finish();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** The body, or undefined when it exceeds the limit. */
async function readBody(request: IncomingMessage): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) return undefined;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

function parsedJson(raw: Buffer): Record<string, unknown> | undefined {
  try {
    const value = parseJson(raw.toString('utf8'));
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function recordedQuery(query: URLSearchParams): Record<string, string> {
  const recorded: Record<string, string> = {};
  for (const [name, value] of query) {
    if (name === 'access_token') continue;
    recorded[name] = SECRET_MEMBERS.has(name) ? '[REDACTED]' : value;
  }
  return recorded;
}

/** What `calls` shows of a body: JSON as parsed (secret redacted; raw text if invalid), a form as a summary. */
function recordedBody(route: FakeRoute | undefined, request: IncomingMessage, raw: Buffer): unknown {
  if (raw.length === 0) return undefined;
  const boundary = boundaryOf(request.headers['content-type']);
  if (boundary) {
    try {
      const form = parseMultipart(raw, boundary);
      return {
        fields: form.fields,
        files: form.files.map(({ field, fileName, contentType, data }) => ({ field, fileName, contentType, size: data.length })),
      };
    } catch {
      return `[malformed multipart body, ${raw.length} bytes]`;
    }
  }
  const parsed = parsedJson(raw);
  if (parsed === undefined) return route?.body === 'multipart' ? `[${raw.length} bytes]` : raw.toString('utf8');
  return Object.fromEntries(Object.entries(parsed).map(([name, value]) => [name, SECRET_MEMBERS.has(name) ? '[REDACTED]' : value]));
}

function send(response: ServerResponse, answer: FakeAnswer): void {
  if (answer.kind === 'json') {
    // WeChat's own (odd) content type for JSON answers.
    response.writeHead(200, { 'content-type': 'application/json; encoding=utf-8' }).end(stringifyJson(answer.body));
    return;
  }
  const headers: Record<string, string | number> = { 'content-type': answer.contentType, 'content-length': answer.data.length };
  if (answer.fileName) headers['content-disposition'] = contentDisposition(answer.fileName);
  response.writeHead(200, headers).end(answer.data);
}

function contentDisposition(fileName: string): string {
  return /^[\x20-\x7e]*$/.test(fileName) && !/["\\]/.test(fileName)
    ? `attachment; filename="${fileName}"`
    : `attachment; filename*=UTF-8''${encodeURIComponent(fileName)}`;
}
