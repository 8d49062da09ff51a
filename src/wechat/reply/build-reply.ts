import { cdata } from './cdata.js';
import type { NewsArticle, Reply } from './types.js';

/**
 * The body that tells WeChat "received, no passive reply" (an empty body works too). WeChat shows the user
 * "该公众号暂时无法提供服务" for anything else that is not a valid reply, so it must be exactly this.
 */
export const SUCCESS_BODY = 'success';

/** Addressing of a passive reply: the inbound message's `FromUserName` becomes the reply's `ToUserName`. */
export interface ReplyAddress {
  /** The user's openid. */
  toUserName: string;
  /** The official account (gh_…). */
  fromUserName: string;
  /** Seconds since the epoch. */
  createTime: number;
}

/** Most articles in one news reply. */
export const MAX_NEWS_ARTICLES = 8;

/**
 * Renders a passive reply in WeChat's documented XML (被动回复用户消息). Every string goes through `cdata`, so
 * any content is safe. Optional fields are written as empty elements. A news reply must have 1 to
 * `MAX_NEWS_ARTICLES` articles, else this throws a `RangeError` (a programming error, not user input).
 */
export function buildReplyXml(reply: Reply, address: ReplyAddress): string {
  const createTime = Number.isFinite(address.createTime)
    ? Math.floor(address.createTime)
    : Math.floor(Date.now() / 1000);
  const head =
    `<xml><ToUserName>${cdata(address.toUserName)}</ToUserName>` +
    `<FromUserName>${cdata(address.fromUserName)}</FromUserName>` +
    `<CreateTime>${createTime}</CreateTime>` +
    `<MsgType>${cdata(reply.type)}</MsgType>`;
  return `${head}${body(reply)}</xml>`;
}

function body(reply: Reply): string {
  switch (reply.type) {
    case 'text':
      return element('Content', reply.content);
    case 'image':
      return `<Image>${element('MediaId', reply.mediaId)}</Image>`;
    case 'voice':
      return `<Voice>${element('MediaId', reply.mediaId)}</Voice>`;
    case 'video':
      return (
        `<Video>${element('MediaId', reply.mediaId)}${element('Title', reply.title)}` +
        `${element('Description', reply.description)}</Video>`
      );
    case 'music':
      return (
        `<Music>${element('Title', reply.title)}${element('Description', reply.description)}` +
        `${element('MusicUrl', reply.musicUrl)}${element('HQMusicUrl', reply.hqMusicUrl)}` +
        `${element('ThumbMediaId', reply.thumbMediaId)}</Music>`
      );
    case 'news':
      return news(reply.articles);
    case 'transfer_customer_service':
      return reply.kfAccount === undefined ? '' : `<TransInfo>${element('KfAccount', reply.kfAccount)}</TransInfo>`;
  }
}

function news(articles: readonly NewsArticle[]): string {
  if (articles.length < 1 || articles.length > MAX_NEWS_ARTICLES) {
    throw new RangeError(`a news reply needs 1 to ${MAX_NEWS_ARTICLES} articles, got ${articles.length}`);
  }
  const items = articles
    .map(
      (article) =>
        `<item>${element('Title', article.title)}${element('Description', article.description)}` +
        `${element('PicUrl', article.picUrl)}${element('Url', article.url)}</item>`,
    )
    .join('');
  return `<ArticleCount>${articles.length}</ArticleCount><Articles>${items}</Articles>`;
}

function element(name: string, value: string | undefined): string {
  return `<${name}>${cdata(value ?? '')}</${name}>`;
}
