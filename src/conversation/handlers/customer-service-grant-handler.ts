/**
 * The first router step: tells the customer-service ledger of each user interaction as WeChat counts it — a message
 * allows 5 customer-service messages within 48 h, a menu click, a follow or a QR scan 3 within a minute — so that
 * the answer's delivery, on whichever instance, never sends more than WeChat accepts (SPEC §4). Once per message:
 * the router runs on the first delivery only, not on WeChat's retries.
 */
import { interactionOf } from '../../wechat/message/interaction.js';
import type { CustomerServiceLedger } from '../../delivery/state/customer-service-ledger.js';
import type { Handler } from '../router.js';

export function customerServiceGrantHandler(ledger: CustomerServiceLedger): Handler {
  return async (context, next) => {
    const interaction = interactionOf(context.message);
    if (interaction !== undefined) await ledger.grant(context.message.fromUserName, interaction);
    return next();
  };
}
