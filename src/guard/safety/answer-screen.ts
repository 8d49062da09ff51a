/**
 * Screens an AI answer while it streams, between the model and the live answer that delivery reads
 * (jobs/produce-answer.ts): nothing reaches `answer.append` — and so no user — before it was checked.
 *
 * Text is held until a piece is complete — up to a line break or a sentence's end (`。！？；` or `.!?;` before a
 * space), or in a long run without either (over `MAX_HELD` characters) up to a comma or space — so a word the
 * model streams in two deltas is checked whole. A paragraph's end is a line break, so delivery's "first
 * paragraph as soon as it is complete" is not delayed. Each piece is checked against the outgoing lists: a
 * masked word goes out masked; a blocked word ends the answer — what was appended before stays (it was checked
 * clean), nothing of the model's after it is appended, and CONTENT_BLOCKED_MESSAGE is appended as the answer's
 * last paragraph. The caller stops the model then (`append` returns false) and finishes the answer as usual.
 *
 * With moderation, pieces that passed the lists are moderated before they are appended. The calls run one at a
 * time beside the stream, and everything that arrived during one call goes into the next, so a slow moderation
 * service delays the answer by about one call, not one call per sentence. A flagged piece is blocked as above;
 * a failing call follows MODERATION_ON_ERROR (the `moderate` callback decides).
 */
import type { LiveAnswer } from '../../delivery/live-answer.js';
import type { ScreenResult } from './word-list.js';

/** What screening needs from content safety (content-safety.ts): the checks, and how a finding is recorded. */
export interface AnswerChecks {
  blockedMessage: string;
  /** The outgoing lists now (a pass when there are none). */
  screen(direction: 'outgoing', text: string): ScreenResult;
  /** Absent without moderation; resolves to whether the text may be sent (MODERATION_ON_ERROR applied). */
  moderate?(text: string): Promise<{ allowed: true } | { allowed: false; by: 'moderation' | 'moderation_error'; categories?: string[] }>;
  /** Counts and logs a finding (content at DEBUG only). */
  noted(finding: { direction: 'outgoing'; action: 'block' | 'mask'; by: 'keyword' | 'moderation' | 'moderation_error'; text: string; matched?: string[]; categories?: string[] }): void;
}

/** Characters held without a line break or sentence end before a weaker break (comma, space) is taken. */
const MAX_HELD = 400;
const SENTENCE_ENDS = new Set(['\n', '。', '！', '？', '；', '…']);
const ASCII_ENDS = new Set(['.', '!', '?', ';']);
const WEAK_BREAKS = new Set(['，', '、', '：', ',', ':', ' ', '\t']);

/** Length of `text`'s complete part: up to its last line break or sentence end (0 when there is none). */
export function completeLength(text: string): number {
  for (let index = text.length - 1; index >= 0; index--) {
    const character = text[index]!;
    if (SENTENCE_ENDS.has(character)) return index + 1;
    // "3.14", "example.com": an ASCII full stop ends a sentence only before white space.
    if (ASCII_ENDS.has(character) && index + 1 < text.length && /\s/.test(text[index + 1]!)) return index + 1;
  }
  if (text.length <= MAX_HELD) return 0;
  for (let index = text.length - 1; index >= 0; index--) if (WEAK_BREAKS.has(text[index]!)) return index + 1;
  return text.length - 1; // not one break in 400 characters: take them (keeping one, so no surrogate pair splits)
}

export class AnswerScreen {
  readonly #answer: LiveAnswer;
  readonly #checks: AnswerChecks;
  #held = '';
  /** Pieces that passed the lists, waiting for moderation. */
  #unmoderated = '';
  #moderating: Promise<void> | undefined;
  #blocked = false;
  #masked = false;

  constructor(answer: LiveAnswer, checks: AnswerChecks) {
    this.#answer = answer;
    this.#checks = checks;
  }

  /** True once a blocked word (or a flagged piece) ended the answer: stop the model. */
  get blocked(): boolean {
    return this.#blocked;
  }

  /** True when the user gets other text than the model wrote (masked or blocked). */
  get altered(): boolean {
    return this.#blocked || this.#masked;
  }

  /** Takes the next streamed text; false once the answer was blocked (nothing more is appended). */
  append(delta: string): boolean {
    if (this.#blocked) return false;
    this.#held += delta;
    const length = completeLength(this.#held);
    if (length > 0) {
      const piece = this.#held.slice(0, length);
      this.#held = this.#held.slice(length);
      this.#release(piece);
    }
    return !this.#blocked;
  }

  /** The model is done: checks and appends what is still held, and waits for moderation. Never rejects. */
  async end(): Promise<void> {
    if (!this.#blocked && this.#held !== '') {
      const rest = this.#held;
      this.#held = '';
      this.#release(rest);
    }
    while (this.#moderating !== undefined) await this.#moderating;
  }

  #release(piece: string): void {
    const screened = this.#checks.screen('outgoing', piece);
    if (screened.action === 'block') return this.#block({ by: 'keyword', text: piece, matched: screened.matched });
    if (screened.action === 'mask' && !this.#masked) {
      this.#masked = true;
      this.#checks.noted({ direction: 'outgoing', action: 'mask', by: 'keyword', text: piece, matched: screened.matched });
    }
    if (this.#checks.moderate === undefined || screened.text.trim() === '') {
      if (this.#unmoderated === '' && this.#moderating === undefined) this.#answer.append(screened.text);
      else this.#unmoderated += screened.text; // keeps the order behind text still being moderated
      return;
    }
    this.#unmoderated += screened.text;
    this.#moderating ??= this.#moderate();
  }

  /** Moderates what is waiting, one call at a time, until nothing is left (or the answer is blocked). */
  async #moderate(): Promise<void> {
    try {
      while (this.#unmoderated !== '' && !this.#blocked) {
        const batch = this.#unmoderated;
        this.#unmoderated = '';
        const verdict = batch.trim() === '' ? { allowed: true as const } : await this.#checks.moderate!(batch);
        if (this.#blocked) return;
        if (!verdict.allowed) return this.#block({ by: verdict.by, text: batch, ...(verdict.categories ? { categories: verdict.categories } : {}) });
        this.#answer.append(batch);
      }
    } finally {
      this.#moderating = undefined;
    }
  }

  #block(finding: { by: 'keyword' | 'moderation' | 'moderation_error'; text: string; matched?: string[]; categories?: string[] }): void {
    this.#blocked = true;
    this.#held = '';
    this.#unmoderated = '';
    this.#checks.noted({ direction: 'outgoing', action: 'block', ...finding });
    // Appended, not finished: the producer still stores the turn before it releases the answer.
    const text = this.#answer.text;
    const separator = text.trim() === '' ? '' : text.endsWith('\n\n') ? '' : text.endsWith('\n') ? '\n' : '\n\n';
    this.#answer.append(`${separator}${this.#checks.blockedMessage}`);
  }
}
