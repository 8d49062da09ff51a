/**
 * The router pre-handler that screens what users write before the AI sees it: the text of a text message, a
 * voice message's recognition, a link's title and description. A blocked word → CONTENT_BLOCKED_MESSAGE as the
 * passive reply, and no job, no model call. A masked word → the later handlers (the agent) get the message with
 * the words masked, so neither the model nor the queued job nor the conversation context holds them.
 *
 * Other messages — images, locations, events — pass untouched.
 */
import type { Handler } from '../../conversation/router.js';
import type { InboundMessage } from '../../wechat/message/types.js';
import type { ContentSafety } from './content-safety.js';

export function incomingSafetyHandler(safety: ContentSafety): Handler {
  return (context, next) => {
    const { message, log } = context;
    const fields = screenedFields(message);
    if (fields === undefined) return next();
    const results = fields.map((text) => safety.screen('incoming', text));
    const checked = fields.join('\n');
    if (results.some((result) => result.action === 'block')) {
      safety.noted({ direction: 'incoming', action: 'block', by: 'keyword', text: checked, matched: results.flatMap((result) => result.matched) }, log);
      return { type: 'text', content: safety.blockedMessage };
    }
    if (!results.some((result) => result.action === 'mask')) return next();
    safety.noted({ direction: 'incoming', action: 'mask', by: 'keyword', text: checked, matched: results.flatMap((result) => result.matched) }, log);
    return next({ ...context, message: withFields(message, results.map((result) => result.text)) });
  };
}

/** The texts of a message that are screened, in a fixed order; undefined for messages without any. */
function screenedFields(message: InboundMessage): string[] | undefined {
  switch (message.kind) {
    case 'text':
      return [message.content];
    case 'voice':
      return message.recognition === undefined ? undefined : [message.recognition];
    case 'link':
      return [message.title, message.description];
    default:
      return undefined;
  }
}

/** The message with its screened texts replaced — in `fields` too, so the raw wire values do not carry the words on. */
function withFields(message: InboundMessage, texts: string[]): InboundMessage {
  const [first = '', second = ''] = texts;
  switch (message.kind) {
    case 'text':
      return { ...message, content: first, fields: { ...message.fields, Content: first } };
    case 'voice':
      return { ...message, recognition: first, fields: { ...message.fields, Recognition: first } };
    case 'link':
      return { ...message, title: first, description: second, fields: { ...message.fields, Title: first, Description: second } };
    default:
      return message;
  }
}
