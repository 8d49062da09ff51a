import type { InboundMessage } from './types.js';

/**
 * The key under which deliveries of one message are de-duplicated (SPEC §3). WeChat's retries carry the same
 * fields, so they map to the same key; distinct messages must not.
 *
 * - A user message (anything with a non-empty `MsgId`, unknown types included): `appid|MsgId`.
 * - An event: `appid|FromUserName|CreateTime|Event|EventKey`, with `|MsgID` appended for
 *   `TEMPLATESENDJOBFINISH`, whose EventKey is empty: two jobs for one user can finish in the same second.
 * - Anything else: `appid|FromUserName|CreateTime|MsgType`.
 *
 * `CreateTime` is taken as sent (the raw field), so a malformed one cannot make distinct messages collide at 0.
 * EventKey comes last because it is the only part that may itself contain `|` (a VIEW event's URL).
 */
export function dedupKey(appId: string, message: InboundMessage): string {
  const createTime = rawCreateTime(message);
  if ('event' in message) {
    const eventPart = `${appId}|${message.fromUserName}|${createTime}|${message.event}|${message.eventKey}`;
    return message.kind === 'template-send-job-finish' ? `${eventPart}|${message.msgId}` : eventPart;
  }
  if ('msgId' in message && message.msgId !== undefined && message.msgId !== '') return `${appId}|${message.msgId}`;
  return `${appId}|${message.fromUserName}|${createTime}|${message.msgType}`;
}

function rawCreateTime(message: InboundMessage): string {
  const raw = message.fields.CreateTime;
  return typeof raw === 'string' ? raw : String(message.createTime);
}
