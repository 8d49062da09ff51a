/**
 * The router's last step before the AI (after the customer-service grant, the reset command and the pickup
 * keyword, which are not questions for the model): a message the AI would answer — text, image, voice, location,
 * link, a menu prompt — is checked against the limits, and over one it gets a ready text reply instead of a job,
 * so the model is never called for it:
 *
 * - the daily token budgets (`USER_DAILY_TOKEN_BUDGET`, `ACCOUNT_DAILY_TOKEN_BUDGET`): spent ≥ budget → refused
 *   with `TOKEN_BUDGET_MESSAGE`. Tokens are known only once an answer is done, so the answer that crosses a budget is
 *   finished and the next message is refused. Checked first: a refused message does not use up the rate.
 * - the rate (`RATE_LIMIT_PER_MINUTE`): the message is counted; more than the limit in the user's window →
 *   refused with `RATE_LIMIT_MESSAGE`. Refused messages count too (a user who keeps sending stays refused until the
 *   window ends).
 *
 * Users in `LIMIT_EXEMPT_OPENIDS` pass untouched (their usage is still recorded). When the counters cannot be
 * read (Redis down) the message passes: limits guard the budget, they must not take the service down with them.
 */
import type { LimitsConfig } from '../../config/app-config.js';
import type { Handler } from '../../conversation/router.js';
import { isUserMessage } from '../../jobs/produce-answer.js';
import type { Metrics } from '../../metrics/metrics.js';
import { usageDay } from '../usage/usage-day.js';
import type { UsageStore } from '../usage/usage-store.js';
import type { RateCounter } from './rate-counter.js';

export type LimitName = 'rate' | 'user_budget' | 'account_budget';

export interface LimitsHandlerOptions {
  limits: LimitsConfig;
  /** Counts the messages; required when `limits.ratePerMinute` is on. */
  counter?: RateCounter;
  usage: Pick<UsageStore, 'spent'>;
  metrics?: Pick<Metrics, 'limitRejections'>;
  now?: () => number;
}

/** Whether any limit is on: without one, no handler is needed at all. */
export function anyLimit(limits: LimitsConfig): boolean {
  return limits.ratePerMinute > 0 || limits.userDailyTokenBudget > 0 || limits.accountDailyTokenBudget > 0;
}

export function limitsHandler(options: LimitsHandlerOptions): Handler {
  const { limits, counter, usage, metrics } = options;
  const now = options.now ?? Date.now;
  const exempt = new Set(limits.exemptOpenIds);
  const budgets = limits.userDailyTokenBudget > 0 || limits.accountDailyTokenBudget > 0;
  if (limits.ratePerMinute > 0 && counter === undefined) throw new Error('RATE_LIMIT_PER_MINUTE needs a rate counter');

  /** The limit `openId`'s message is over, if any. */
  async function exceeded(openId: string): Promise<LimitName | undefined> {
    if (budgets) {
      const spent = await usage.spent(usageDay(now()), openId);
      if (limits.userDailyTokenBudget > 0 && spent.user >= limits.userDailyTokenBudget) return 'user_budget';
      if (limits.accountDailyTokenBudget > 0 && spent.account >= limits.accountDailyTokenBudget) return 'account_budget';
    }
    if (counter !== undefined && limits.ratePerMinute > 0 && (await counter.hit(openId)) > limits.ratePerMinute) return 'rate';
    return undefined;
  }

  return async (context, next) => {
    const { message, log, messageKey } = context;
    if (!isUserMessage(message) || exempt.has(message.fromUserName)) return next();
    let limit: LimitName | undefined;
    try {
      limit = await exceeded(message.fromUserName);
    } catch (error) {
      log.warn({ err: error, messageKey }, 'could not check the limits; the message goes on to the AI');
      return next();
    }
    if (limit === undefined) return next();
    metrics?.limitRejections.inc({ limit });
    log.info({ messageKey, limit }, 'message refused: over a limit');
    return { type: 'text', content: limit === 'rate' ? limits.rateMessage : limits.budgetMessage };
  };
}
