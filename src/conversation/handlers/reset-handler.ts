import type { ContextStore } from '../context/context-store.js';
import { isResetCommand } from '../context/reset-command.js';
import type { Handler } from '../router.js';

export const RESET_DONE_MESSAGE = '好的，我已经忘记了之前的对话，我们重新开始吧。';

/**
 * `/reset` and `清除记忆`: forgets the user's conversation context (and the agent's session). Unsubscribing does
 * the same, so a returning follower starts afresh; the unsubscribe event itself gets no reply (WeChat would not
 * show one) and goes on to later handlers.
 */
export function resetHandler(context: ContextStore): Handler {
  return (handlerContext, next) => {
    const { message, log } = handlerContext;
    if (message.kind === 'unsubscribe') {
      return context.reset(message.fromUserName).then(() => next(), (error: unknown) => {
        log.warn({ err: error }, 'could not clear the context of an unsubscribed user');
        return next();
      });
    }
    if (message.kind !== 'text' || !isResetCommand(message.content)) return next();
    return context.reset(message.fromUserName).then(() => ({ type: 'text', content: RESET_DONE_MESSAGE }));
  };
}
