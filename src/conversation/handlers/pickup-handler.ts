import { setTimeout as sleep } from 'node:timers/promises';
import type { PickupBox } from '../../delivery/pickup-box.js';
import type { Handler, HandlerContext, HandlerResult, Next } from '../router.js';

export interface PickupHandlerOptions {
  /** `PICKUP_KEYWORD`. */
  keyword: string;
  pickup: PickupBox;
  /** How long a pickup waits for an answer that is still being prepared (keep it inside the passive window). */
  waitMs: number;
  /** How often the box is looked at while waiting. */
  pollMs?: number;
}

/**
 * `PICKUP_KEYWORD` (`继续`): the user's next page (or image, or voice) of an answer left for pickup. When the answer the user was told
 * about is still being prepared, waits for it within the passive window, else says it is coming. With nothing
 * waiting at all, the message is an ordinary one (the model understands "continue") and goes on to the agent.
 */
export function pickupHandler(options: PickupHandlerOptions): Handler {
  const { keyword, pickup, waitMs } = options;
  const pollMs = options.pollMs ?? 200;
  return (context, next) => {
    const { message } = context;
    if (message.kind !== 'text' || message.content.trim() !== keyword) return next();
    return pickUp(context, next, message.fromUserName);
  };

  async function pickUp(context: HandlerContext, next: Next, openId: string): Promise<HandlerResult> {
    let taken = await pickup.take(openId);
    if (taken === undefined && (await pickup.isPending(openId))) {
      const deadline = Date.now() + waitMs;
      let pending = true;
      while (taken === undefined && pending && Date.now() + pollMs < deadline) {
        await sleep(pollMs);
        taken = await pickup.take(openId);
        if (taken === undefined) pending = await pickup.isPending(openId);
        if (!pending) taken ??= await pickup.take(openId);
      }
      // Still pending: it is coming. No longer pending yet nothing left (the answer reached the user another
      // way): an ordinary message after all.
      if (taken === undefined && pending) return { type: 'text', content: `回答还在准备中，请稍后再回复「${keyword}」查看。` };
    }
    if (taken === undefined) return next();
    context.log.info({ messageKey: context.messageKey, item: taken.item.type, remaining: taken.remaining }, 'pickup: sent the next part of a waiting answer');
    if (context.delivery !== undefined) context.delivery.route = 'pickup_served';
    // A text page, or an image/voice already uploaded when the answer was left: a passive reply as it is.
    return taken.item;
  }
}
