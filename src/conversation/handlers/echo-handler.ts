import type { InboundMessage } from '../../wechat/message/types.js';
import type { Handler } from '../router.js';

/**
 * The built-in `echo` service (`EXTERNAL_SERVICE_TYPE=echo`): answers a text message with the text it got, a
 * picture with the same picture (a passive image reply with the message's `MediaId`, which WeChat accepts — so
 * demo mode shows an image answer), and other user messages with a one-line description of what arrived. Used
 * by demo mode and the benchmark.
 */
export const echoHandler: Handler = (context, next) => {
  const { message } = context;
  if (message.kind === 'image') return { type: 'image', mediaId: message.mediaId };
  const content = describe(message);
  return content === undefined ? next() : { type: 'text', content };
};

function describe(message: InboundMessage): string | undefined {
  switch (message.kind) {
    case 'text':
      return message.content;
    case 'voice':
      return message.recognition ? message.recognition : `[voice ${message.format}]`;
    case 'video':
      return `[${message.msgType}]`;
    case 'location':
      return `[location] ${message.label} (${message.latitude}, ${message.longitude})`;
    case 'link':
      return `[link] ${message.title} ${message.url}`;
    default:
      return undefined;
  }
}
