/**
 * What the simulator page may ask, validated: a message as a simulated user (`POST /simulator/api/messages`)
 * and the user whose chat to follow (`GET /simulator/api/events?openid=`). A bad request is a 400
 * `{ error: 'invalid_request', issues: [{ path, message }] }`, as the operator API answers.
 */
import { z } from 'zod';
import { SIMULATOR_EVENTS, type SimulatorInput } from '../../simulator/chat-simulator.js';
import type { DeliveryMode } from '../../simulator/wechat-emulator.js';
import { InvalidRequestError, parseRequestBody } from '../admin/admin-request-schemas.js';

/** What WeChat lets a user type in one message, about; generous, but bounded. */
const MAX_TEXT_CHARACTERS = 4000;
/** WeChat's limit for a picture. */
export const MAX_IMAGE_BYTES = 10 * 1024 * 1024;
/** The JSON body of a picture: base64 (4/3 of the bytes) plus the other fields. */
export const MAX_MESSAGE_BODY_BYTES = Math.ceil((MAX_IMAGE_BYTES * 4) / 3) + 64 * 1024;
const IMAGE_TYPES = ['image/jpeg', 'image/png', 'image/gif', 'image/webp'] as const;

const OPENID_PATTERN = /^[\w-]{1,64}$/;
const openId = z.string({ error: 'required: the simulated user\'s openid' }).regex(OPENID_PATTERN, 'expected an openid: 1–64 letters, digits, _ or -');
const mode = z.enum(['plain', 'compat', 'safe'], { error: 'expected plain, compat or safe' }).optional();

const messageSchema = z.discriminatedUnion(
  'type',
  [
    z.strictObject({
      openid: openId,
      mode,
      type: z.literal('text'),
      content: z.string({ error: 'required: the text to send' })
        .refine((value) => value.trim() !== '', 'must not be empty')
        .refine((value) => value.length <= MAX_TEXT_CHARACTERS, `longer than ${MAX_TEXT_CHARACTERS} characters`),
    }),
    z.strictObject({
      openid: openId,
      mode,
      type: z.literal('image'),
      contentType: z.enum(IMAGE_TYPES, { error: `expected one of ${IMAGE_TYPES.join(', ')}` }),
      data: z.string({ error: 'required: the picture, base64-encoded' })
        .refine((value) => value.length > 0 && value.length % 4 === 0 && /^[A-Za-z0-9+/]*={0,2}$/.test(value), 'expected base64')
        .refine((value) => (value.length / 4) * 3 <= MAX_IMAGE_BYTES + 2, `larger than ${MAX_IMAGE_BYTES / 1024 / 1024} MB (WeChat's limit for a picture)`),
    }),
    z.strictObject({
      openid: openId,
      mode,
      type: z.literal('event'),
      event: z.enum(SIMULATOR_EVENTS, { error: `expected one of ${SIMULATOR_EVENTS.join(', ')}` }),
      eventKey: z.string().max(1024, 'longer than 1024 characters').optional(),
      label: z.string().max(64, 'longer than 64 characters').optional(),
    }).refine((value) => (value.event !== 'CLICK' && value.event !== 'VIEW') || (value.eventKey ?? '') !== '', {
      path: ['eventKey'],
      message: 'required for CLICK (the button key) and VIEW (the URL)',
    }),
  ],
  { error: (issue) => (issue.input === undefined ? 'required: text, image or event' : 'expected text, image or event') },
);

export interface SimulatorMessageRequest {
  openId: string;
  mode?: DeliveryMode;
  input: SimulatorInput;
}

export function parseSimulatorMessage(body: unknown): SimulatorMessageRequest {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw new InvalidRequestError([{ path: '', message: 'expected a JSON object' }]);
  const parsed = parseRequestBody(messageSchema, body);
  const base = { openId: parsed.openid, ...(parsed.mode === undefined ? {} : { mode: parsed.mode }) };
  switch (parsed.type) {
    case 'text':
      return { ...base, input: { type: 'text', content: parsed.content } };
    case 'image':
      return { ...base, input: { type: 'image', image: { data: Buffer.from(parsed.data, 'base64'), contentType: parsed.contentType } } };
    case 'event':
      return {
        ...base,
        input: {
          type: 'event',
          event: parsed.event,
          ...(parsed.eventKey === undefined ? {} : { eventKey: parsed.eventKey }),
          ...(parsed.label === undefined ? {} : { label: parsed.label }),
        },
      };
  }
}

/** The `openid` query parameter of the events stream. */
export function parseFollowedOpenId(query: unknown): string {
  const value = query !== null && typeof query === 'object' ? (query as Record<string, unknown>).openid : undefined;
  if (typeof value !== 'string' || !OPENID_PATTERN.test(value)) {
    throw new InvalidRequestError([{ path: 'openid', message: value === undefined ? 'required: the simulated user\'s openid' : 'expected an openid: 1–64 letters, digits, _ or -' }]);
  }
  return value;
}
