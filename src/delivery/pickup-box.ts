/**
 * Answers left for the user to pick up with `PICKUP_KEYWORD`: when neither a passive reply nor customer-service
 * messages can carry (all of) an answer, it is kept per user as a queue of items, and every pickup takes the next
 * one. Text is paged (each page ≤ 2048 bytes, marked while more follow); an image or voice of the answer follows
 * its text as an item of its own, already uploaded to WeChat (a passive image/voice reply carries only a media id,
 * and a pickup has no time for an upload). While an answer the user was told to pick up is still being produced,
 * the box says so (`isPending`), so that a pickup can wait for it instead of finding nothing.
 *
 * Items are JSON in the shared state (a media id is a short string; the bytes stay with WeChat), so a pickup on any
 * instance sharing Redis takes the next item exactly once.
 */
import { paginate, pickupPageMarker, type PageMarker } from './text/paginate.js';
import { utf8ByteLength } from './text/split-by-bytes.js';
import type { SharedState } from './state/shared-state.js';

/** WeChat's limit for a text message, in UTF-8 bytes. */
export const TEXT_MESSAGE_MAX_BYTES = 2048;

/** WeChat keeps a temporary media upload for 3 days; an item naming one must not outlive it. */
const TEMPORARY_MEDIA_LIFETIME_MS = 3 * 24 * 60 * 60 * 1000;
/** Leeway so that a media id is never handed out just as WeChat drops it. */
const MEDIA_EXPIRY_MARGIN_MS = 60 * 60 * 1000;

/** An image or voice already uploaded to WeChat as temporary media. */
export interface PickupMedia {
  kind: 'image' | 'voice';
  mediaId: string;
}

/** What one pickup replies with: a text page, or an image/voice by its media id (the shapes of passive replies). */
export type PickupItem = { type: 'text'; content: string } | { type: 'image' | 'voice'; mediaId: string };

export interface PickupBoxOptions {
  state: SharedState;
  /** `PICKUP_KEYWORD`, named in page markers. */
  keyword: string;
  /** How long unclaimed items are kept (default 24 h; at most what WeChat keeps temporary media, less a margin). */
  ttlMs?: number;
}

export class PickupBox {
  readonly #state: SharedState;
  readonly #keyword: string;
  readonly #ttlMs: number;

  constructor(options: PickupBoxOptions) {
    this.#state = options.state;
    this.#keyword = options.keyword;
    this.#ttlMs = Math.min(options.ttlMs ?? 24 * 60 * 60 * 1000, TEMPORARY_MEDIA_LIFETIME_MS - MEDIA_EXPIRY_MARGIN_MS);
  }

  get keyword(): string {
    return this.#keyword;
  }

  /**
   * Leaves `text` (WeChat text), paged, then `media`, one item each, for the user; returns the number of items.
   * When media follow the text, its last page says so (an image or voice reply itself cannot say that more follow).
   */
  async leave(userId: string, text: string, media: readonly PickupMedia[] = []): Promise<number> {
    const pages = text.trim() === '' ? [] : this.#pages(text, media);
    const items: PickupItem[] = [
      ...pages.map((content): PickupItem => ({ type: 'text', content })),
      ...media.map((each): PickupItem => ({ type: each.kind, mediaId: each.mediaId })),
    ];
    if (items.length === 0) return 0;
    await this.#state.push(itemsKey(userId), items.map((item) => JSON.stringify(item)), this.#ttlMs);
    return items.length;
  }

  /** The user's next item, and how many remain after it; undefined when nothing is waiting. */
  async take(userId: string): Promise<{ item: PickupItem; remaining: number } | undefined> {
    const stored = await this.#state.shift(itemsKey(userId));
    if (stored === undefined) return undefined;
    return { item: decodeItem(stored), remaining: await this.#state.length(itemsKey(userId)) };
  }

  /** Notes that the user was told to pick up an answer that is still being produced. */
  async markPending(userId: string, answerId: string, ttlMs: number): Promise<void> {
    await this.#state.set(pendingKey(userId), answerId, ttlMs);
  }

  async clearPending(userId: string, answerId: string): Promise<void> {
    if ((await this.#state.get(pendingKey(userId))) === answerId) await this.#state.delete(pendingKey(userId));
  }

  async isPending(userId: string): Promise<boolean> {
    return (await this.#state.get(pendingKey(userId))) !== undefined;
  }

  /** Text pages; with media after them, the last page names what the next pickup brings. */
  #pages(text: string, media: readonly PickupMedia[]): string[] {
    const pageMarker = pickupPageMarker(this.#keyword);
    if (media.length === 0) return paginate(text, TEXT_MESSAGE_MAX_BYTES, pageMarker);
    const next = `回复「${this.#keyword}」查看${describeMedia(media)}`;
    const single = `\n\n（${next}）`;
    const marker: PageMarker = (pageNumber, pageCount) =>
      pageNumber < pageCount ? pageMarker(pageNumber, pageCount) : `\n\n（第${pageNumber}/${pageCount}页，${next}）`;
    // Room for the single-page note is kept on every page, so a text that fits one page keeps it.
    const pages = paginate(text, TEXT_MESSAGE_MAX_BYTES - utf8ByteLength(single), marker);
    return pages.length === 1 ? [pages[0] + single] : pages;
  }
}

/** 图片, 语音, or both (with their count when several), as a note before them names them. */
export function describeMedia(media: readonly PickupMedia[]): string {
  const kinds = new Set(media.map((each) => each.kind));
  if (kinds.size > 1) return '图片和语音';
  const image = kinds.has('image');
  const noun = image ? '图片' : '语音';
  return media.length > 1 ? `${noun}（共${media.length}${image ? '张' : '条'}）` : noun;
}

/** A stored item; a plain string is a text page as kept before items carried media (a deploy keeps them readable). */
function decodeItem(stored: string): PickupItem {
  if (stored.startsWith('{')) {
    try {
      const item = JSON.parse(stored) as Partial<Record<string, unknown>>;
      if (item.type === 'text' && typeof item.content === 'string') return { type: 'text', content: item.content };
      if ((item.type === 'image' || item.type === 'voice') && typeof item.mediaId === 'string') return { type: item.type, mediaId: item.mediaId };
    } catch {
      // Not an item: a text page that happens to start with a brace.
    }
  }
  return { type: 'text', content: stored };
}

const itemsKey = (userId: string): string => `pickup:${userId}`;
const pendingKey = (userId: string): string => `pickup-pending:${userId}`;
