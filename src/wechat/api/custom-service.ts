/**
 * Customer-service (客服) messages: messages the account sends a user outside the passive reply, and the
 * typing indicator. WeChat allows them only to accounts with the permission (48001 otherwise), within 48 hours
 * of the user's last message (45015) and up to a number of messages per user message (45047). Text is limited
 * to 2048 bytes of UTF-8; splitting longer answers is the caller's job.
 */
import type { WeChatApiClient } from './api-client.js';

export interface NewsArticle {
  title: string;
  description?: string;
  /** The page the article opens. */
  url: string;
  picUrl?: string;
}

export interface MenuMessageItem {
  /** Comes back as `bizmsgmenuid` in the user's message when the item is tapped. */
  id: string;
  content: string;
}

/** One customer-service message, by kind; media ids come from `MediaApi` uploads. */
export type CustomerServiceMessage =
  | { type: 'text'; content: string }
  | { type: 'image'; mediaId: string }
  | { type: 'voice'; mediaId: string }
  | { type: 'video'; mediaId: string; thumbMediaId?: string; title?: string; description?: string }
  | { type: 'music'; musicUrl: string; hqMusicUrl: string; thumbMediaId: string; title?: string; description?: string }
  /** An external link article (WeChat shows one article per message). */
  | { type: 'news'; article: NewsArticle }
  /** A published article of the account, by its media id. */
  | { type: 'mpnews'; mediaId: string }
  /** A text with tappable choices ("menu message"). */
  | { type: 'msgmenu'; headContent: string; items: MenuMessageItem[]; tailContent?: string };

export interface SendOptions {
  /** Send as this customer-service account (`kf_account`, e.g. `kf2001@account`). */
  kfAccount?: string;
}

export type TypingCommand = 'Typing' | 'CancelTyping';

export class CustomServiceApi {
  constructor(private readonly client: WeChatApiClient) {}

  async send(openId: string, message: CustomerServiceMessage, options: SendOptions = {}): Promise<void> {
    await this.client.post('/cgi-bin/message/custom/send', {
      touser: openId,
      ...toWire(message),
      ...(options.kfAccount ? { customservice: { kf_account: options.kfAccount } } : {}),
    }, { retryWhenBusy: false }); // a repeat could show the user the message twice
  }

  sendText(openId: string, content: string, options?: SendOptions): Promise<void> {
    return this.send(openId, { type: 'text', content }, options);
  }

  sendImage(openId: string, mediaId: string, options?: SendOptions): Promise<void> {
    return this.send(openId, { type: 'image', mediaId }, options);
  }

  sendVoice(openId: string, mediaId: string, options?: SendOptions): Promise<void> {
    return this.send(openId, { type: 'voice', mediaId }, options);
  }

  sendVideo(openId: string, video: Omit<Extract<CustomerServiceMessage, { type: 'video' }>, 'type'>, options?: SendOptions): Promise<void> {
    return this.send(openId, { type: 'video', ...video }, options);
  }

  sendMusic(openId: string, music: Omit<Extract<CustomerServiceMessage, { type: 'music' }>, 'type'>, options?: SendOptions): Promise<void> {
    return this.send(openId, { type: 'music', ...music }, options);
  }

  sendNews(openId: string, article: NewsArticle, options?: SendOptions): Promise<void> {
    return this.send(openId, { type: 'news', article }, options);
  }

  sendMpNews(openId: string, mediaId: string, options?: SendOptions): Promise<void> {
    return this.send(openId, { type: 'mpnews', mediaId }, options);
  }

  sendMenu(openId: string, menu: Omit<Extract<CustomerServiceMessage, { type: 'msgmenu' }>, 'type'>, options?: SendOptions): Promise<void> {
    return this.send(openId, { type: 'msgmenu', ...menu }, options);
  }

  /**
   * Shows ('Typing', for up to 15 s or until the next message) or hides the typing indicator. It needs the
   * customer-service permission like a message does, so its 48001 tells whether the account has it.
   */
  async typing(openId: string, command: TypingCommand = 'Typing'): Promise<void> {
    await this.client.post('/cgi-bin/message/custom/typing', { touser: openId, command });
  }

  cancelTyping(openId: string): Promise<void> {
    return this.typing(openId, 'CancelTyping');
  }
}

/** The `msgtype` and its member, as `/cgi-bin/message/custom/send` expects them. */
export function toWire(message: CustomerServiceMessage): Record<string, unknown> {
  switch (message.type) {
    case 'text':
      return { msgtype: 'text', text: { content: message.content } };
    case 'image':
      return { msgtype: 'image', image: { media_id: message.mediaId } };
    case 'voice':
      return { msgtype: 'voice', voice: { media_id: message.mediaId } };
    case 'video':
      return {
        msgtype: 'video',
        video: { media_id: message.mediaId, thumb_media_id: message.thumbMediaId, title: message.title, description: message.description },
      };
    case 'music':
      return {
        msgtype: 'music',
        music: {
          title: message.title,
          description: message.description,
          musicurl: message.musicUrl,
          hqmusicurl: message.hqMusicUrl,
          thumb_media_id: message.thumbMediaId,
        },
      };
    case 'news': {
      const { title, description, url, picUrl } = message.article;
      return { msgtype: 'news', news: { articles: [{ title, description, url, picurl: picUrl }] } };
    }
    case 'mpnews':
      return { msgtype: 'mpnews', mpnews: { media_id: message.mediaId } };
    case 'msgmenu':
      return {
        msgtype: 'msgmenu',
        msgmenu: { head_content: message.headContent, list: message.items, tail_content: message.tailContent ?? '' },
      };
  }
}
