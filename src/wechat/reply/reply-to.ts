import type { InboundMessage } from '../message/types.js';
import { buildReplyXml } from './build-reply.js';
import type { Reply } from './types.js';

/** The passive reply XML answering `message`: addressed back to its sender, from the account it was sent to. */
export function replyTo(message: InboundMessage, reply: Reply, nowMilliseconds: number): string {
  return buildReplyXml(reply, {
    toUserName: message.fromUserName,
    fromUserName: message.toUserName,
    createTime: Math.floor(nowMilliseconds / 1000),
  });
}
