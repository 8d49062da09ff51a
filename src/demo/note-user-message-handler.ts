/**
 * In demo mode the fake WeChat API plays WeChat's side of the account, and WeChat knows when a user interacts: a
 * message allows customer-service messages for 48 hours, a menu click, a follow or a QR scan for 1 minute (see
 * the fake's message-routes.ts). This router step tells the fake about each message and event as it arrives —
 * once per message, not per WeChat retry — and which interaction it was, so that slow answers can be sent as
 * customer-service messages to any user the simulator (or `wx-backend simulate`) talks as, within the same limits
 * as on WeChat, instead of failing with 40003 (unknown openid) or 45015 (window closed).
 */
import type { Handler } from '../conversation/router.js';
import { interactionOf } from '../wechat/message/interaction.js';
import type { FakeWeChatApi } from './fake-wechat-api/start-fake-wechat-api.js';

export function noteUserMessageHandler(fake: Pick<FakeWeChatApi, 'noteUserMessage'>): Handler {
  return (context, next) => {
    const interaction = interactionOf(context.message);
    if (interaction !== undefined) fake.noteUserMessage(context.message.fromUserName, interaction);
    return next();
  };
}
