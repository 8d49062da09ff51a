/**
 * Full texts of long answers, served at `GET /a/:id` and linked from a truncated message when `PUBLIC_BASE_URL`
 * is set. Ids are the answers' own unguessable ids; texts expire.
 */
import type { SharedState } from './state/shared-state.js';

export const ARCHIVE_TTL_MS = 7 * 24 * 60 * 60 * 1000;
const ID_PATTERN = /^[A-Za-z0-9_-]{16,64}$/;

export class AnswerArchive {
  readonly #state: SharedState;
  readonly #ttlMs: number;

  constructor(state: SharedState, ttlMs = ARCHIVE_TTL_MS) {
    this.#state = state;
    this.#ttlMs = ttlMs;
  }

  async save(id: string, text: string): Promise<void> {
    if (!ID_PATTERN.test(id)) throw new RangeError('archive ids are 16–64 base64url characters');
    await this.#state.set(`answer:${id}`, text, this.#ttlMs);
  }

  /** Undefined for an unknown, expired or malformed id. */
  async get(id: string): Promise<string | undefined> {
    return ID_PATTERN.test(id) ? this.#state.get(`answer:${id}`) : undefined;
  }
}
