/**
 * What the user sees of the account's messages, read from WeChat's two wire forms: a passive reply (the XML the
 * callback answered with, already decrypted) and a customer-service message (the JSON body of
 * `/cgi-bin/message/custom/send`: `msgtype` and its member). Media ids become URL paths by `mediaUrl`.
 */
import type { XmlRecord, XmlValue } from '../wechat/message/types.js';
import type { AccountMessage, NewsItem } from './simulator-events.js';

export type MediaUrl = (mediaId: string) => string;

const text = (value: XmlValue | unknown): string | undefined => (typeof value === 'string' ? value : undefined);
const record = (value: unknown): Record<string, unknown> =>
  value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
const optional = <Name extends string>(name: Name, value: string | undefined): { [key in Name]?: string } =>
  (value === undefined || value === '' ? {} : { [name]: value }) as { [key in Name]?: string };

/** A passive reply's XML fields (`MsgType`, `Content`, `Image.MediaId`, …). */
export function passiveReplyMessage(reply: XmlRecord, mediaUrl: MediaUrl): AccountMessage {
  const type = text(reply.MsgType) ?? '';
  const member = (name: string): Record<string, unknown> => record(reply[name]);
  const mediaOf = (name: string): string | undefined => text(member(name).MediaId);
  switch (type) {
    case 'text':
      return { kind: 'text', text: text(reply.Content) ?? '' };
    case 'image':
    case 'voice': {
      const mediaId = mediaOf(type === 'image' ? 'Image' : 'Voice');
      return mediaId === undefined ? { kind: 'notice', text: `[${type} without a MediaId]` } : { kind: type, url: mediaUrl(mediaId) };
    }
    case 'video': {
      const video = member('Video');
      const mediaId = text(video.MediaId);
      if (mediaId === undefined) return { kind: 'notice', text: '[video without a MediaId]' };
      return { kind: 'video', url: mediaUrl(mediaId), ...optional('title', text(video.Title)), ...optional('description', text(video.Description)) };
    }
    case 'music': {
      const music = member('Music');
      return { kind: 'music', ...optional('title', text(music.Title)), ...optional('description', text(music.Description)), ...optional('url', text(music.MusicUrl)) };
    }
    case 'news': {
      const items = record(reply.Articles).item;
      const list = Array.isArray(items) ? items : items === undefined ? [] : [items];
      return {
        kind: 'news',
        articles: list.map((item) => {
          const article = record(item);
          return { title: text(article.Title) ?? '', ...optional('description', text(article.Description)), ...optional('picUrl', text(article.PicUrl)), ...optional('url', text(article.Url)) };
        }),
      };
    }
    case 'transfer_customer_service':
      return { kind: 'notice', text: '已转接人工客服' };
    default:
      return { kind: 'notice', text: `[${type || 'unknown'} reply]` };
  }
}

/** A customer-service message: its `msgtype` and the member named by it, as sent to WeChat. */
export function customerServiceMessage(msgtype: string, content: unknown, mediaUrl: MediaUrl): AccountMessage {
  const member = record(content);
  const mediaId = text(member.media_id);
  switch (msgtype) {
    case 'text':
      return { kind: 'text', text: text(member.content) ?? '' };
    case 'image':
    case 'voice':
      return mediaId === undefined ? { kind: 'notice', text: `[${msgtype} without a media_id]` } : { kind: msgtype, url: mediaUrl(mediaId) };
    case 'video':
      if (mediaId === undefined) return { kind: 'notice', text: '[video without a media_id]' };
      return { kind: 'video', url: mediaUrl(mediaId), ...optional('title', text(member.title)), ...optional('description', text(member.description)) };
    case 'music':
      return { kind: 'music', ...optional('title', text(member.title)), ...optional('description', text(member.description)), ...optional('url', text(member.musicurl)) };
    case 'news': {
      const articles = Array.isArray(member.articles) ? member.articles : [];
      return {
        kind: 'news',
        articles: articles.map((item): NewsItem => {
          const article = record(item);
          return { title: text(article.title) ?? '', ...optional('description', text(article.description)), ...optional('picUrl', text(article.picurl)), ...optional('url', text(article.url)) };
        }),
      };
    }
    case 'msgmenu': {
      const list = Array.isArray(member.list) ? member.list : [];
      return {
        kind: 'options',
        ...optional('head', text(member.head_content)),
        options: list.map((item) => text(record(item).content) ?? '').filter((option) => option !== ''),
        ...optional('tail', text(member.tail_content)),
      };
    }
    default:
      return { kind: 'notice', text: `[${msgtype} message]` };
  }
}
