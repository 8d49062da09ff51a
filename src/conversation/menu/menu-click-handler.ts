/**
 * `menuClickHandler(actions)`: what a menu click does (register it for CLICK events, before the AI handler).
 *
 * - a key with `reply` → that text is the reply;
 * - a key with `prompt` → the later handlers (the assistant) get a text message with the prompt as its content,
 *   as if the user had typed it: same user, account and CreateTime, and `context.messageKey` stays the click's
 *   dedup key, so WeChat's retries of the click are still answered once;
 * - any other key, or no action table entry → `next()`, so `router.click(key, …)` handlers registered later
 *   still get their clicks.
 */
import type { ClickEvent, TextMessage } from '../../wechat/message/types.js';
import type { Handler } from '../router.js';
import type { MenuActionTable } from './menu-action-table.js';

/**
 * The text message a prompt button stands for. It has no `MsgId` of its own (WeChat sends none with events), so
 * `msgId` is ''; its `fields` are the click's, with `MsgType` and `Content` as a text message has them — `Event`
 * and `EventKey` stay, so a handler can still tell that the text came from the menu.
 */
export function promptMessage(click: ClickEvent, prompt: string): TextMessage {
  return {
    kind: 'text',
    msgType: 'text',
    toUserName: click.toUserName,
    fromUserName: click.fromUserName,
    createTime: click.createTime,
    msgId: '',
    content: prompt,
    fields: { ...click.fields, MsgType: 'text', Content: prompt },
  };
}

export function menuClickHandler(actions: MenuActionTable): Handler {
  return (context, next) => {
    const { message } = context;
    if (message.kind !== 'click') return next();
    const action = actions.get(message.eventKey);
    if (action === undefined) return next();
    if ('reply' in action) return { type: 'text', content: action.reply };
    context.log.debug({ messageKey: context.messageKey, key: message.eventKey }, 'menu click: asking its prompt');
    return next({ ...context, message: promptMessage(message, action.prompt) });
  };
}
