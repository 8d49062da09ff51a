/**
 * What the fake's endpoints are made of: a route table entry, the request a handler sees, its answer, and
 * `FakeFailure` — thrown anywhere in a handler to answer with a WeChat error code.
 */
import { randomBytes } from 'node:crypto';
import type { FakeTokens } from './fake-tokens.js';
import type { FakeUser, FakeUserEvent, FakeWeChatState } from './fake-state.js';
import type { MultipartForm } from './multipart.js';

export interface FakeRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  /** Parsed JSON body (unsafe integers as strings) for routes with `body: 'json'`. */
  json: Record<string, unknown>;
  /** For routes with `body: 'multipart'`. */
  form: MultipartForm | undefined;
}

export interface FakeContext {
  state: FakeWeChatState;
  tokens: FakeTokens;
  appId: string;
  appSecret: string;
  /** The fake's own base URL (for download links it hands out). */
  baseUrl: string;
  listPageSize: number;
  /** Tells the fake's subscribers what a user was sent (customer-service messages, typing). */
  publish(event: FakeUserEvent): void;
}

export type FakeAnswer =
  | { kind: 'json'; body: Record<string, unknown> }
  | { kind: 'file'; data: Buffer; contentType: string; fileName?: string };

export interface FakeRoute {
  method: 'GET' | 'POST';
  path: string;
  /** Whether the route takes the account's access token (default true; false for sns/* and token endpoints). */
  accessToken?: boolean;
  /** How the body is read (default: 'json' for POST, 'none' for GET). */
  body?: 'json' | 'multipart' | 'none';
  handle(request: FakeRequest, context: FakeContext): FakeAnswer;
}

/** errmsg WeChat sends with each code (without the trailing `rid`). */
export const ERROR_MESSAGES: Record<number, string> = {
  [-1]: 'system error',
  40001: 'invalid credential, access_token is invalid or not latest',
  40002: 'invalid grant_type',
  40003: 'invalid openid',
  40004: 'invalid media type',
  40006: 'invalid meida size',
  40007: 'invalid media_id',
  40008: 'invalid message type',
  40013: 'invalid appid',
  40014: 'invalid access_token',
  40016: 'invalid button size',
  40017: 'invalid button type',
  40018: 'invalid button name size',
  40019: 'invalid button key size',
  40020: 'invalid button url size',
  40022: 'invalid sub button level',
  40023: 'invalid sub button size',
  40024: 'invalid sub button type',
  40025: 'invalid sub button name size',
  40026: 'invalid sub button key size',
  40027: 'invalid sub button url size',
  40029: 'invalid code',
  40030: 'invalid refresh_token',
  40032: 'invalid openid list size',
  40035: 'invalid args',
  40037: 'invalid template_id',
  40053: 'invalid action info',
  40097: 'invalid args',
  40125: 'invalid appsecret',
  40163: 'code been used',
  40164: 'invalid ip 203.0.113.7 ipv6 ::ffff:203.0.113.7, not in whitelist',
  41001: 'access_token missing',
  41002: 'appid missing',
  41004: 'appsecret missing',
  41005: 'media data missing',
  41009: 'missing openid',
  42001: 'access_token expired',
  43001: 'require GET method',
  43002: 'require POST method',
  43004: 'require subscribe',
  44002: 'empty post data',
  44003: 'empty news data',
  45002: 'content size out of limit',
  45008: 'article size out of limit',
  45009: 'reach max api daily quota limit',
  45015: 'response out of time limit or subscription is canceled',
  45047: 'out of response count limit',
  45056: 'too many tags',
  45058: "can't modify sys tag",
  45059: 'too many tag on user',
  45157: 'invalid tag name',
  45158: 'tag name too long',
  45159: 'invalid tag id',
  46003: 'menu no exist',
  47001: 'data format error',
  47003: 'argument invalid!',
  48001: 'api unauthorized',
  65301: 'conditional menu not exist',
  65302: 'no such user',
  65303: 'no default menu, can not create conditional menu',
  65304: 'match rule empty',
  89503: 'risky ip, need admin confirm',
};

/** An errmsg as WeChat words it, with the request id WeChat appends (`… rid: 6572a1b3-1f0e3c4d-5a6b7c8d`). */
export function errorMessage(errcode: number, errmsg?: string): string {
  const text = errmsg ?? ERROR_MESSAGES[errcode] ?? 'error';
  if (/\brid: /.test(text)) return text;
  const rid = [4, 4, 4].map((bytes) => randomBytes(bytes).toString('hex')).join('-');
  return `${text} rid: ${rid}`;
}

/** Thrown by a handler to answer `{ errcode, errmsg }`. */
export class FakeFailure extends Error {
  constructor(
    readonly errcode: number,
    readonly errmsg?: string,
  ) {
    super(`errcode ${errcode}`);
  }
}

export function json(body: Record<string, unknown>): FakeAnswer {
  return { kind: 'json', body };
}

/** `{ errcode: 0, errmsg: 'ok', ...members }`, the answer of endpoints that only report success. */
export function ok(members: Record<string, unknown> = {}): FakeAnswer {
  return json({ errcode: 0, errmsg: 'ok', ...members });
}

export function failure(errcode: number, errmsg?: string): FakeAnswer {
  return json({ errcode, errmsg: errorMessage(errcode, errmsg) });
}

/** The user, or 40003. */
export function requireUser(context: FakeContext, openId: unknown): FakeUser {
  const user = typeof openId === 'string' ? context.state.users.get(openId) : undefined;
  if (!user) throw new FakeFailure(40003);
  return user;
}

/** A string member of the body, or the given failure. */
export function requireString(value: unknown, errcode: number): string {
  if (typeof value !== 'string' || value.length === 0) throw new FakeFailure(errcode);
  return value;
}

/** An array of openid strings no longer than `limit`, or 40032. */
export function requireOpenIdList(value: unknown, limit: number): string[] {
  if (!Array.isArray(value) || value.length === 0 || value.length > limit || !value.every((item) => typeof item === 'string')) {
    throw new FakeFailure(40032);
  }
  return value as string[];
}

export function asObject(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}


export function randomId(bytes: number): string {
  return randomBytes(bytes).toString('base64url');
}

/**
 * One page of an openid list in WeChat's shape: up to `pageSize` after `after` (from the start when empty),
 * `next_openid` the page's last openid, or '' for an empty page. An `after` not in the list is 40003.
 */
export function openIdPage(openIds: readonly string[], after: string, pageSize: number): { count: number; data?: { openid: string[] }; next_openid: string } {
  let start = 0;
  if (after) {
    const index = openIds.indexOf(after);
    if (index < 0) throw new FakeFailure(40003);
    start = index + 1;
  }
  const page = openIds.slice(start, start + pageSize);
  return {
    count: page.length,
    ...(page.length > 0 ? { data: { openid: page } } : {}),
    next_openid: page.at(-1) ?? '',
  };
}
