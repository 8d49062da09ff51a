/**
 * Passive replies: what a handler answers with, before it is turned into XML for one inbound message.
 * `ToUserName`, `FromUserName` and `CreateTime` are filled in from the inbound message by the builder.
 */

export interface TextReply {
  type: 'text';
  content: string;
}

export interface ImageReply {
  type: 'image';
  mediaId: string;
}

export interface VoiceReply {
  type: 'voice';
  mediaId: string;
}

export interface VideoReply {
  type: 'video';
  mediaId: string;
  title?: string;
  description?: string;
}

export interface MusicReply {
  type: 'music';
  title?: string;
  description?: string;
  musicUrl?: string;
  hqMusicUrl?: string;
  thumbMediaId: string;
}

export interface NewsArticle {
  title: string;
  description?: string;
  picUrl?: string;
  url?: string;
}

/** One article (WeChat currently shows only one for passive news replies; up to 8 are accepted). */
export interface NewsReply {
  type: 'news';
  articles: NewsArticle[];
}

/**
 * Hands the message to the account's customer-service staff (消息转发到客服): WeChat shows the user nothing for it,
 * and routes this message to the staff's workbench — to `kfAccount` (`账号@公众号`) when given and that person is
 * online, else to whoever is free. WeChat asks for it again for every message that should reach the staff.
 */
export interface TransferCustomerServiceReply {
  type: 'transfer_customer_service';
  kfAccount?: string;
}

export type Reply = TextReply | ImageReply | VoiceReply | VideoReply | MusicReply | NewsReply | TransferCustomerServiceReply;
