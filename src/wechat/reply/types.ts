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

export type Reply = TextReply | ImageReply | VoiceReply | VideoReply | MusicReply | NewsReply;
