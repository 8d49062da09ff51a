/**
 * In demo mode the fake WeChat API plays WeChat's side of the account, and WeChat knows when a user interacts: a
 * message allows customer-service messages for 48 hours, a menu click, a follow or a QR scan for 1 minute (see
 * the fake's message-routes.ts). This router step tells the fake about each message and event as it arrives —
 * once per message, not per WeChat retry — and which interaction it was, so that slow answers can be sent as
 * customer-service messages to any user the simulator (or `wx-backend simulate`) talks as, within the same limits
 * as on WeChat, instead of failing with 40003 (unknown openid) or 45015 (window closed).
 */
import type { Handler } from '../conversation/router.js';
import type { InboundMessage } from '../wechat/message/types.js';
import type { FakeInteraction } from './fake-wechat-api/fake-state.js';
import type { FakeWeChatApi } from './fake-wechat-api/start-fake-wechat-api.js';

/** Menu events the parser does not model that open a customer-service window (scan-code menus). */
const SCAN_MENU_EVENTS: ReadonlySet<string> = new Set(['scancode_push', 'scancode_waitmsg']);

/**
 * Which interaction WeChat counts `message` as, or undefined for events that allow no customer-service messages
 * (unfollow, location reports, menu links and photo or location pickers, notifications). A message of a type the
 * parser does not know is still a message the user sent.
 */
export function interactionOf(message: InboundMessage): FakeInteraction | undefined {
  switch (message.kind) {
    case 'subscribe':
      return 'subscribe';
    case 'scan':
      return 'scan';
    case 'click':
      return 'menu';
    case 'unknown-event':
      return SCAN_MENU_EVENTS.has(message.event.toLowerCase()) ? 'menu' : undefined;
    case 'unsubscribe':
    case 'location-event':
    case 'view':
    case 'template-send-job-finish':
      return undefined;
    default:
      return 'message';
  }
}

export function noteUserMessageHandler(fake: Pick<FakeWeChatApi, 'noteUserMessage'>): Handler {
  return (context, next) => {
    const interaction = interactionOf(context.message);
    if (interaction !== undefined) fake.noteUserMessage(context.message.fromUserName, interaction);
    return next();
  };
}
