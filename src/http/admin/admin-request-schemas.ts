/**
 * Request bodies of the operator API, validated with zod, and the 400 answer for an invalid one:
 * `{ error: 'invalid_request', issues: [{ path, message }] }`, where `path` names the field
 * (`article.url`, `items[1].content`; '' for the body as a whole). Unknown fields are refused, so a typo
 * (`openId` for `openid`) is reported instead of silently ignored.
 */
import { z } from 'zod';
import type { CustomMessage, CustomMessageOptions, TemplateMessage } from './admin-services.js';

export interface RequestIssue {
  path: string;
  message: string;
}

/** A request the operator API refuses with 400. */
export class InvalidRequestError extends Error {
  override readonly name = 'InvalidRequestError';
  readonly issues: RequestIssue[];

  constructor(issues: RequestIssue[]) {
    super(`invalid request: ${issues.map((issue) => (issue.path ? `${issue.path}: ${issue.message}` : issue.message)).join('; ')}`);
    this.issues = issues;
  }
}

/** A customer-service text carries at most 2048 bytes of UTF-8 (SPEC §4). */
const MAX_CUSTOM_TEXT_BYTES = 2048;

function describeType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

const text = z.string({ error: (issue) => (issue.input === undefined ? 'required' : `expected text, got ${describeType(issue.input)}`) })
  .refine((value) => value.trim() !== '', 'must not be empty');
const objectError = { error: (issue: { input?: unknown }) => (issue.input === undefined ? 'required' : `expected an object, got ${describeType(issue.input)}`) };
const httpUrl = text.refine((value) => {
  try {
    const url = new URL(value);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '';
  } catch {
    return false;
  }
}, 'expected an http:// or https:// URL');
/** OpenIDs are 28 URL-safe characters; allow some room, never whitespace. */
const openId = text.refine((value) => /^[\w-]{1,128}$/.test(value), 'expected an openid (letters, digits, _ and -)');

const CUSTOM_MESSAGE_TYPES = ['text', 'image', 'voice', 'video', 'music', 'news', 'mpnews', 'msgmenu'] as const;

/** Fields every custom-message body has besides its `type`'s own. */
const addressing = { openid: openId, kfAccount: text.optional() };

const customMessageSchema = z.discriminatedUnion('type', [
  z.strictObject({
    ...addressing,
    type: z.literal('text'),
    content: text.refine((value) => Buffer.byteLength(value, 'utf8') <= MAX_CUSTOM_TEXT_BYTES, `longer than ${MAX_CUSTOM_TEXT_BYTES} bytes of UTF-8 (WeChat's limit)`),
  }),
  z.strictObject({ ...addressing, type: z.literal('image'), mediaId: text }),
  z.strictObject({ ...addressing, type: z.literal('voice'), mediaId: text }),
  z.strictObject({ ...addressing, type: z.literal('video'), mediaId: text, thumbMediaId: text.optional(), title: text.optional(), description: text.optional() }),
  z.strictObject({
    ...addressing, type: z.literal('music'), musicUrl: httpUrl, hqMusicUrl: httpUrl, thumbMediaId: text, title: text.optional(), description: text.optional(),
  }),
  z.strictObject({
    ...addressing,
    type: z.literal('news'),
    article: z.strictObject({ title: text, description: text.optional(), url: httpUrl, picUrl: httpUrl.optional() }, objectError),
  }),
  z.strictObject({ ...addressing, type: z.literal('mpnews'), mediaId: text }),
  z.strictObject({
    ...addressing,
    type: z.literal('msgmenu'),
    headContent: text,
    items: z.array(z.strictObject({ id: text, content: text }, objectError), objectError).min(1, 'at least 1 item'),
    tailContent: text.optional(),
  }),
], {
  error: (issue) => {
    if (issue.code !== 'invalid_union') return issue.input === undefined ? 'expected a JSON object' : `expected a JSON object, got ${describeType(issue.input)}`;
    return `expected one of ${CUSTOM_MESSAGE_TYPES.join(', ')}`;
  },
});

const templateFieldValue = z.union([
  z.string(),
  z.strictObject({ value: z.string({ error: 'expected text' }), color: z.string().regex(/^#[0-9A-Fa-f]{6}$/, 'expected a colour like #173177').optional() }),
], { error: 'expected text or { value, color? }' });

const templateMessageSchema = z.strictObject({
  openid: openId,
  templateId: text,
  data: z.record(z.string(), templateFieldValue, objectError).refine((data) => Object.keys(data).length > 0, 'at least 1 field'),
  url: httpUrl.optional(),
  miniprogram: z.strictObject({ appId: text, pagePath: text.optional() }, objectError).optional(),
  clientMessageId: text.optional(),
}, { error: (issue) => `expected a JSON object, got ${describeType(issue.input)}` });

function formatPath(segments: readonly PropertyKey[]): string {
  let path = '';
  for (const segment of segments) {
    if (typeof segment === 'number') path += `[${segment}]`;
    else path += path === '' ? String(segment) : `.${String(segment)}`;
  }
  return path;
}

function issuesOf(error: z.ZodError): RequestIssue[] {
  return error.issues.flatMap((issue): RequestIssue[] => {
    if (issue.code === 'unrecognized_keys') return issue.keys.map((key) => ({ path: formatPath([...issue.path, key]), message: 'unknown field' }));
    return [{ path: formatPath(issue.path), message: issue.message }];
  });
}

/** The body as `schema` reads it, or `InvalidRequestError` naming each problem (also used by the simulator's API). */
export function parseRequestBody<T>(schema: z.ZodType<T>, body: unknown): T {
  const result = schema.safeParse(body);
  if (!result.success) throw new InvalidRequestError(issuesOf(result.error));
  return result.data;
}

export interface CustomMessageRequest {
  openId: string;
  message: CustomMessage;
  options: CustomMessageOptions;
}

/** `POST /admin/api/messages/custom`: `{ openid, kfAccount?, type, …the type's fields }`. */
export function parseCustomMessageRequest(body: unknown): CustomMessageRequest {
  const { openid, kfAccount, ...message } = parseRequestBody(customMessageSchema, body);
  return { openId: openid, message, options: kfAccount === undefined ? {} : { kfAccount } };
}

/** `POST /admin/api/messages/template`: `{ openid, templateId, data, url?, miniprogram?: { appId, pagePath? }, clientMessageId? }`. */
export function parseTemplateMessageRequest(body: unknown): TemplateMessage {
  const { openid, miniprogram, ...rest } = parseRequestBody(templateMessageSchema, body);
  const message: TemplateMessage = { openId: openid, templateId: rest.templateId, data: rest.data };
  if (rest.url !== undefined) message.url = rest.url;
  if (miniprogram !== undefined) message.miniProgram = miniprogram;
  if (rest.clientMessageId !== undefined) message.clientMessageId = rest.clientMessageId;
  return message;
}
