/**
 * In demo mode the fake WeChat API plays WeChat's side of the account, and WeChat knows when a user writes: a
 * message (or a menu click, a follow…) opens the 48-hour customer-service window and renews the per-message
 * quota. This router step tells the fake about each user message as it arrives — once per message, not per
 * WeChat retry — so that slow answers can be sent as customer-service messages to any user the simulator (or
 * `wx-backend simulate`) talks as, instead of failing with 40003 (unknown openid) or 45015 (window closed).
 */
import type { Handler } from '../conversation/router.js';
import type { FakeWeChatApi } from './fake-wechat-api/start-fake-wechat-api.js';

export function noteUserMessageHandler(fake: Pick<FakeWeChatApi, 'noteUserMessage'>): Handler {
  return (context, next) => {
    const { message } = context;
    if (!('event' in message) || message.event.toLowerCase() !== 'unsubscribe') fake.noteUserMessage(message.fromUserName);
    return next();
  };
}
