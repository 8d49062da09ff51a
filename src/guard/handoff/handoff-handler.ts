/**
 * Hand-off to people as a router step (SPEC §8). It runs right after the customer-service grant and before the
 * reset command, the pickup keyword and the AI, so that neither the keyword nor anything a handed-off user sends
 * ever reaches the model:
 *
 * - a text that is exactly one of `HANDOFF_KEYWORDS` (trimmed) hands the user off and is answered with WeChat's
 *   `transfer_customer_service` reply, which routes that message to the account's customer-service staff;
 * - while a user is handed off, every message they send gets the same reply: WeChat routes to the staff only the
 *   messages answered so (消息转发到客服), so the AI stays silent and the staff see the whole conversation;
 * - `kf_close_session` (the staff closed the session) brings the AI back; `kf_create_session` and
 *   `kf_switch_session` (a staff member took the user, or passed them on) hand the user off for a full time-out
 *   from then, also when the staff opened the session themselves;
 * - the time-out (`HANDOFF_TIMEOUT`) ends a hand-off nobody closed, e.g. when no staff member was online.
 *
 * WeChat shows the user nothing for the transfer reply itself; the staff's workbench greets them.
 */
import type { Handler, HandlerContext, HandlerResult, Next } from '../../conversation/router.js';
import type { InboundMessage } from '../../wechat/message/types.js';
import type { TransferCustomerServiceReply } from '../../wechat/reply/types.js';
import type { HandoffStore } from './handoff-store.js';

export interface HandoffHandlerOptions {
  store: HandoffStore;
  /** `HANDOFF_KEYWORDS`: non-empty, trimmed. */
  keywords: readonly string[];
  /** `HANDOFF_TIMEOUT` in milliseconds. */
  timeoutMs: number;
}

export const TRANSFER_REPLY: TransferCustomerServiceReply = { type: 'transfer_customer_service' };

/** What a user sends (a menu prompt included: it stands for typed text) — not events or notifications. */
const USER_MESSAGE_KINDS: ReadonlySet<InboundMessage['kind']> = new Set(['text', 'image', 'voice', 'video', 'shortvideo', 'location', 'link', 'unknown']);

export function handoffHandler(options: HandoffHandlerOptions): Handler {
  const { store, timeoutMs } = options;
  const keywords = new Set(options.keywords);

  return (context, next) => {
    const { message } = context;
    if (message.kind === 'unknown-event') return staffSessionEvent(context, next, message.event.toLowerCase());
    if (!USER_MESSAGE_KINDS.has(message.kind)) return next();
    if (message.kind === 'text' && keywords.has(message.content.trim())) return handOff(context);
    return store.get(message.fromUserName).then((entry) => {
      if (entry === undefined) return next();
      context.log.info({ messageKey: context.messageKey }, 'hand-off: message passed on to customer-service staff');
      return TRANSFER_REPLY;
    });
  };

  async function handOff(context: HandlerContext): Promise<HandlerResult> {
    const entry = await store.begin(context.message.fromUserName, timeoutMs);
    context.log.info({ messageKey: context.messageKey, until: new Date(entry.until).toISOString() }, 'hand-off: user asked for a person; transferred to customer-service staff');
    return TRANSFER_REPLY;
  }

  async function staffSessionEvent(context: HandlerContext, next: Next, event: string): Promise<HandlerResult> {
    const openId = context.message.fromUserName;
    if (event === 'kf_close_session') {
      const ended = await store.end(openId);
      context.log.info({ messageKey: context.messageKey, ended }, 'hand-off: staff session closed; the AI answers again');
    } else if (event === 'kf_create_session' || event === 'kf_switch_session') {
      const entry = await store.begin(openId, timeoutMs);
      context.log.info({ messageKey: context.messageKey, event, until: new Date(entry.until).toISOString() }, 'hand-off: staff session open; the AI stays silent');
    }
    return next();
  }
}
