/**
 * Answers left for the user to pick up with `PICKUP_KEYWORD`: when neither a passive reply nor customer-service
 * messages can carry (all of) an answer, its text is paged (each page ≤ 2048 bytes, marked while more follow) and
 * kept per user; every pickup takes the next page. While an answer the user was told to pick up is still being
 * produced, the box says so (`isPending`), so that a pickup can wait for it instead of finding nothing.
 */
import { paginate, pickupPageMarker } from './text/paginate.js';
import type { SharedState } from './state/shared-state.js';

/** WeChat's limit for a text message, in UTF-8 bytes. */
export const TEXT_MESSAGE_MAX_BYTES = 2048;

export interface PickupBoxOptions {
  state: SharedState;
  /** `PICKUP_KEYWORD`, named in page markers. */
  keyword: string;
  /** How long unclaimed pages are kept (default 24 h). */
  ttlMs?: number;
}

export class PickupBox {
  readonly #state: SharedState;
  readonly #keyword: string;
  readonly #ttlMs: number;

  constructor(options: PickupBoxOptions) {
    this.#state = options.state;
    this.#keyword = options.keyword;
    this.#ttlMs = options.ttlMs ?? 24 * 60 * 60 * 1000;
  }

  get keyword(): string {
    return this.#keyword;
  }

  /** Pages `text` (WeChat text) for the user; returns the number of pages left. */
  async leave(userId: string, text: string): Promise<number> {
    if (text.trim() === '') return 0;
    const pages = paginate(text, TEXT_MESSAGE_MAX_BYTES, pickupPageMarker(this.#keyword));
    await this.#state.push(pagesKey(userId), pages, this.#ttlMs);
    return pages.length;
  }

  /** The user's next page, and how many remain after it; undefined when nothing is waiting. */
  async take(userId: string): Promise<{ page: string; remaining: number } | undefined> {
    const page = await this.#state.shift(pagesKey(userId));
    if (page === undefined) return undefined;
    return { page, remaining: await this.#state.length(pagesKey(userId)) };
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
}

const pagesKey = (userId: string): string => `pickup:${userId}`;
const pendingKey = (userId: string): string => `pickup-pending:${userId}`;
