/**
 * Long model answers for delivery tests, and what a test needs to check that nothing of them was lost on the
 * way to the user: Markdown as a model writes it (headings, bold, numbered and bulleted lists), page markers and
 * hints stripped again, and a whitespace-insensitive comparison (splitting may turn a line break into a blank
 * line, which is fine to a reader).
 */
import type { WeChatClient } from './wechat-client.js';
import { replyText } from './wechat-client.js';

const SENTENCES = [
  '微信公众号的消息需要在五秒内得到回复，否则微信服务器会重新投递同一条消息。',
  '当模型思考的时间较长时，服务会先回复成功，再通过客服消息把答案推送给用户。',
  '没有客服消息权限的账号只能依靠被动回复，因此需要利用微信的重试机会等待答案。',
  '如果三次投递都没有等到答案，最后一次投递会回复一条占位提示，请用户稍后领取。',
  '每条文本消息最多两千零四十八个字节，一个汉字占三个字节，所以需要按字节切分。',
  '切分时应当尽量在段落或句子的边界处断开，这样每一条消息读起来都比较完整。',
];

/**
 * A Chinese Markdown answer of about `characters` characters: sections with a heading, a paragraph with bold
 * text, a numbered list and a bulleted list.
 */
export function longMarkdownAnswer(characters: number): string {
  const sections: string[] = [];
  let length = 0;
  for (let section = 1; length < characters; section++) {
    const sentence = (offset: number): string => SENTENCES[(section + offset) % SENTENCES.length]!;
    const text = [
      `## 第${section}部分：投递规则`,
      '',
      `${sentence(0)}**这一点非常重要**，${sentence(1)}${sentence(2)}`,
      '',
      `1. ${sentence(3)}`,
      `2. ${sentence(4)}`,
      `3. **注意**：${sentence(5)}`,
      '',
      `- ${sentence(1)}`,
      `- ${sentence(2)}`,
      '',
    ].join('\n');
    sections.push(text);
    length += text.length;
  }
  return sections.join('\n');
}

/** The text without any whitespace: compares contents regardless of how lines and paragraphs were cut. */
export function compact(text: string): string {
  return text.replace(/\s+/g, '');
}

/** Markdown markers that must not reach a WeChat text bubble. */
export const MARKDOWN_MARKERS = /\*\*|^#{1,6}\s|^\s*[-*+]\s/m;

/** A pickup page without its `（第k/n页…）` marker, and the page's position. */
export function readPickupPage(page: string): { text: string; pageNumber: number; pageCount: number } {
  const marker = /\n*（第(\d+)\/(\d+)页[^）]*）$/.exec(page);
  if (marker === null) return { text: page, pageNumber: 1, pageCount: 1 };
  return { text: page.slice(0, marker.index), pageNumber: Number(marker[1]), pageCount: Number(marker[2]) };
}

/** Removes a trailing `……（…回复「继续」…）` pickup hint or `……完整回答：url` link from a message. */
export function withoutContinuation(message: string): string {
  return message.replace(/\n*……(?:（[^）]*）|完整回答：\S+)$/, '');
}

/**
 * Sends `keyword` until the last page of one answer left for pickup has come back; returns the pages' texts
 * (markers removed), in order. Fails if a pickup is not answered passively or pages come out of order.
 */
export async function pickUpAnswer(client: WeChatClient, openId: string, keyword: string): Promise<string[]> {
  const pages: string[] = [];
  for (let expected = 1; ; expected++) {
    const exchange = await client.sendText(openId, keyword);
    const text = replyText(exchange);
    if (text === undefined) throw new Error(`pickup ${expected}: no passive text reply (${JSON.stringify(exchange.deliveries)})`);
    const page = readPickupPage(text);
    if (page.pageNumber !== expected) throw new Error(`pickup ${expected}: got page ${page.pageNumber}/${page.pageCount}: ${text.slice(0, 80)}`);
    pages.push(page.text);
    if (page.pageNumber === page.pageCount) return pages;
  }
}
